from django import forms
from django.utils.translation import gettext_lazy as _

from jiuye.accounts.forms import RegionCodeField
from jiuye.registry.models import (
    CertificateLevel,
    ContractType,
    EmploymentForm,
    EmploymentStatus,
    EventKind,
    HukouType,
    KeyGroup,
    Ownership,
    Relation,
    Sex,
    SizeClass,
    WorkPlace,
    WorkType,
)

DATE = forms.DateInput(attrs={"type": "date"})


def _blank(choices):
    return [("", "—"), *choices]


def education_choices():
    from jiuye.registry.codes import EDUCATION_CHOICES

    return _blank(list(EDUCATION_CHOICES))


class PersonFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, ID number or phone"), "type": "search"}
        ),
    )
    region_code = forms.CharField(label=_("Region code"), required=False, max_length=12)
    group = forms.ChoiceField(
        label=_("Key group"), required=False, choices=_blank(KeyGroup.choices)
    )
    status = forms.ChoiceField(
        label=_("Employment status"), required=False, choices=_blank(EmploymentStatus.choices)
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=_blank(Sex.choices))
    min_age = forms.IntegerField(label=_("Age from"), required=False, min_value=0, max_value=120)
    max_age = forms.IntegerField(label=_("Age to"), required=False, min_value=0, max_value=120)
    education = forms.ChoiceField(label=_("Education"), required=False, choices=())
    intention = forms.CharField(label=_("Intended occupation code"), required=False, max_length=12)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["education"].choices = education_choices()


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(label=_("ID number"), max_length=25)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    region_code = RegionCodeField(label=_("Residence (township or village code)"))
    hukou_region_code = RegionCodeField(label=_("Hukou region code"), required=False)
    hukou_type = forms.ChoiceField(
        label=_("Hukou type"), required=False, choices=_blank(HukouType.choices)
    )
    education = forms.ChoiceField(label=_("Education"), required=False, choices=())
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=10, required=False, initial="01")
    disability_certificate = forms.CharField(
        label=_("Disability certificate number"), max_length=30, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["education"].choices = education_choices()

    def clean_ethnicity(self):
        value = self.cleaned_data["ethnicity"]
        if not value:
            return ""
        from jiuye.registry.codes import CodeLookupError, ethnicity_code

        try:
            return ethnicity_code(value)
        except CodeLookupError as exc:
            raise forms.ValidationError(str(exc)) from exc


class PersonEditForm(PersonForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["id_number"]


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Registration"), choices=EventKind.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=DATE)
    employer_uscc = forms.CharField(label=_("Employer credit code"), max_length=18, required=False)
    employer_name = forms.CharField(label=_("Employer name"), max_length=200, required=False)
    form = forms.ChoiceField(
        label=_("Form of employment"), required=False, choices=_blank(EmploymentForm.choices)
    )
    contract_type = forms.ChoiceField(
        label=_("Contract type"), required=False, choices=_blank(ContractType.choices)
    )
    contract_end = forms.DateField(label=_("Contract end"), required=False, widget=DATE)
    work_place = forms.ChoiceField(
        label=_("Place of work"), required=False, choices=_blank(WorkPlace.choices)
    )
    occupation_code = forms.CharField(label=_("Occupation code"), max_length=12, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") == EventKind.EMPLOYMENT and not data.get("form"):
            self.add_error("form", _("Choose the form of employment."))
        return data


class MembershipForm(forms.Form):
    group = forms.ChoiceField(label=_("Key group"), choices=KeyGroup.choices)
    category = forms.CharField(label=_("Category"), max_length=16, required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=DATE)
    source = forms.CharField(label=_("Source"), max_length=50, required=False)
    graduation_year = forms.IntegerField(
        label=_("Graduation year"), required=False, min_value=1950, max_value=2100
    )
    school = forms.CharField(label=_("School"), max_length=100, required=False)
    degree = forms.CharField(label=_("Degree"), max_length=50, required=False)


class CertificateForm(forms.Form):
    name = forms.CharField(label=_("Certificate"), max_length=100)
    occupation_code = forms.CharField(label=_("Occupation code"), max_length=12, required=False)
    level = forms.TypedChoiceField(
        label=_("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_blank(CertificateLevel.choices),
    )
    number = forms.CharField(label=_("Certificate number"), max_length=50, required=False)
    issued_on = forms.DateField(label=_("Issued on"), required=False, widget=DATE)


class IntentionForm(forms.Form):
    title = forms.CharField(label=_("Wanted job"), max_length=100, required=False)
    occupation_code = forms.CharField(label=_("Occupation code"), max_length=12, required=False)
    region_code = RegionCodeField(label=_("Desired region"), required=False)
    expected_wage = forms.IntegerField(
        label=_("Expected monthly wage"), required=False, min_value=0, max_value=1_000_000
    )
    work_type = forms.ChoiceField(label=_("Work type"), choices=WorkType.choices)


class EmployerForm(forms.Form):
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=200)
    region_code = RegionCodeField(label=_("Region code"))
    industry_code = forms.CharField(label=_("Industry code"), max_length=5, required=False)
    ownership = forms.ChoiceField(
        label=_("Ownership"), required=False, choices=_blank(Ownership.choices)
    )
    size_class = forms.ChoiceField(
        label=_("Size"), required=False, choices=_blank(SizeClass.choices)
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    legal_representative = forms.CharField(
        label=_("Legal representative"), max_length=50, required=False
    )
    contact_person = forms.CharField(label=_("Contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)

    def clean_industry_code(self):
        value = self.cleaned_data["industry_code"]
        if not value:
            return ""
        from jiuye.registry.codes import CodeLookupError, industry_code

        try:
            return industry_code(value)
        except CodeLookupError as exc:
            raise forms.ValidationError(str(exc)) from exc


class HouseholdMemberForm(forms.Form):
    id_number = forms.CharField(label=_("Member's ID number"), max_length=25)
    relation = forms.ChoiceField(label=_("Relation to head"), choices=Relation.choices)


class HouseholdForm(forms.Form):
    head_id_number = forms.CharField(label=_("Head's ID number"), max_length=25)
    region_code = RegionCodeField(label=_("Region code"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    hukou_type = forms.ChoiceField(
        label=_("Hukou type"), required=False, choices=_blank(HukouType.choices)
    )
    external_id = forms.CharField(label=_("Household number"), max_length=64, required=False)
