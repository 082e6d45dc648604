from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from nir.access import audit
from nir.access.forms import ThrottledAdminAuthenticationForm
from nir.access.models import (
    ApiClient,
    ApiClientKey,
    AuditAction,
    AuditChannel,
    AuditEvent,
    AuditEventPerson,
    AuditPurpose,
    Organisation,
    RoleAssignment,
    User,
)

# The admin's login counts failures like the application's own (nir.access.throttle).
admin.site.login_form = ThrottledAdminAuthenticationForm


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Organisasjon", {"fields": ("organisation",)}),
        ("ID-porten (OpenID Connect)", {"fields": ("oidc_subject",)}),
    )
    list_display = ("username", "first_name", "last_name", "organisation", "is_active")
    inlines = [RoleInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "municipality_number", "district_number")
    list_filter = ("kind",)
    search_fields = ("code", "name")


class ApiClientKeyInline(admin.TabularInline):
    model = ApiClientKey
    extra = 0
    fields = ("kid", "algorithm", "public_key", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("created_at",)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("client_id", "name", "organisation", "source_system", "scopes", "active")
    inlines = [ApiClientKeyInline]


class AuditEventPersonInline(admin.TabularInline):
    model = AuditEventPerson
    extra = 0
    fields = ("person",)
    readonly_fields = ("person",)
    can_delete = False
    max_num = 0
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only (append-only in the database as well: nir.access.db)."""

    list_display = (
        "when",
        "actor_kind",
        "user",
        "api_client",
        "system",
        "organisation",
        "action",
        "channel",
        "what",
        "person_count",
        "outcome",
    )
    list_filter = ("action", "channel", "actor_kind", "outcome")
    search_fields = ("user__username", "organisation__code", "what", "request_id")
    date_hierarchy = "when"
    list_select_related = ("user", "api_client", "organisation")
    inlines = [AuditEventPersonInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """One event with its persons (DUF numbers): reading it is recorded, as ``nir audit search``."""
        response = super().change_view(request, object_id, form_url, extra_context)
        event = self.get_object(request, object_id) if response.status_code == 200 else None
        if event is not None:
            audit.record(
                request=request,
                action=AuditAction.SEARCH,
                channel=AuditChannel.WEB,
                what="audit-log:event",
                purpose=AuditPurpose.SUPERVISION,
                filters={"event": event.pk},
                persons=event.person_links.values_list("person_id", flat=True),
            )
        return response

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
