"""User administration: the one layer that creates users, gives and takes roles, (de)activates users and
issues the one-time link with which a user sets a password — for IMDi's administrators and for a
municipality's own administrator (*Lokal administrator*).

Who may administer whom is decided here, with the permissions of ``nir.access.policy``:

* ``administer`` (IMDi's administrators, superusers): every user of every organisation, every role
  the organisation's kind may hold (``allowed_roles``);
* ``users.manage`` without ``administer`` (a local administrator): only the users of its own
  organisation, only the municipality's own roles (``policy.LOCAL_ROLES``: never an IMDi role, never
  a county governor's), and never a superuser;
* anyone else: nobody.

Every change is one transaction with its audit event (``nir.access.audit``, action «write», purpose
«forvaltning»); a refused change raises ``RefusedChange`` (the reason, bokmål) and changes nothing;
a change of a user outside the administrator's reach raises ``OutsideReach``, which the pages answer
as *not found* (404) and record as a refused event. Users and roles are not the register's personal
data: these writes are not register actions (``tests/actions/test_only_actions_write.py`` scans the
register), but they are made here and nowhere else — the web pages call these functions.

The first password: a new user gets no password (``set_unusable_password``); the administrator is
shown, once, a link with Django's password-reset token (``default_token_generator``) that the user
opens to choose a password (``nir.web.login.PasswordSetView``). The token is valid for
``PASSWORD_RESET_TIMEOUT`` and only until a password is set (the token signs the password hash and
the last login), and nobody but the user ever knows the password; no e-mail is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from nir.access import audit, policy
from nir.access.models import AuditAction, AuditChannel, AuditOutcome, AuditPurpose, Organisation, Role, RoleAssignment

P = policy.Permission

WHAT_LABELS = {
    "administer:user-create": "Administrering: bruker opprettet",
    "administer:role-add": "Administrering: rolle lagt til",
    "administer:role-remove": "Administrering: rolle fjernet",
    "administer:user-active": "Administrering: bruker aktivert/deaktivert",
    "administer:password-link": "Administrering: lenke for å sette passord laget",
    "administer:password-set": "Passord satt med engangslenke",
    "administer:refused": "Administrering: endring av bruker avvist",
}


class RefusedChange(Exception):
    """A change of a user that is not allowed; the message says why (bokmål)."""


class OutsideReach(Exception):
    """The user (or organisation) is not one this administrator may administer."""


# --- who may administer whom ---------------------------------------------------------------------


def administers_all(principal) -> bool:
    """IMDi's administrators (and superusers): every user of every organisation."""
    return policy.allows(principal, P.ADMINISTER)


def may_manage_users(principal) -> bool:
    return policy.allows(principal, P.MANAGE_USERS)


def allowed_roles(kind: str) -> list[Role]:
    """The roles a user of an organisation of ``kind`` may be given: those whose permissions the kind
    may hold in full (``policy.ORGANISATION_CEILING``), and the kind's usual role (``policy.DEFAULT_ROLE``)."""
    ceiling = policy.ORGANISATION_CEILING.get(kind, frozenset())
    default = policy.DEFAULT_ROLE.get(kind)
    return [
        r for r in Role if r == default or (policy.ROLE_PERMISSIONS.get(r) and policy.ROLE_PERMISSIONS[r] <= ceiling)
    ]


def manageable_organisations(principal) -> QuerySet:
    """The organisations in which ``principal`` may create users and give roles."""
    if administers_all(principal):
        return Organisation.objects.all()
    if may_manage_users(principal) and principal.organisation_id is not None:
        return Organisation.objects.filter(pk=principal.organisation_id, active=True)
    return Organisation.objects.none()


def manageable_users(principal) -> QuerySet:
    """The users ``principal`` may see and change on the user pages."""
    User = get_user_model()
    if administers_all(principal):
        return User.objects.all()
    if may_manage_users(principal) and principal.organisation_id is not None:
        return User.objects.filter(organisation_id=principal.organisation_id, is_superuser=False)
    return User.objects.none()


def grantable_roles(principal, organisation) -> list[Role]:
    """The roles ``principal`` may give (and take) in ``organisation``."""
    if organisation is None or not manageable_organisations(principal).filter(pk=organisation.pk).exists():
        return []
    roles = allowed_roles(organisation.kind)
    if administers_all(principal):
        return roles
    return [r for r in roles if r in policy.LOCAL_ROLES]


def may_change(principal, target) -> bool:
    """Whether ``principal`` may change ``target`` (only a superuser changes a superuser)."""
    if target.is_superuser and not principal.is_superuser:
        return False
    return manageable_users(principal).filter(pk=target.pk).exists()


def _role_label(code: str) -> str:
    try:
        return Role(code).label
    except ValueError:
        return code


def _record(request, actor, what: str, filters: dict, outcome: str = AuditOutcome.ALLOWED) -> None:
    audit.record(
        actor_user=actor,
        request=request,
        action=AuditAction.WRITE,
        channel=AuditChannel.WEB,
        what=what,
        purpose=AuditPurpose.ADMINISTRATION,
        filters=filters,
        outcome=outcome,
    )


def record_refusal(request, actor, what: str, filters: dict) -> None:
    """A change outside the administrator's reach, recorded as refused (outside any rolled-back transaction)."""
    _record(request, actor, "administer:refused", {"attempt": what, **filters}, AuditOutcome.DENIED)


def _require_change(principal, target) -> None:
    if not may_change(principal, target):
        raise OutsideReach(target.pk)


# --- the changes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewUser:
    username: str
    first_name: str
    last_name: str
    email: str
    organisation: Organisation
    roles: tuple[str, ...]


def password_token(user) -> tuple[str, str]:
    """(uidb64, token) of the one-time link with which ``user`` sets a password (the page
    ``password_set``, Django's password-reset token)."""
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def validate_new_user(principal, new: NewUser) -> dict[str, str]:
    """Field → reason (bokmål) for everything wrong with ``new``; empty when it can be created."""
    User = get_user_model()
    errors: dict[str, str] = {}
    username = new.username.strip()
    if not username:
        errors["username"] = _("Enter a username.")
    elif len(username) > 150:
        errors["username"] = _("The username can be at most 150 characters.")
    else:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            errors["username"] = _("A username can have letters, digits and @ . + - _ only.")
        else:
            if User.objects.filter(username__iexact=username).exists():
                errors["username"] = _('The username "%(username)s" is taken.') % {"username": username}
    if not new.first_name.strip() or not new.last_name.strip():
        errors["name"] = _("Enter the user's first name and last name.")
    if new.email.strip():
        try:
            validate_email(new.email.strip())
        except ValidationError:
            errors["email"] = _("Enter a valid e-mail address.")
    if new.organisation is None:
        errors["organisation"] = _("Choose an organisation.")
    elif not new.roles:
        errors["roles"] = _("Choose at least one role.")
    else:
        grantable = grantable_roles(principal, new.organisation)
        bad = [r for r in new.roles if r not in grantable]
        if bad:
            errors["roles"] = _('You cannot give the role "%(role)s" in %(org)s.') % {
                "role": _role_label(bad[0]),
                "org": new.organisation.name,
            }
    return errors


def create_user(request, principal, new: NewUser):
    """Create the user with its roles in its organisation, without a password; audited. Raises
    ``OutsideReach`` for an organisation ``principal`` may not administer and ``RefusedChange`` for
    anything else wrong (``validate_new_user``)."""
    if new.organisation is None or not manageable_organisations(principal).filter(pk=new.organisation.pk).exists():
        raise OutsideReach(getattr(new.organisation, "code", None))
    errors = validate_new_user(principal, new)
    if errors:
        raise RefusedChange(" ".join(errors.values()))
    User = get_user_model()
    with transaction.atomic():
        user = User(
            username=new.username.strip(),
            first_name=new.first_name.strip(),
            last_name=new.last_name.strip(),
            email=new.email.strip(),
            organisation=new.organisation,
            is_active=True,
        )
        user.set_unusable_password()
        user.save()
        for role in sorted(set(new.roles)):
            RoleAssignment.objects.create(user=user, role=role, organisation=new.organisation)
        _record(
            request,
            principal,
            "administer:user-create",
            {
                "user": user.username,
                "user_id": user.pk,
                "organisation": new.organisation.code,
                "roles": sorted(set(new.roles)),
            },
        )
    return user


def issue_password_link(request, principal, target) -> tuple[str, str]:
    """A new one-time link for ``target`` to set a password (shown to the administrator once): its
    (uidb64, token); audited."""
    _require_change(principal, target)
    if not target.is_active:
        raise RefusedChange(_("Activate the user before giving it a link to set a password."))
    with transaction.atomic():
        _record(request, principal, "administer:password-link", {"user": target.username, "user_id": target.pk})
    return password_token(target)


def record_password_set(request, user) -> None:
    """The user set a password with its one-time link (the actor is the user)."""
    _record(request, user, "administer:password-set", {"user": user.username, "user_id": user.pk})


def add_role(request, principal, target, role: str) -> str:
    _require_change(principal, target)
    org = target.organisation
    if org is None:
        raise RefusedChange(_("The user belongs to no organisation, so no role can be given."))
    if role not in Role.values:
        raise RefusedChange(_("Choose a role."))
    if role not in grantable_roles(principal, org):
        if role in allowed_roles(org.kind):
            raise RefusedChange(
                _('You cannot give the role "%(role)s": only IMDi gives it.') % {"role": _role_label(role)}
            )
        raise RefusedChange(
            _('The role "%(role)s" cannot be given in an organisation of the kind "%(kind)s".')
            % {"role": _role_label(role), "kind": org.get_kind_display()}
        )
    with transaction.atomic():
        _assignment, created = RoleAssignment.objects.get_or_create(user=target, role=role, organisation=org)
        if not created:
            raise RefusedChange(_('The user already has the role "%(role)s".') % {"role": _role_label(role)})
        _record(
            request,
            principal,
            "administer:role-add",
            {"user": target.username, "user_id": target.pk, "role": role, "organisation": org.code},
        )
    return _('The role "%(role)s" was given to %(user)s.') % {"role": _role_label(role), "user": target.username}


def _grants(role: str, permission) -> bool:
    return permission in policy.ROLE_PERMISSIONS.get(role, frozenset())


def remove_role(request, principal, target, assignment_id: str) -> str:
    _require_change(principal, target)
    try:
        assignment = RoleAssignment.objects.select_related("organisation").get(pk=int(assignment_id), user=target)
    except (ValueError, RoleAssignment.DoesNotExist):
        raise RefusedChange(_("The role assignment no longer exists.")) from None
    if not administers_all(principal) and assignment.role not in policy.LOCAL_ROLES:
        raise RefusedChange(
            _('You cannot remove the role "%(role)s": only IMDi changes it.') % {"role": _role_label(assignment.role)}
        )
    # Nobody removes their own access to the user administration (IMDi's: administer; local: users.manage).
    own = P.ADMINISTER if administers_all(principal) else P.MANAGE_USERS
    if (
        target.pk == principal.pk
        and _grants(assignment.role, own)
        and not any(
            _grants(a.role, own)
            for a in target.role_assignments.filter(organisation_id=target.organisation_id).exclude(pk=assignment.pk)
        )
    ):
        raise RefusedChange(_("You cannot remove your own access to administration."))
    with transaction.atomic():
        assignment.delete()
        _record(
            request,
            principal,
            "administer:role-remove",
            {
                "user": target.username,
                "user_id": target.pk,
                "role": assignment.role,
                "organisation": assignment.organisation.code,
            },
        )
    return _('The role "%(role)s" was removed from %(user)s.') % {
        "role": _role_label(assignment.role),
        "user": target.username,
    }


def set_active(request, principal, target, value: str) -> str:
    _require_change(principal, target)
    if value not in ("1", "0"):
        raise RefusedChange(_("Choose active or inactive."))
    active = value == "1"
    if target.pk == principal.pk and not active:
        raise RefusedChange(_("You cannot deactivate your own user."))
    if target.is_active == active:
        return (
            _("%(user)s is active.") % {"user": target.username}
            if active
            else _("%(user)s is inactive.") % {"user": target.username}
        )
    with transaction.atomic():
        target.is_active = active
        target.save(update_fields=["is_active"])
        _record(
            request,
            principal,
            "administer:user-active",
            {"user": target.username, "user_id": target.pk, "active": active},
        )
    return (_("%(user)s was activated.") if active else _("%(user)s was deactivated.")) % {"user": target.username}
