"""Forms for the jobs pages. They check shape and format; the actions check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiuye.accounts.forms import RegionCodeField
from jiuye.jobs.models import (
    Channel,
    FairKind,
    FairMode,
    FairStatus,
    IntentionOutcome,
    InterviewResult,
    PostingKind,
    PostingStatus,
)
from jiuye.registry.models import ContractType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _blank(choices):
    return [("", "—"), *choices]


def occupation_major_choices():
    from jiuye.registry.codes import occupation_choices

    return _blank(occupation_choices(1))


def education_choices():
    from jiuye.registry.codes import EDUCATION_CHOICES

    return [("", _("No requirement")), *EDUCATION_CHOICES]


class PostingFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("Title, description or employer"), "type": "search"}
        ),
    )
    region_code = forms.CharField(label=_("Region code"), required=False, max_length=12)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(PostingStatus.choices)
    )
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=_blank(PostingKind.choices))
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_blank(Channel.choices))
    occupation = forms.ChoiceField(label=_("Occupation group"), required=False, choices=())
    employer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    valid_on = forms.DateField(label=_("Valid on"), required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occupation"].choices = occupation_major_choices()


class PostingForm(forms.Form):
    employer_uscc = forms.CharField(
        label=_("Employer credit code"),
        max_length=20,
        help_text=_("The employer must be in the registry within your region."),
    )
    title = forms.CharField(label=_("Job title"), max_length=100)
    occupation_code = forms.CharField(
        label=_("Occupation code"),
        max_length=12,
        required=False,
        help_text=_("2022 classification, e.g. 6-18-02-04; the 细类 is preferred."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=forms.Textarea
    )
    headcount = forms.IntegerField(label=_("Headcount"), min_value=1, max_value=100_000)
    wage_min = forms.IntegerField(
        label=_("Monthly wage from"), required=False, min_value=0, max_value=1_000_000
    )
    wage_max = forms.IntegerField(
        label=_("Monthly wage to"), required=False, min_value=0, max_value=1_000_000
    )
    education = forms.ChoiceField(label=_("Minimum education"), required=False, choices=())
    age_min = forms.IntegerField(label=_("Minimum age"), required=False, min_value=16, max_value=80)
    age_max = forms.IntegerField(label=_("Maximum age"), required=False, min_value=16, max_value=80)
    experience_years = forms.IntegerField(
        label=_("Years of experience"), required=False, min_value=0, max_value=50
    )
    region_code = RegionCodeField(label=_("Workplace region"))
    address = forms.CharField(label=_("Workplace address"), max_length=200, required=False)
    longitude = forms.DecimalField(
        label=_("Longitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        help_text=_("Leave empty to use the region's point."),
    )
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, max_digits=9, decimal_places=6
    )
    kind = forms.ChoiceField(label=_("Type"), choices=PostingKind.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_to = forms.DateField(label=_("Valid to"), widget=DATE)
    external_id = forms.CharField(label=_("External id"), max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["education"].choices = education_choices()

    def clean(self):
        data = super().clean()
        lo, hi = data.get("wage_min"), data.get("wage_max")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("wage_max", _("The lower wage is above the upper wage."))
        lo, hi = data.get("age_min"), data.get("age_max")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("age_max", _("The minimum age is above the maximum age."))
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and start > end:
            self.add_error("valid_to", _("The posting ends before it starts."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class RejectForm(forms.Form):
    note = forms.CharField(label=_("What must be fixed"), max_length=500, widget=forms.Textarea)


class ApproveForm(forms.Form):
    acknowledge = forms.BooleanField(
        label=_("I have checked the findings: they are lawful for this job"), required=False
    )
    note = forms.CharField(label=_("Why"), max_length=500, required=False)


class ApplyForm(forms.Form):
    id_number = forms.CharField(
        label=_("ID number of the person"),
        max_length=25,
        help_text=_("The person must be registered in your region."),
    )


class InterviewForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Time"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    place = forms.CharField(label=_("Place or link"), max_length=200, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)


class InterviewResultForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result"),
        choices=[c for c in InterviewResult.choices if c[0] != InterviewResult.PENDING],
    )
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)


class HireForm(forms.Form):
    start_date = forms.DateField(label=_("Start date"), widget=DATE)
    monthly_wage = forms.IntegerField(
        label=_("Monthly wage"), required=False, min_value=0, max_value=1_000_000
    )
    contract_type = forms.ChoiceField(
        label=_("Contract type"), required=False, choices=_blank(ContractType.choices)
    )
    contract_end = forms.DateField(label=_("Contract end"), required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("contract_end")
        if start and end and end <= start:
            self.add_error("contract_end", _("The contract ends before it starts."))
        return data


class FairFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, widget=forms.TextInput(attrs={"type": "search"})
    )
    region_code = forms.CharField(label=_("Region code"), required=False, max_length=12)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(FairStatus.choices)
    )
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=_blank(FairKind.choices))
    mode = forms.ChoiceField(label=_("Mode"), required=False, choices=_blank(FairMode.choices))


class FairForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=FairKind.choices)
    mode = forms.ChoiceField(label=_("Mode"), choices=FairMode.choices)
    region_code = RegionCodeField(label=_("Organising region"))
    venue = forms.CharField(label=_("Venue or link"), max_length=200, required=False)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    theme = forms.CharField(
        label=_("Theme"),
        max_length=200,
        required=False,
        help_text=_("e.g. 春风行动, 高校毕业生专场"),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and start > end:
            self.add_error("ends_at", _("The fair ends before it starts."))
        return data


class FairEmployerForm(forms.Form):
    employer_uscc = forms.CharField(label=_("Employer credit code"), max_length=20)
    booth = forms.CharField(label=_("Booth"), max_length=50, required=False)
    all_postings = forms.BooleanField(
        label=_("Offer all of its published postings"), required=False, initial=True
    )


class FairPostingForm(forms.Form):
    posting = forms.IntegerField(label=_("Posting number"), min_value=1)


class AttendeeForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=25)


class IntentionForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=25)
    posting = forms.TypedChoiceField(label=_("Posting"), coerce=int, choices=())
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=DATE)

    def __init__(self, *args, postings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["posting"].choices = [
            (p.pk, f"{p.employer.name} · {p.title} (#{p.pk})") for p in postings
        ]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in IntentionOutcome.choices if c[0] != IntentionOutcome.PENDING],
    )
    reason = forms.CharField(label=_("Reason (if not proceeding)"), max_length=200, required=False)
    start_date = forms.DateField(label=_("Start date (if hired)"), required=False, widget=DATE)
    monthly_wage = forms.IntegerField(
        label=_("Monthly wage"), required=False, min_value=0, max_value=1_000_000
    )
    contract_type = forms.ChoiceField(
        label=_("Contract type"), required=False, choices=_blank(ContractType.choices)
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == IntentionOutcome.HIRED and not data.get("start_date"):
            self.add_error("start_date", _("Give the start date."))
        if data.get("outcome") == IntentionOutcome.DECLINED and not data.get("reason"):
            self.add_error("reason", _("Give the reason."))
        return data


class FairStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s, label) for s, label in FairStatus.choices if s != FairStatus.PLANNED]
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
