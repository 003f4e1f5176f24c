"""The policy calculator page (政策计算器) for staff: fill in a situation, see per policy whether
it is met, the amount, every condition with ✓/✗ and the parameter values that decided it.

A friendly form covers the common case — one person, optionally an employer, a hire and a
certificate — and builds the JSON situation of ``docs/policy-calculator.md``; the "advanced"
box takes any situation as raw JSON. Both go through ``api.catalogue.calculation``, the same
function as ``POST /api/policies/calculate`` and ``jiuye policy calculate``.

The page computes from what is typed in and reads no registry records, so it needs a login
and no region scope.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from jiuye.core.errors import JiuyeError
from jiuye.policies.api.catalogue import calculation, read_situation
from jiuye.policies.rules import all_policies
from jiuye.policies.views.catalogue import with_display_values
from jiuye.registry.models import Ownership, SizeClass

PERSON_ID = "p1"
EMPLOYER_ID = "e1"

# Boolean person columns (inputs.SCHEMA) offered as checkboxes: the key groups staff know.
KEY_GROUPS = [
    ("graduate", gettext_lazy("College graduate")),
    ("in_school", gettext_lazy("Still at school (graduation year)")),
    ("disabled", gettext_lazy("Holds a disability certificate")),
    ("dibao", gettext_lazy("Minimum-living-allowance (低保) family")),
    ("zero_family", gettext_lazy("Zero-employment family")),
    ("ex_poverty", gettext_lazy("Lifted out of poverty")),
    ("monitored", gettext_lazy("Monitored for relapse into poverty")),
    ("poor_disabled_family", gettext_lazy("Poor family with a disabled member")),
    ("veteran", gettext_lazy("Veteran")),
    ("land_lost", gettext_lazy("Lost all land to expropriation")),
    ("long_unemployed", gettext_lazy("Recognised long-term unemployed")),
    ("student_loan", gettext_lazy("Holds a state student loan")),
    ("former_soe_worker", gettext_lazy("Former state or collective enterprise worker")),
    ("difficulty", gettext_lazy("Already recognised as a person with employment difficulties")),
    ("drawing_ui_benefit", gettext_lazy("Drawing unemployment benefit")),
]

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label, **kwargs):
    return forms.DateField(label=label, required=False, widget=DATE, **kwargs)


def _count(label, **kwargs):
    return forms.IntegerField(label=label, required=False, min_value=0, **kwargs)


def _money(label, **kwargs):
    return forms.FloatField(label=label, required=False, min_value=0, **kwargs)


def _choice(label, choices, **kwargs):
    return forms.ChoiceField(label=label, required=False, choices=[("", "—"), *choices], **kwargs)


class CalculatorForm(forms.Form):
    """The common case. Field names carry their section (``person_``, ``employer_``, …);
    ``situation()`` turns them into the calculator's JSON."""

    as_of = forms.DateField(label=gettext_lazy("As of"), widget=DATE)
    policies = forms.MultipleChoiceField(
        label=gettext_lazy("Policies"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave all unticked to check every policy."),
    )

    # One person.
    person = forms.BooleanField(label=gettext_lazy("A person"), required=False, initial=True)
    person_birth_date = _date(gettext_lazy("Birth date"))
    person_sex = _choice(
        gettext_lazy("Sex"), [("1", gettext_lazy("Male")), ("2", gettext_lazy("Female"))]
    )
    person_retirement_category = _choice(
        gettext_lazy("Original retirement age"),
        [
            ("m60", gettext_lazy("Man, 60")),
            ("f55", gettext_lazy("Woman, 55 (cadre post)")),
            ("f50", gettext_lazy("Woman, 50 (worker post)")),
        ],
        help_text=gettext_lazy("Empty: by sex, with the province's default for women."),
    )
    person_hukou_region_code = forms.CharField(
        label=gettext_lazy("Household registration region code"), required=False, max_length=12
    )
    person_hukou_type = _choice(
        gettext_lazy("Household registration type"),
        [("urban", gettext_lazy("Urban")), ("rural", gettext_lazy("Rural"))],
    )
    person_region_code = forms.CharField(
        label=gettext_lazy("Residence region code"),
        required=False,
        max_length=12,
        help_text=gettext_lazy("Empty: the household registration region."),
    )
    person_employment_status = _choice(
        gettext_lazy("Employment status"),
        [
            ("unemployed", gettext_lazy("Unemployed")),
            ("employed", gettext_lazy("Employed")),
            ("unknown", gettext_lazy("Unknown")),
        ],
    )
    person_unemployed_since = _date(gettext_lazy("Registered unemployed since"))
    person_employment_form = _choice(
        gettext_lazy("Form of employment"),
        [
            ("unit", gettext_lazy("With an employer")),
            ("flexible", gettext_lazy("Flexible employment")),
            ("self_employed", gettext_lazy("Self-employed")),
            ("public_welfare", gettext_lazy("Public-welfare post")),
        ],
    )
    person_groups = forms.MultipleChoiceField(
        label=gettext_lazy("Key groups"),
        required=False,
        choices=KEY_GROUPS,
        widget=forms.CheckboxSelectMultiple,
    )
    person_difficulty_since = _date(gettext_lazy("Recognised with employment difficulties on"))
    person_ui_months = _count(gettext_lazy("Months of unemployment insurance paid"))
    person_graduate_year = forms.IntegerField(
        label=gettext_lazy("Graduation year"), required=False, min_value=1950, max_value=2100
    )
    person_left_school_on = _date(gettext_lazy("Left school on"))
    person_flex_contrib_period = _money(
        gettext_lazy("Social insurance paid as a flexible worker last quarter (yuan)")
    )
    person_flex_months_period = _count(
        gettext_lazy("Months paid as a flexible worker last quarter"), max_value=3
    )

    # Optionally an employer.
    employer = forms.BooleanField(label=gettext_lazy("An employer"), required=False)
    employer_ownership = _choice(gettext_lazy("Ownership"), Ownership.choices)
    employer_size_class = _choice(gettext_lazy("Size"), SizeClass.choices)
    employer_region_code = forms.CharField(
        label=gettext_lazy("Employer region code"), required=False, max_length=12
    )
    employer_insured_now = _count(gettext_lazy("Insured staff this month"))
    employer_insured_start = _count(gettext_lazy("Insured staff at the start of last year"))
    employer_insured_end = _count(gettext_lazy("Insured staff at the end of last year"))
    employer_insured_avg = _money(gettext_lazy("Average insured staff last year"))
    employer_separations = _count(gettext_lazy("Layoffs last year"))
    employer_ui_claimants = _count(gettext_lazy("New unemployment-benefit claimants last year"))
    employer_ui_paid = _money(gettext_lazy("Unemployment insurance paid last year (yuan)"))
    employer_ui_months_full = _count(gettext_lazy("Months of unemployment insurance paid in full"))
    employer_blacklisted = forms.BooleanField(
        label=gettext_lazy("On the wage-arrears blacklist"), required=False
    )

    # Optionally the person's hire by the employer.
    hire = forms.BooleanField(label=gettext_lazy("The employer hired the person"), required=False)
    hire_hired_on = _date(gettext_lazy("Hired on"))
    hire_contract_months = _count(
        gettext_lazy("Contract length (months)"),
        help_text=gettext_lazy("999 for an open-ended contract."),
    )
    hire_insured_months = _count(
        gettext_lazy("Months insured since the hire"),
        help_text=gettext_lazy(
            "Unemployment, work-injury and pension insurance paid by this employer."
        ),
    )
    hire_unemployed_months_before = _count(
        gettext_lazy("Months registered unemployed before the hire")
    )
    hire_still_employed = forms.BooleanField(
        label=gettext_lazy("Still employed there"), required=False, initial=True
    )
    hire_difficulty_at_hire = forms.BooleanField(
        label=gettext_lazy("A recognised difficulty person when hired"), required=False
    )

    # Optionally a skills certificate of the person.
    certificate = forms.BooleanField(label=gettext_lazy("A skills certificate"), required=False)
    certificate_occupation_code = forms.CharField(
        label=gettext_lazy("Occupation code"), required=False, max_length=20
    )
    certificate_level = forms.TypedChoiceField(
        label=gettext_lazy("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "—"),
            (5, gettext_lazy("Level 5 (junior)")),
            (4, gettext_lazy("Level 4 (intermediate)")),
            (3, gettext_lazy("Level 3 (senior)")),
            (2, gettext_lazy("Level 2 (technician)")),
            (1, gettext_lazy("Level 1 (senior technician)")),
        ],
    )
    certificate_issued_on = _date(gettext_lazy("Issued on"))

    # Anything else: the situation as JSON.
    situation_json = forms.CharField(
        label=gettext_lazy("Situation (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "When filled in, this situation is calculated instead of the form above. "
            "The format is in docs/policy-calculator.md."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policies"].choices = [
            (code, str(policy.name)) for code, policy in all_policies().items()
        ]

    def clean(self):
        data = super().clean()
        if data.get("situation_json", "").strip():
            return data
        if not (data.get("person") or data.get("employer")):
            raise forms.ValidationError(_("Fill in a person, an employer, or both."))
        if data.get("hire"):
            if not (data.get("person") and data.get("employer")):
                self.add_error("hire", _("A hire needs both the person and the employer."))
            if not data.get("hire_hired_on"):
                self.add_error("hire_hired_on", _("Enter the date of the hire."))
        if data.get("certificate"):
            if not data.get("person"):
                self.add_error("certificate", _("A certificate belongs to the person."))
            if not data.get("certificate_issued_on"):
                self.add_error("certificate_issued_on", _("Enter the date of issue."))
        return data

    def sections(self):
        """The form's fields grouped for the template: (key, title, toggle, fields)."""
        groups = [
            ("person", _("Person"), "person_"),
            ("employer", _("Employer"), "employer_"),
            ("hire", _("Hire"), "hire_"),
            ("certificate", _("Certificate"), "certificate_"),
        ]
        return [
            {
                "key": key,
                "title": title,
                "toggle": self[key],
                "fields": [self[name] for name in self.fields if name.startswith(prefix)],
            }
            for key, title, prefix in groups
        ]

    def situation(self) -> dict:
        """The JSON situation (``inputs.SCHEMA``) of the cleaned form; blanks are left out so
        the calculator's defaults apply."""
        data = self.cleaned_data
        if data.get("situation_json", "").strip():
            return read_situation(data["situation_json"])

        def section(prefix: str) -> dict:
            out = {}
            for name, value in data.items():
                # Blank means "not given" (the calculator's default); a 0 typed in is kept,
                # because for some columns an unknown value (NaN) is not the same as zero.
                if not name.startswith(prefix) or value is None or value is False:
                    continue
                if value == "" or value == []:
                    continue
                out[name.removeprefix(prefix)] = value
            return out

        situation: dict = {"as_of": data["as_of"]}
        if data.get("policies"):
            situation["policies"] = list(data["policies"])
        if data.get("person"):
            person = section("person_")
            for group in person.pop("groups", []):
                person[group] = True
            if "hukou_region_code" in person and "region_code" not in person:
                person["region_code"] = person["hukou_region_code"]
            if data.get("hire") and data.get("hire_still_employed"):
                person.setdefault("employer_id", EMPLOYER_ID)
            situation["people"] = [{"id": PERSON_ID, **person}]
        if data.get("employer"):
            situation["employers"] = [{"id": EMPLOYER_ID, **section("employer_")}]
        if data.get("hire"):
            hire = section("hire_")
            months = hire.pop("insured_months", 0)
            hire.update(
                {
                    "person_id": PERSON_ID,
                    "employer_id": EMPLOYER_ID,
                    "ui_months_after": months,
                    "injury_months_after": months,
                    "pension_months_after": months,
                    "still_employed": bool(data.get("hire_still_employed")),
                }
            )
            situation["hires"] = [hire]
        if data.get("certificate"):
            situation["certificates"] = [{"person_id": PERSON_ID, **section("certificate_")}]
        # Dates as ISO text: the same JSON a file or the API would carry.
        return json.loads(json.dumps(situation, cls=DjangoJSONEncoder))


def _grouped(answer: dict | None) -> dict:
    """Policies in the order staff read them: those the situation qualifies for or is a
    candidate of first (eligible before not eligible), then those whose scope it misses, then
    the names of those it has no record for."""
    policies = answer["policies"] if answer else []

    def rank(policy):
        if any(r["eligible"] for r in policy["results"]):
            return 0
        return 1 if any(r["applicable"] for r in policy["results"]) else 2

    concerned = sorted((p for p in policies if p["results"]), key=rank)
    return {
        "applicable": [p for p in concerned if rank(p) < 2],
        "not_applicable": [p for p in concerned if rank(p) == 2],
        "unconcerned": [p for p in policies if not p["results"]],
    }


@login_required
@require_http_methods(["GET", "POST"])
def calculator(request):
    # No region scope: the answer depends only on what is typed in (see the module doc).
    form = CalculatorForm(
        request.POST or None,
        initial={
            "as_of": timezone.localdate(),
            "person_hukou_region_code": request.user.home_region_code,
            # "Try it" links from a policy's page preselect that policy.
            "policies": request.GET.getlist("policy"),
        },
    )
    answer = error = situation = None
    if request.method == "POST" and form.is_valid():
        try:
            situation = form.situation()
            answer = calculation(situation)
            for policy in answer["policies"]:
                with_display_values(policy["parameters"])
        except JiuyeError as exc:
            error = str(exc.message)
    context = {
        "form": form,
        "answer": answer,
        "error": error,
        "situation_text": json.dumps(situation, ensure_ascii=False, indent=2)
        if situation is not None
        else "",
        **_grouped(answer),
    }
    if request.htmx:
        return render(request, "policies/calculator.html#result", context)
    return render(request, "policies/calculator.html", context)


urlpatterns = [path("calculator/", calculator, name="calculator")]
