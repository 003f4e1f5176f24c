from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiuye.core.models import TimeStampedModel


class Role(models.TextChoices):
    SYSADMIN = "sysadmin", _("System administrator")
    OPERATOR = "operator", _("Case officer")
    REVIEWER = "reviewer", _("Reviewer")
    LEADER = "leader", _("Leader (read-only)")


class User(AbstractUser):
    """A person who logs in. What they may see and do comes from their role assignments."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The region the account belongs to: administrators manage users whose home region lies
    # inside their own scope. Role assignments may not reach outside it.
    home_region_code = models.CharField(_("home region"), max_length=12, blank=True, db_index=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.full_name or self.username

    @property
    def region_code(self) -> str:
        return self.home_region_code


class RoleAssignment(TimeStampedModel):
    """A role held at a region: everything the role allows, at that region and below it."""

    user = models.ForeignKey(
        User, models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "region_code"], name="role_assignment_unique"
            )
        ]

    def __str__(self):
        return f"{self.user} {self.get_role_display()} @ {self.region_code}"


class ApiToken(TimeStampedModel):
    """A bearer token for other systems; only its SHA-256 digest is stored."""

    user = models.ForeignKey(
        User, models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, db_index=True)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
