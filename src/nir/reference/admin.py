from django.contrib import admin

from nir.reference.models import CodeEntry, County, District, Municipality


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "valid_from", "valid_to")


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "county", "population", "valid_from", "valid_to")
    search_fields = ("number", "name")
    list_filter = ("county",)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "municipality_number", "valid_from", "valid_to")


@admin.register(CodeEntry)
class CodeEntryAdmin(admin.ModelAdmin):
    list_display = ("list", "code", "label", "valid_from", "valid_to", "verified")
    list_filter = ("list", "verified")
    search_fields = ("code", "label")
