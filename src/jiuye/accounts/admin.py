from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from jiuye.accounts.models import ApiToken, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "home_region_code", "is_active", "last_login"]
    search_fields = ["username", "full_name", "phone"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Jiuye", {"fields": ["full_name", "phone", "home_region_code"]}),
    ]
    inlines = [RoleAssignmentInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["prefix", "digest", "last_used_at"]
