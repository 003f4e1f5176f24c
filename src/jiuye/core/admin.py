from django.contrib import admin

from jiuye.core.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is written by actions, never edited."""

    list_display = [
        "created_at",
        "actor_username",
        "action",
        "object_type",
        "object_repr",
        "region_code",
        "ip_address",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_repr", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
