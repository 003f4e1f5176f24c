from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jiuye.jobs"
    label = "jobs"
    verbose_name = _("Jobs")

    def ready(self):
        from jiuye.accounts.permissions import Perm
        from jiuye.core.audit import register_labels
        from jiuye.web import navigation, panels

        register_labels(
            {
                "jobs.posting.create": _("Posting created"),
                "jobs.posting.update": _("Posting changed"),
                "jobs.posting.submit": _("Submitted for review"),
                "jobs.posting.approve": _("Approved and published"),
                "jobs.posting.reject": _("Returned to draft by the reviewer"),
                "jobs.posting.withdraw": _("Posting withdrawn"),
                "jobs.posting.fill": _("Posting filled"),
                "jobs.posting.expire": _("Posting expired"),
                "jobs.posting.import_create": _("Posting imported"),
                "jobs.posting.import_update": _("Posting updated by an import"),
                "jobs.posting.export": _("Postings exported"),
                "jobs.application.create": _("Referred to a job"),
                "jobs.application.interview": _("Interview scheduled"),
                "jobs.interview.result": _("Interview result recorded"),
                "jobs.application.offer": _("Job offered"),
                "jobs.application.hire": _("Hired"),
                "jobs.application.reject": _("Application rejected"),
                "jobs.application.withdraw": _("Application withdrawn"),
                "registry.intention.end": _("Job intentions ended"),
                "registry.import.postings": _("Job postings imported"),
                "jobs.fair.create": _("Job fair created"),
                "jobs.fair.update": _("Job fair changed"),
                "jobs.fair.add_employer": _("Employer joined the fair"),
                "jobs.fair.add_posting": _("Posting offered at the fair"),
                "jobs.fair.register": _("Attendee registered"),
                "jobs.fair.check_in": _("Attendee checked in"),
                "jobs.fair.intention": _("Intention signed"),
                "jobs.fair.outcome": _("Intention outcome recorded"),
                "jobs.fair.status": _("Job fair status changed"),
                "jobs.fair.export": _("Job fair results exported"),
            }
        )
        navigation.register(
            navigation.NavItem("jobs", _("Jobs"), "jobs:postings", Perm.VIEW, order=50)
        )
        navigation.register(
            navigation.NavItem("fairs", _("Job fairs"), "jobs:fairs", Perm.VIEW, order=55)
        )
        panels.register(
            panels.Panel(
                "applications",
                "person",
                _("Job applications"),
                "jobs:person_applications",
                Perm.VIEW,
                order=20,
            )
        )

        from jiuye.jobs.imports import POSTING_SPEC
        from jiuye.registry.imports import register_kind

        register_kind(POSTING_SPEC, _("Job postings"))
