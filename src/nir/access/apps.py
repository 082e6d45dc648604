from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class AccessConfig(AppConfig):
    name = "nir.access"
    label = "access"
    verbose_name = "Tilgang"

    def ready(self):
        post_migrate.connect(_install_audit_triggers, sender=self)
        post_migrate.connect(_load_organisations, sender=self)
        _guard_admin_site()
        from nir.access import sessions  # noqa: F401  (a login starts the session's working day)
        from nir.access.models import ApiClient, Organisation

        for model in (ApiClient, Organisation):  # a deactivated client stops at once in this process
            post_save.connect(_forget_clients, sender=model, dispatch_uid=f"forget-clients-{model.__name__}")


def _forget_clients(sender, **kwargs):
    from nir.access.oauth import forget_clients

    forget_clients()


def _guard_admin_site():
    """Django's admin is for staff who hold ``administer`` (nir.access.policy): IMDi's administrators."""
    from django.contrib import admin

    from nir.access import policy

    def has_permission(request):
        user = request.user
        return user.is_active and user.is_staff and policy.allows(user, policy.Permission.ADMINISTER)

    admin.site.has_permission = has_permission


def _load_organisations(sender, using, **kwargs):
    """After every migrate: IMDi, every municipality, district, county and county governor as an
    organisation (idempotent). The reference app, earlier in INSTALLED_APPS, has loaded the
    reference data they are derived from by then."""
    from nir.access.loaders import load_organisations

    load_organisations(using)


def _install_audit_triggers(sender, using, **kwargs):
    from nir.access.db import audit_append_only_tables
    from nir.register.db import install_append_only

    install_append_only(using, audit_append_only_tables())
    # Every app's migrations have run before the first post_migrate: the application's PostgreSQL
    # role gets the grants of every table, new ones included (nir.access.dbrole).
    from nir.access.dbrole import grant_after_migrate

    grant_after_migrate(using)
