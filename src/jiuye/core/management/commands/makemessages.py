"""``makemessages`` that also extracts ``_t(...)``: the policy rules and actions import
``gettext as _t`` (``_`` being their lazy ``gettext_lazy``), and the stock command would miss
every message written that way."""

from django.core.management.commands.makemessages import Command as MakeMessagesCommand


class Command(MakeMessagesCommand):
    xgettext_options = [*MakeMessagesCommand.xgettext_options, "--keyword=_t"]
