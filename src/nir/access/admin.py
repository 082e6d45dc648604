from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from nir.access.models import ApiClient, Organisation, RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("Organisasjon", {"fields": ("organisation",)}),)
    list_display = ("username", "first_name", "last_name", "organisation", "is_active")
    inlines = [RoleInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "municipality_number", "district_number")
    list_filter = ("kind",)
    search_fields = ("code", "name")


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("client_id", "name", "organisation", "source_system", "active")
