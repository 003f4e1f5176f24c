from django.contrib import admin

from jiuye.regions.models import Region, ServicePoint


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "code_source", "valid_from", "valid_to"]
    list_filter = ["level", "code_source"]
    search_fields = ["code", "name", "pinyin_initials"]
    raw_id_fields = ["parent"]


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region_code", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "region_code", "address"]
