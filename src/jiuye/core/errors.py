"""Error codes shared by pages and the API (one enum; messages in Chinese with English)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ErrorCode(models.TextChoices):
    INVALID = "invalid", _("The request is not valid.")
    NOT_FOUND = "not_found", _("Not found, or outside your region.")
    NOT_AUTHENTICATED = "not_authenticated", _("Please log in first.")
    PERMISSION_DENIED = "permission_denied", _("Your role does not allow this.")
    OUT_OF_SCOPE = "out_of_scope", _("That region is outside your jurisdiction.")
    CONFLICT = "conflict", _("This conflicts with existing data.")
    INVALID_ID_NUMBER = "invalid_id_number", _("The ID number is not valid.")
    INVALID_USCC = "invalid_uscc", _("The unified social credit code is not valid.")
    INVALID_REGION = "invalid_region", _("No such region.")
    INVALID_FILE = "invalid_file", _("The file cannot be read.")


class JiuyeError(Exception):
    """An error an action raises for the caller to show: a code, a message, an HTTP status."""

    status = 400

    def __init__(self, code: ErrorCode, message=None, *, status: int | None = None, detail=None):
        self.code = code
        self.message = message if message is not None else code.label
        self.detail = detail
        if status is not None:
            self.status = status
        super().__init__(str(self.message))


class PermissionDeniedError(JiuyeError):
    status = 403

    def __init__(self, message=None):
        super().__init__(ErrorCode.PERMISSION_DENIED, message)


class NotFoundError(JiuyeError):
    status = 404

    def __init__(self, message=None):
        super().__init__(ErrorCode.NOT_FOUND, message)
