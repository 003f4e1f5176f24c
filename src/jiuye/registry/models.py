"""The real-name registry (实名制台账): people, households, employers, key groups, events.

Registrations are append-only events; a person's current employment status is derived from
them (``jiuye.registry.status``) and cached on the person for list filters at province scale.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiuye.core.crypto import EncryptedCharField
from jiuye.core.models import TimeStampedModel


class Sex(models.TextChoices):
    # GB/T 2261.1-2003 codes.
    MALE = "1", _("Male")
    FEMALE = "2", _("Female")


class HukouType(models.TextChoices):
    URBAN = "urban", _("Urban hukou")
    RURAL = "rural", _("Rural hukou")


class WorkType(models.TextChoices):
    FULL_TIME = "full_time", _("Full-time")
    PART_TIME = "part_time", _("Part-time")
    GIG = "gig", _("Gig work")


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    UNEMPLOYED = "unemployed", _("Registered unemployed")
    UNKNOWN = "unknown", _("Not registered")


class RetirementCategory(models.TextChoices):
    # The statutory retirement age before the 2025 reform; the reform moves each by birth month
    # (全国人大常委会关于实施渐进式延迟法定退休年龄的决定, policy brief §1).
    MALE_60 = "m60", _("Men, originally 60")
    FEMALE_55 = "f55", _("Women, originally 55 (cadres and similar posts)")
    FEMALE_50 = "f50", _("Women, originally 50 (workers)")


class CertificateLevel(models.IntegerChoices):
    # 国家职业资格 / 职业技能等级: 五级 (初级工) is the lowest, 一级 (高级技师) the highest.
    LEVEL_5 = 5, _("Level 5 (junior)")
    LEVEL_4 = 4, _("Level 4 (intermediate)")
    LEVEL_3 = 3, _("Level 3 (senior)")
    LEVEL_2 = 2, _("Level 2 (technician)")
    LEVEL_1 = 1, _("Level 1 (senior technician)")


class LabourBrand(TimeStampedModel):
    """劳务品牌 (人社部发〔2021〕66号): a regional brand of workers in an occupation."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    occupation_code = models.CharField(_("occupation"), max_length=12, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("labour brand")
        verbose_name_plural = _("labour brands")
        ordering = ["region_code", "name"]

    def __str__(self):
        return self.name


class Person(TimeStampedModel):
    name = models.CharField(_("name"), max_length=50, db_index=True)
    id_number = EncryptedCharField(_("ID number"))
    id_hash = models.CharField(_("ID number hash"), max_length=64)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    native_region_code = models.CharField(_("native region"), max_length=12, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    # Residence (常住地): the village or community; this is the field scoping uses.
    region_code = models.CharField(_("residence region"), max_length=12)
    hukou_region_code = models.CharField(_("hukou region"), max_length=12, blank=True)
    hukou_type = models.CharField(
        _("hukou type"), max_length=5, choices=HukouType.choices, blank=True
    )
    education = models.CharField(_("education"), max_length=2, blank=True)  # GB/T 4658
    ethnicity = models.CharField(_("ethnicity"), max_length=2, blank=True)  # GB/T 3304
    disability_certificate = models.CharField(
        _("disability certificate"), max_length=30, blank=True
    )
    labour_brand = models.ForeignKey(
        LabourBrand,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("labour brand"),
    )
    # Derived from the events; kept here so lists filter on it without a join.
    # Blank: the policy parameter's default by sex (``policies`` parameters).
    retirement_category = models.CharField(
        _("original retirement category"),
        max_length=3,
        choices=RetirementCategory.choices,
        blank=True,
    )
    # A former worker of a state-owned or collective enterprise (晋政办发〔2024〕33号 category 1).
    former_soe_worker = models.BooleanField(_("former state or collective worker"), default=False)
    employment_status = models.CharField(
        _("employment status"),
        max_length=12,
        choices=EmploymentStatus.choices,
        default=EmploymentStatus.UNKNOWN,
    )
    status_since = models.DateField(_("status since"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_records",
        verbose_name=_("merged into"),
    )
    external_id = models.CharField(_("external id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["id_hash"],
                condition=Q(merged_into__isnull=True),
                name="person_id_hash_unique_active",
            ),
        ]
        indexes = [
            # Lists read live records of a region newest first: a partial index serves exactly
            # that, without a second index scan for "not merged".
            models.Index(
                fields=["region_code", "id"],
                name="person_live_region_idx",
                condition=Q(merged_into__isnull=True),
            ),
            models.Index(fields=["id_hash"], name="person_id_hash_idx"),
            models.Index(fields=["birth_date"], name="person_birth_idx"),
            models.Index(fields=["employment_status", "region_code"], name="person_status_idx"),
        ]

    def __str__(self):
        return self.name


class Certificate(TimeStampedModel):
    """A skills qualification or skill-level certificate (职业资格 / 职业技能等级证书)."""

    person = models.ForeignKey(
        Person, models.CASCADE, related_name="certificates", verbose_name=_("person")
    )
    name = models.CharField(_("certificate"), max_length=100)
    occupation_code = models.CharField(_("occupation"), max_length=12, blank=True)
    level = models.PositiveSmallIntegerField(
        _("level"), choices=CertificateLevel.choices, null=True, blank=True
    )
    number = models.CharField(_("certificate number"), max_length=50, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    issuer = models.CharField(_("issuer"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on"]

    def __str__(self):
        return self.name


class JobIntention(TimeStampedModel):
    person = models.ForeignKey(
        Person, models.CASCADE, related_name="intentions", verbose_name=_("person")
    )
    occupation_code = models.CharField(_("occupation"), max_length=12, blank=True)
    region_code = models.CharField(_("desired region"), max_length=12, blank=True)
    expected_wage = models.PositiveIntegerField(_("expected monthly wage"), null=True, blank=True)
    work_type = models.CharField(
        _("work type"), max_length=10, choices=WorkType.choices, default=WorkType.FULL_TIME
    )
    # The wanted job in the seeker's own words (e.g. "电焊工（持证）"); coded into
    # ``occupation_code`` by the occupation coder when no code was given.
    title = models.CharField(_("wanted job"), max_length=100, blank=True)
    occupation_coded_by = models.CharField(_("occupation coded by"), max_length=10, blank=True)
    # A seeker is "valid" (有效求职) from ``created_at`` until ``ended_on``; ``active`` is False
    # once the person found work or withdrew.
    active = models.BooleanField(_("active"), default=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("job intention")
        verbose_name_plural = _("job intentions")
        indexes = [models.Index(fields=["region_code"], name="intention_region_idx")]

    def __str__(self):
        return f"{self.person_id} {self.occupation_code}"


class Household(TimeStampedModel):
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    hukou_type = models.CharField(
        _("hukou type"), max_length=5, choices=HukouType.choices, blank=True
    )
    external_id = models.CharField(_("household number"), max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self):
        return self.external_id or f"#{self.pk}"


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    OTHER = "other", _("Other relative")


class HouseholdMember(TimeStampedModel):
    household = models.ForeignKey(
        Household, models.CASCADE, related_name="members", verbose_name=_("household")
    )
    person = models.OneToOneField(
        Person, models.CASCADE, related_name="household_membership", verbose_name=_("person")
    )
    relation = models.CharField(_("relation to head"), max_length=15, choices=Relation.choices)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")

    def __str__(self):
        return f"{self.household_id}: {self.person_id} ({self.relation})"


class Ownership(models.TextChoices):
    STATE = "state", _("State-owned")
    COLLECTIVE = "collective", _("Collective")
    PRIVATE = "private", _("Private")
    FOREIGN = "foreign", _("Foreign-invested")
    HMT = "hmt", _("Hong Kong, Macao or Taiwan invested")
    INDIVIDUAL = "individual", _("Individual business")
    PUBLIC_INSTITUTION = "institution", _("Public institution")
    GOVERNMENT = "government", _("Government body")
    SOCIAL = "social", _("Social organisation")
    OTHER = "other", _("Other")


class SizeClass(models.TextChoices):
    # 统计上大中小微型企业划分办法 (2017).
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    MICRO = "micro", _("Micro")


class Employer(TimeStampedModel):
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    industry_code = models.CharField(_("industry"), max_length=5, blank=True)  # GB/T 4754
    ownership = models.CharField(
        _("ownership"), max_length=12, choices=Ownership.choices, blank=True
    )
    size_class = models.CharField(_("size"), max_length=6, choices=SizeClass.choices, blank=True)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("employer")
        verbose_name_plural = _("employers")

    def __str__(self):
        return self.name


class InsuredHeadcount(models.Model):
    employer = models.ForeignKey(
        Employer, models.CASCADE, related_name="headcounts", verbose_name=_("employer")
    )
    month = models.DateField(_("month"))  # the first day of the month
    insured = models.PositiveIntegerField(_("insured employees"))

    class Meta:
        verbose_name = _("insured headcount")
        verbose_name_plural = _("insured headcounts")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "month"], name="headcount_employer_month_unique"
            )
        ]

    def __str__(self):
        return f"{self.employer_id} {self.month:%Y-%m}: {self.insured}"


class KeyGroup(models.TextChoices):
    GRADUATE = "graduate", _("College graduate")
    EX_POVERTY = "ex_poverty", _("Population lifted out of poverty")
    MONITORED = "monitored", _("Monitored for relapse into poverty")
    MIGRANT_WORKER = "migrant_worker", _("Migrant worker")
    LONG_TERM_UNEMPLOYED = "long_unemployed", _("Long-term unemployed")
    DIFFICULTY = "difficulty", _("Person with employment difficulty")
    ZERO_EMPLOYMENT_FAMILY = "zero_family", _("Member of a zero-employment family")
    DISABLED = "disabled", _("Person with disability")
    DIBAO = "dibao", _("Minimum living allowance (dibao)")
    VETERAN = "veteran", _("Veteran")
    LAND_LOST = "land_lost", _("Farmer whose land was expropriated")


class DifficultyCategory(models.TextChoices):
    # 晋政办发〔2024〕33号 categories (policy brief §1).
    OLDER_UNEMPLOYED = "older", _("Older unemployed (women 40+, men 50+)")
    DIBAO = "dibao", _("Dibao recipient")
    DISABLED = "disabled", _("Disabled and unemployed")
    ZERO_FAMILY = "zero_family", _("Member of an urban zero-employment family")
    LAND_LOST = "land_lost", _("Landless farmer")
    VETERAN = "veteran", _("Veteran with employment difficulty")
    LONG_TERM = "long_term", _("Long-term unemployed")
    GRADUATE = "graduate", _("Graduate with employment difficulty")
    OTHER = "other", _("Other (set by the prefecture)")


class KeyGroupMembership(TimeStampedModel):
    person = models.ForeignKey(
        Person, models.CASCADE, related_name="memberships", verbose_name=_("person")
    )
    group = models.CharField(_("key group"), max_length=16, choices=KeyGroup.choices)
    category = models.CharField(_("category"), max_length=16, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=50, blank=True)
    # Group-specific facts, e.g. a graduate's year, school and degree.
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("key-group membership")
        verbose_name_plural = _("key-group memberships")
        ordering = ["group", "-valid_from"]
        indexes = [
            models.Index(fields=["group", "valid_to"], name="membership_group_idx"),
            models.Index(fields=["person", "group"], name="membership_person_group_idx"),
        ]

    def __str__(self):
        return f"{self.person_id} {self.group}"


class EventKind(models.TextChoices):
    EMPLOYMENT = "employment", _("Employment registration")
    EMPLOYMENT_END = "employment_end", _("Employment terminated")
    UNEMPLOYMENT = "unemployment", _("Unemployment registration")
    UNEMPLOYMENT_END = "unemployment_end", _("Unemployment registration ended")


class EmploymentForm(models.TextChoices):
    UNIT = "unit", _("Employed by a unit")
    FLEXIBLE = "flexible", _("Flexible employment")
    SELF_EMPLOYED = "self_employed", _("Self-employed / started a business")
    PUBLIC_WELFARE = "public_welfare", _("Public-welfare post")


class ContractType(models.TextChoices):
    FIXED = "fixed", _("Fixed-term contract")
    OPEN_ENDED = "open_ended", _("Open-ended contract")
    TASK = "task", _("Contract for a task")
    NONE = "none", _("No written contract")


class WorkPlace(models.TextChoices):
    IN_COUNTY = "in_county", _("Inside the county")
    IN_PROVINCE = "in_province", _("Inside the province, outside the county")
    OUT_PROVINCE = "out_province", _("Outside the province")


class EmploymentEvent(models.Model):
    """One registration event. Never updated: a correction is a new event that ``supersedes``
    the wrong one."""

    person = models.ForeignKey(
        Person, models.CASCADE, related_name="events", verbose_name=_("person")
    )
    kind = models.CharField(_("event"), max_length=16, choices=EventKind.choices)
    occurred_on = models.DateField(_("date"))
    # Where the registration was made (the handling bureau's region).
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    employer = models.ForeignKey(
        Employer,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("employer"),
    )
    employer_name = models.CharField(_("employer name"), max_length=200, blank=True)
    form = models.CharField(
        _("form of employment"), max_length=16, choices=EmploymentForm.choices, blank=True
    )
    contract_type = models.CharField(
        _("contract type"), max_length=12, choices=ContractType.choices, blank=True
    )
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    work_place = models.CharField(
        _("place of work"), max_length=12, choices=WorkPlace.choices, blank=True
    )
    work_region_code = models.CharField(_("work region"), max_length=12, blank=True)
    occupation_code = models.CharField(_("occupation"), max_length=12, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    supersedes = models.OneToOneField(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    source = models.CharField(_("source"), max_length=20, default="manual")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("registration event")
        verbose_name_plural = _("registration events")
        ordering = ["occurred_on", "id"]
        indexes = [
            models.Index(fields=["person", "occurred_on"], name="event_person_idx"),
            models.Index(fields=["kind", "occurred_on"], name="event_kind_date_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_on}"


class InsuranceType(models.TextChoices):
    PENSION = "pension", _("Pension insurance")
    MEDICAL = "medical", _("Medical insurance")
    UNEMPLOYMENT = "unemployment", _("Unemployment insurance")
    INJURY = "injury", _("Work-injury insurance")
    MATERNITY = "maternity", _("Maternity insurance")


class InsuranceContribution(models.Model):
    """A month of contributions as the social-insurance system reports it."""

    person = models.ForeignKey(
        Person, models.CASCADE, related_name="contributions", verbose_name=_("person")
    )
    employer = models.ForeignKey(
        Employer,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("employer"),
    )
    insurance_type = models.CharField(_("insurance"), max_length=12, choices=InsuranceType.choices)
    month = models.DateField(_("month"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    # The unit's own share of ``amount`` where the social-insurance system reports the split
    # (社会保险补贴 for employers reimburses exactly that share); blank when it does not.
    employer_amount = models.DecimalField(
        _("employer's share"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    is_back_payment = models.BooleanField(_("back payment"), default=False)

    class Meta:
        verbose_name = _("insurance contribution")
        verbose_name_plural = _("insurance contributions")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "employer", "insurance_type", "month"], name="contribution_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["person", "insurance_type", "month"], name="contribution_person_idx"
            )
        ]

    def __str__(self):
        return f"{self.person_id} {self.insurance_type} {self.month:%Y-%m}: {self.amount}"
