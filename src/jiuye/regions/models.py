from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiuye.core.models import TimeStampedModel


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("Province")
    CITY = 2, _("City")
    COUNTY = 3, _("County")
    TOWNSHIP = 4, _("Township")
    VILLAGE = 5, _("Village")


class CodeSource(models.TextChoices):
    GB2260 = "gb2260", _("GB/T 2260 official code")
    NBS = "nbs", _("NBS statistical code")
    ASSIGNED = "assigned", _("Assigned in order (no official code loaded)")


class RegionQuerySet(models.QuerySet):
    def current(self):
        return self.filter(valid_to__isnull=True)

    def valid_on(self, day):
        return self.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gt=day))

    def within(self, prefix: str):
        return self.filter(code__startswith=prefix)


class Region(TimeStampedModel):
    """One statistical division at one time. A code that disappears keeps its row (valid_to)."""

    code = models.CharField(_("division code"), max_length=12, db_index=True)
    prefix = models.CharField(
        _("significant digits"), max_length=12, help_text=_("2/4/6/9/12 leading digits")
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    urban_rural_code = models.CharField(_("urban-rural type"), max_length=3, blank=True)
    code_source = models.CharField(
        _("code source"), max_length=10, choices=CodeSource.choices, default=CodeSource.GB2260
    )
    pinyin = models.CharField(_("pinyin"), max_length=300, blank=True)
    pinyin_initials = models.CharField(_("pinyin initials"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(valid_to__isnull=True),
                name="region_code_current_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["prefix"], name="region_prefix_idx"),
            models.Index(fields=["pinyin_initials"], name="region_initials_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class ServicePointKind(models.TextChoices):
    SERVICE_POINT = "service_point", _("Grassroots service point")
    GIG_MARKET = "gig_market", _("Gig market")
    GIG_STATION = "gig_station", _("Gig station")
    HR_MARKET = "hr_market", _("Human resources market")


class ServicePoint(TimeStampedModel):
    """A place where people are served: 基层服务点, 零工市场, 零工驿站, 人力资源市场."""

    kind = models.CharField(_("type"), max_length=20, choices=ServicePointKind.choices)
    name = models.CharField(_("name"), max_length=100)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["region_code", "kind", "name"]

    def __str__(self):
        return self.name
