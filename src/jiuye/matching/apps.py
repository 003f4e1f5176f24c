from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "jiuye.matching"
    label = "matching"
    verbose_name = _("Matching")

    def ready(self):
        from jiuye.accounts.permissions import Perm
        from jiuye.core.audit import register_labels
        from jiuye.matching.occupation_fill import AUDIT_LABELS as OCCUPATION_LABELS
        from jiuye.web import panels
        from jiuye.web.navigation import NavItem, register

        register(
            NavItem(
                "internships",
                _("Internship allocation"),
                "matching:allocation_rounds",
                Perm.VIEW,
                order=60,
            )
        )
        register(
            NavItem(
                "occupations",
                _("Occupation coding"),
                "matching:occupations",
                Perm.VIEW,
                order=70,
            )
        )
        register_labels(OCCUPATION_LABELS)
        from jiuye.matching.views.recommend import register_panels

        register_panels()
        register(
            NavItem(
                "supply_demand",
                _("Supply and demand"),
                "matching:supply_demand",
                Perm.VIEW,
                order=55,
            )
        )
        register_labels({"matching.supply_demand.export": _("Supply and demand exported")})
        panels.register(
            panels.Panel(
                "internships",
                "person",
                _("Internship allocation"),
                "matching:allocation_person_panel",
                Perm.VIEW,
                order=60,
            )
        )
        register_labels(
            {
                "matching.round.create": _("Allocation round created"),
                "matching.round.post_add": _("Internship post added"),
                "matching.round.post_update": _("Internship post changed"),
                "matching.round.applicant_add": _("Applicant added"),
                "matching.round.applicant_update": _("Applicant's choices changed"),
                "matching.round.import": _("Choices imported"),
                "matching.round.run": _("Allocation run"),
                "matching.round.publish": _("Allocation published"),
                "matching.round.export": _("Allocation exported"),
            }
        )
