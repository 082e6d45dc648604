"""IMDi's pages: Organisasjoner, Administrering (users and roles, API clients, the audit log) and
Hjelpetekster.

    /organisasjoner/                          organisations, by kind and search, with their number of users
    /organisasjoner/<code>/                   one organisation: its users and their roles, its API clients
    /administrering/                          the start page of the administration
    /administrering/brukere/                  users: search, organisation, role, active; 50 a page
    /administrering/brukere/<id>/             one user: roles (add/remove within the user's organisation,
                                              only roles its kind allows), active on/off — audited
    /administrering/klienter/                 API clients and their keys; revoke a key (``nir clients revoke-key``)
    /administrering/tilgangslogg/             search the audit log (``nir.access.audit.search``), newest first
    /administrering/tilgangslogg/person/<duf>.csv
                                              one person's own access log (GDPR art. 15), as ``nir audit person``
    /hjelpetekster/                           every help text: title, text, last edited by/when
    /hjelpetekster/<key>/                     edit a help text (a new version, ``nir.web.help.save_text``)

Access: ``policy.WEB_RULES`` (``administer``; ``audit.read`` for the audit log), applied by the
middleware. Every change is a POST with CSRF, answered by a redirect (PRG) and a message; a refused
change re-renders the page with the reason (status 400) and changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from nir import spreadsheet
from nir.access import audit, oauth, policy
from nir.access import users as users_admin
from nir.access.audit_labels import what_label
from nir.access.management.commands.audit import PERSON_COLUMNS, SYSTEM_ORGANISATION, person_access_rows
from nir.access.models import (
    ApiClient,
    ApiClientKey,
    AuditAction,
    AuditChannel,
    AuditEvent,
    AuditPurpose,
    Organisation,
    OrganisationKind,
    Role,
    RoleAssignment,
)
from nir.access.persons import PersonNotFound, find_person, is_duf
from nir.access.users import allowed_roles  # noqa: F401 — the roles an organisation's kind may hold
from nir.isodates import parse_typed_date
from nir.web import help as help_texts_store
from nir.web.limits import export_rate_limited
from nir.web.models import HelpText

PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50
CLIENT_PAGE_SIZE = 25

# What the web pages record in the audit log, in the words of ``nir audit``'s labels.
WEB_WHAT_LABELS = {
    "explain": "Forklaring fra Regelmotor",
    **users_admin.WHAT_LABELS,
    "administer:key-revoke": "Administrering: klientnøkkel trukket tilbake",
}


def _what(what: str) -> str:
    return WEB_WHAT_LABELS.get(what) or what_label(what)


def _qs(values: dict) -> str:
    items = [(k, v) for k, v in values.items() if v not in (None, "")]
    return "?" + urlencode(items) if items else ""


def _reverse(name: str, *args) -> str:
    return reverse(name, args=args)


@dataclass
class Pager:
    page: int
    prev_url: str
    next_url: str
    pages: int | None = None  # unknown for the audit log (no COUNT over the whole log)
    count: int | None = None


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _paginate(request, qs, size: int, filters: dict) -> tuple[list, Pager]:
    """A page of ``qs`` (COUNT + one page), and links that keep the filters."""
    paginator = Paginator(qs, size)
    page = paginator.get_page(_page_number(request))
    base = request.path
    pager = Pager(
        page=page.number,
        pages=paginator.num_pages,
        count=paginator.count,
        prev_url=base + _qs({**filters, "page": page.number - 1 if page.number > 2 else ""})
        if page.has_previous()
        else "",
        next_url=base + _qs({**filters, "page": page.number + 1}) if page.has_next() else "",
    )
    return list(page.object_list), pager


def admin_nav(request, current: str) -> list[dict]:
    """The pages of the administration this user may open (the same decision as the middleware)."""
    items = [
        ("administration", _("Overview")),
        ("admin_users", _("Users")),
        ("organisations", _("Organisations")),
        ("admin_clients", _("API clients")),
        ("audit_search", _("Audit log")),
        ("help_texts", _("Help texts")),
    ]
    return [
        {"url": reverse(name), "label": label, "current": name == current}
        for name, label in items
        if policy.page_allowed(request.user, name)
    ]


# --- roles --------------------------------------------------------------------------------------


def _role_label(code: str) -> str:
    try:
        return Role(code).label
    except ValueError:
        return code


# --- organisations ------------------------------------------------------------------------------


@never_cache
@require_GET
def organisations(request):
    kind = request.GET.get("kind", "").strip()
    q = request.GET.get("q", "").strip()[:100]
    qs = Organisation.objects.select_related("parent").annotate(n_users=Count("users")).order_by("kind", "code")
    if kind in OrganisationKind.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(municipality_number=q))
    rows, pager = _paginate(request, qs, PAGE_SIZE, {"kind": kind, "q": q})
    return render(
        request,
        "web/admin/organisations.html",
        {
            "organisations": rows,
            "pager": pager,
            "kind": kind,
            "q": q,
            "kinds": OrganisationKind.choices,
            "nav": admin_nav(request, "organisations"),
        },
    )


@never_cache
@require_GET
def organisation(request, code: str):
    org = get_object_or_404(Organisation.objects.select_related("parent"), code=code)
    users_qs = (
        get_user_model()
        .objects.filter(organisation=org)
        .order_by("username")
        .prefetch_related(Prefetch("role_assignments", queryset=RoleAssignment.objects.order_by("role")))
    )
    users, pager = _paginate(request, users_qs, PAGE_SIZE, {})
    for u in users:
        u.roles_here = [_role_label(a.role) for a in u.role_assignments.all() if a.organisation_id == org.pk]
        u.roles_elsewhere = sum(1 for a in u.role_assignments.all() if a.organisation_id != org.pk)
    clients = list(
        org.api_clients.order_by("client_id").prefetch_related(
            Prefetch("keys", queryset=ApiClientKey.objects.order_by("created_at"))
        )
    )
    now = timezone.now()
    for c in clients:
        for k in c.keys.all():
            k.status, k.status_label = key_status(k, now)
    return render(
        request,
        "web/admin/organisation.html",
        {
            "org": org,
            "users": users,
            "pager": pager,
            "clients": clients,
            "children": list(org.children.order_by("code")),
            "allowed_roles": [r.label for r in allowed_roles(org.kind)],
            "permissions": sorted(p.label for p in policy.ORGANISATION_CEILING.get(org.kind, ())),
            "municipality_url": _reverse("municipality", org.municipality_number) if org.municipality_number else "",
            "nav": admin_nav(request, "organisations"),
        },
    )


# --- administration start page ------------------------------------------------------------------


@never_cache
@require_GET
def administration(request):
    User = get_user_model()
    users = User.objects.aggregate(total=Count("id"), active=Count("id", filter=Q(is_active=True)))
    keys = ApiClientKey.objects.aggregate(total=Count("id"), active=Count("id", filter=Q(revoked_at__isnull=True)))
    return render(
        request,
        "web/admin/administration.html",
        {
            "users": users,
            "keys": keys,
            "clients": ApiClient.objects.count(),
            "help_count": len(
                set(help_texts_store.defaults()) | set(HelpText.objects.values_list("key", flat=True).distinct())
            ),
            "django_admin_url": _reverse("admin:index"),
            "nav": admin_nav(request, "administration"),
        },
    )


# --- users --------------------------------------------------------------------------------------


@never_cache
@require_GET
def users(request):
    q = request.GET.get("q", "").strip()[:100]
    org_code = request.GET.get("organisation", "").strip()
    role = request.GET.get("role", "").strip()
    active = request.GET.get("active", "").strip()
    qs = (
        users_admin.manageable_users(request.user)
        .select_related("organisation")
        .order_by("username")
        .prefetch_related(Prefetch("role_assignments", queryset=RoleAssignment.objects.order_by("role")))
    )
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
    if org_code:
        qs = qs.filter(organisation__code=org_code)
    if role in Role.values:
        # a role counts only in the user's own organisation (nir.access.policy)
        qs = qs.filter(role_assignments__role=role, role_assignments__organisation=F("organisation"))
    else:
        role = ""
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    else:
        active = ""
    rows, pager = _paginate(request, qs, PAGE_SIZE, {"q": q, "organisation": org_code, "role": role, "active": active})
    for u in rows:
        u.roles = [
            {"label": _role_label(a.role), "in_effect": a.organisation_id == u.organisation_id}
            for a in u.role_assignments.all()
        ]
    return render(
        request,
        "web/admin/users.html",
        {
            "users": rows,
            "pager": pager,
            "q": q,
            "organisation": org_code,
            "role": role,
            "active": active,
            "roles": Role.choices,
            "organisations": users_admin.manageable_organisations(request.user)
            .order_by("kind", "code")
            .values_list("code", "name"),
            "administers_all": users_admin.administers_all(request.user),
            "nav": admin_nav(request, "admin_users"),
        },
    )


def _outside_reach(request, what: str, filters: dict):
    users_admin.record_refusal(request, request.user, what, filters)
    raise Http404(_("No user with this id that you can administer."))


@never_cache
@require_http_methods(["GET", "POST"])
def user_detail(request, pk: int):
    target = users_admin.manageable_users(request.user).select_related("organisation").filter(pk=pk).first()
    if target is None:
        if request.method == "POST" and get_user_model().objects.filter(pk=pk).exists():
            _outside_reach(request, request.POST.get("action", "")[:40], {"user_id": pk})
        raise Http404(_("No user with this id that you can administer."))
    # Only a superuser changes a superuser (an IMDi administrator cannot lock out the operators).
    may_change = users_admin.may_change(request.user, target)
    errors: list[str] = []
    password_link = ""
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied(_("Only a superuser can change a superuser."))
        action = request.POST.get("action", "")
        try:
            if action == "add_role":
                message = users_admin.add_role(request, request.user, target, request.POST.get("role", ""))
            elif action == "remove_role":
                message = users_admin.remove_role(request, request.user, target, request.POST.get("assignment", ""))
            elif action == "set_active":
                message = users_admin.set_active(request, request.user, target, request.POST.get("active", ""))
            elif action == "login_link":
                password_link = _password_link(request, *users_admin.issue_password_link(request, request.user, target))
                message = ""
            else:
                return HttpResponseBadRequest(_("Unknown action."))
        except users_admin.OutsideReach:
            _outside_reach(request, action, {"user_id": target.pk})
        except users_admin.RefusedChange as e:
            errors.append(str(e))
        else:
            if not password_link:
                messages.success(request, message)
                return redirect("admin_user", pk=target.pk)
    assignments = list(target.role_assignments.select_related("organisation").order_by("role"))
    held = {a.role for a in assignments if a.organisation_id == target.organisation_id}
    grantable = set(users_admin.grantable_roles(request.user, target.organisation))
    choices = (
        [(r.value, r.label) for r in users_admin.allowed_roles(target.organisation.kind) if r in grantable]
        if target.organisation
        else []
    )
    return render(
        request,
        "web/admin/user.html",
        {
            "target": target,
            "may_change": may_change,
            "errors": errors,
            "password_link": password_link,
            "administers_all": users_admin.administers_all(request.user),
            "assignments": [
                {
                    "id": a.pk,
                    "role": a.role,
                    "label": _role_label(a.role),
                    "organisation": a.organisation,
                    "granted_at": a.granted_at,
                    "in_effect": a.organisation_id == target.organisation_id,
                    "removable": may_change and (a.role in grantable or users_admin.administers_all(request.user)),
                }
                for a in assignments
            ],
            "role_choices": [(v, label) for v, label in choices if v not in held],
            "permissions": sorted(p.label for p in policy.permissions(target)),
            "selected_role": request.POST.get("role", "") if errors else "",
            "error_target": "user-roles",
            "nav": admin_nav(request, "admin_users"),
        },
        status=400 if errors else 200,
    )


def _password_link(request, uid: str, token: str) -> str:
    return request.build_absolute_uri(reverse("password_set", args=[uid, token]))


class NewUserForm(forms.Form):
    username = forms.CharField(max_length=150, required=False)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.CharField(max_length=254, required=False)
    organisation = forms.CharField(max_length=40, required=False)
    roles = forms.MultipleChoiceField(choices=Role.choices, required=False)


@never_cache
@require_http_methods(["GET", "POST"])
def user_new(request):
    """Create a user: username, name, e-mail, organisation, its first roles; then a one-time link with
    which the user sets a password, shown here once (``nir.access.users``)."""
    organisations_qs = users_admin.manageable_organisations(request.user).order_by("kind", "code")
    fixed = None if users_admin.administers_all(request.user) else organisations_qs.first()
    if fixed is None and not users_admin.administers_all(request.user):
        raise PermissionDenied(_("Your organisation is not active: you cannot create users."))
    form = NewUserForm(request.POST or None)
    errors: dict[str, str] = {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        code = fixed.code if fixed is not None and not data["organisation"] else data["organisation"]
        org = Organisation.objects.filter(code=code).first() if code else None
        new = users_admin.NewUser(
            username=data["username"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            organisation=org,
            roles=tuple(data["roles"]),
        )
        if org is not None and not organisations_qs.filter(pk=org.pk).exists():
            users_admin.record_refusal(request, request.user, "user-create", {"organisation": org.code})
            raise PermissionDenied(_("You cannot create users in %(org)s.") % {"org": org.name})
        errors = users_admin.validate_new_user(request.user, new)
        if not errors:
            created = users_admin.create_user(request, request.user, new)
            link = _password_link(request, *users_admin.password_token(created))
            return render(
                request,
                "web/admin/user_created.html",
                {"target": created, "password_link": link, "nav": admin_nav(request, "admin_users")},
                status=201,
            )
    elif request.method == "POST":
        errors = {"roles": _("Unknown role.")}
    if fixed is not None:
        role_choices = [(r.value, r.label) for r in users_admin.grantable_roles(request.user, fixed)]
    else:
        role_choices = list(Role.choices)
    return render(
        request,
        "web/admin/user_new.html",
        {
            "form": form,
            "values": form.data if form.is_bound else {},
            "selected_roles": form.data.getlist("roles") if form.is_bound else [],
            "errors": errors,
            "error_list": list(errors.values()),
            "fixed": fixed,
            "organisations": [] if fixed is not None else list(organisations_qs.values_list("code", "name")),
            "role_choices": role_choices,
            "nav": admin_nav(request, "admin_users"),
        },
        status=400 if errors else 200,
    )


# --- API clients --------------------------------------------------------------------------------


def key_status(key: ApiClientKey, now) -> tuple[str, str]:
    """(status, label) of a client key, as ``nir clients list`` says it."""
    if key.revoked_at:
        return "revoked", _("Revoked")
    if key.expires_at and key.expires_at <= now:
        return "expired", _("Expired")
    return "active", _("Active")


@never_cache
@require_http_methods(["GET", "POST"])
def clients(request):
    if request.method == "POST":
        return _revoke_key(request)
    q = request.GET.get("q", "").strip()[:100]
    org_code = request.GET.get("organisation", "").strip()[:40]
    # The last use of a client: its newest event in the audit log (every API call is recorded there);
    # through the index (organisation, when), newest first.
    last_use = (
        AuditEvent.objects.filter(organisation_id=OuterRef("organisation_id"), api_client_id=OuterRef("pk"))
        .order_by("-when")
        .values("when")[:1]
    )
    qs = (
        ApiClient.objects.select_related("organisation")
        .order_by("client_id")
        .annotate(last_used=Subquery(last_use))
        .prefetch_related(Prefetch("keys", queryset=ApiClientKey.objects.order_by("created_at")))
    )
    if q:
        qs = qs.filter(Q(client_id__icontains=q) | Q(name__icontains=q) | Q(source_system__icontains=q))
    if org_code:
        qs = qs.filter(organisation__code=org_code)
    rows, pager = _paginate(request, qs, CLIENT_PAGE_SIZE, {"q": q, "organisation": org_code})
    now = timezone.now()
    for c in rows:
        for k in c.keys.all():
            k.status, k.status_label = key_status(k, now)
    return render(
        request,
        "web/admin/clients.html",
        {
            "clients": rows,
            "pager": pager,
            "q": q,
            "organisation": org_code,
            "back": request.get_full_path(),
            "nav": admin_nav(request, "admin_clients"),
        },
    )


def _revoke_key(request):
    kid = request.POST.get("kid", "").strip()[:100]
    back = request.POST.get("next", "")
    if not back.startswith(reverse("admin_clients")):
        back = reverse("admin_clients")
    key = ApiClientKey.objects.select_related("client").filter(kid=kid).first() if kid else None
    if key is None:
        messages.error(request, _("No key with this key id."))
        return redirect(back)
    with transaction.atomic():
        revoked = oauth.revoke_client_key(kid)  # the same function as «nir clients revoke-key KID»
        if revoked:
            audit.record(
                request=request,
                action=AuditAction.WRITE,
                channel=AuditChannel.WEB,
                what="administer:key-revoke",
                purpose=AuditPurpose.ADMINISTRATION,
                filters={"client": key.client.client_id, "kid": kid},
            )
    if not revoked:
        messages.error(request, _("The key %(kid)s is not active (already revoked).") % {"kid": kid})
        return redirect(back)
    messages.success(
        request, _("The key %(kid)s of %(client)s was revoked.") % {"kid": kid, "client": key.client.client_id}
    )
    return redirect(back)


# --- the audit log ------------------------------------------------------------------------------


@never_cache
@require_GET
def audit_search(request):
    g = request.GET
    f = {
        name: g.get(name, "").strip()[:150]
        for name in ("user", "organisation", "duf", "action", "channel", "since", "until")
    }
    errors: list[str] = []
    person = None
    if f["duf"]:
        if not is_duf(f["duf"]):
            errors.append(_("A DUF number has up to 12 digits."))
        else:
            try:
                person = find_person(request.user, f["duf"])
            except PersonNotFound:
                errors.append(_("No person with DUF number %(duf)s that you have access to.") % {"duf": f["duf"]})
    if f["action"] and f["action"] not in AuditAction.values:
        errors.append(_("Unknown action."))
    if f["channel"] and f["channel"] not in AuditChannel.values:
        errors.append(_("Unknown channel."))
    dates = {}
    for name, label in (("since", _("From date")), ("until", _("To date"))):
        if f[name]:
            try:
                dates[name] = parse_typed_date(f[name])
            except ValueError:
                errors.append(
                    _('%(field)s must be a date (dd.mm.yyyy), not "%(value)s".') % {"field": label, "value": f[name]}
                )
    context = {
        "f": f,
        "errors": errors,
        "actions": AuditAction.choices,
        "channels": AuditChannel.choices,
        "organisations": Organisation.objects.order_by("kind", "code").values_list("code", "name"),
        "nav": admin_nav(request, "audit_search"),
    }
    if errors:
        return render(request, "web/admin/audit_search.html", context, status=400)
    qs = audit.search(
        user=f["user"] or None,
        organisation=f["organisation"] or None,
        person=person,
        action=f["action"] or None,
        channel=f["channel"] or None,
        since=dates.get("since"),
        until=dates.get("until"),
    )
    page = _page_number(request)
    # No COUNT over the whole log: one page and one row more, to know whether there is a next page.
    rows = list(qs[(page - 1) * AUDIT_PAGE_SIZE : page * AUDIT_PAGE_SIZE + 1])
    has_next = len(rows) > AUDIT_PAGE_SIZE
    rows = rows[:AUDIT_PAGE_SIZE]
    filters = {k: v for k, v in f.items() if v}
    pager = Pager(
        page=page,
        prev_url=request.path + _qs({**filters, "page": page - 1 if page > 2 else ""}) if page > 1 else "",
        next_url=request.path + _qs({**filters, "page": page + 1}) if has_next else "",
    )
    events = [
        {
            "when": e.when,
            "actor": e.actor_label,
            "actor_kind": e.get_actor_kind_display(),
            "organisation": e.organisation.name if e.organisation else SYSTEM_ORGANISATION,
            "action": e.get_action_display(),
            "what": _what(e.what),
            "channel": e.get_channel_display(),
            "purpose": AuditPurpose(e.purpose).label if e.purpose in AuditPurpose.values else e.purpose,
            "persons": e.person_count,
            "complete": e.persons_complete,
            "denied": e.outcome != "allowed",
            "outcome": e.get_outcome_display(),
        }
        for e in rows
    ]
    # Reading the audit log is itself recorded (as ``nir audit search``).
    audit.record(
        request=request,
        action=AuditAction.SEARCH,
        channel=AuditChannel.WEB,
        what="audit-log",
        persons=[person] if person else (),
        purpose=AuditPurpose.SUPERVISION,
        filters={**filters, "page": page},
    )
    context.update(
        {
            "events": events,
            "pager": pager,
            "searched": bool(filters),
            "person": person,
            "export_url": reverse("audit_person_export", args=[person.duf]) if person else "",
        }
    )
    return render(request, "web/admin/audit_search.html", context)


PERSON_EXPORT_HEADERS = {
    "when": gettext_lazy("Time"),
    "organisation": gettext_lazy("Organisation"),
    "action": gettext_lazy("Action"),
    "what": gettext_lazy("What"),
    "purpose": gettext_lazy("Purpose"),
    "channel": gettext_lazy("Channel"),
    "concerns_you": gettext_lazy("Concerns you"),
    "outcome": gettext_lazy("Outcome"),
}


def _local_time(event) -> str:
    return timezone.localtime(event.when).strftime("%d.%m.%Y %H:%M:%S")


@never_cache
@require_GET
@export_rate_limited
def audit_person_export(request, duf: str):
    try:
        person = find_person(request.user, duf)
    except PersonNotFound:
        raise Http404(_("No person with this DUF number that you have access to.")) from None
    rows = person_access_rows(person, when=_local_time, what=_what)
    buf = io.StringIO()
    buf.write("\ufeff")  # UTF-8 with BOM: Excel opens it with æøå
    w = spreadsheet.CsvWriter(buf)  # the one CSV writer: no text becomes a formula
    w.writerow([str(PERSON_EXPORT_HEADERS[c]) for c in PERSON_COLUMNS])
    for row in rows:
        w.writerow([row[c] for c in PERSON_COLUMNS])
    # The export is itself recorded (as ``nir audit person``): a failure fails the request.
    audit.record(
        request=request,
        action=AuditAction.EXPORT,
        channel=AuditChannel.WEB,
        what="audit-log:person",
        persons=[person],
        purpose=AuditPurpose.ACCESS_REQUEST,
        filters={"duf": person.duf},
    )
    response = HttpResponse(buf.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tilgangslogg-{person.duf}.csv"'
    return response


# --- help texts ---------------------------------------------------------------------------------

TITLE_MAX = HelpText._meta.get_field("title").max_length
TEXT_MAX = 4000


class HelpTextForm(forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX,
        error_messages={
            "required": gettext_lazy("Enter a title."),
            "max_length": gettext_lazy("The title can be at most %(limit_value)d characters (it has %(show_value)d)."),
        },
    )
    text = forms.CharField(
        max_length=TEXT_MAX,
        widget=forms.Textarea,
        error_messages={
            "required": gettext_lazy("Enter the help text."),
            "max_length": gettext_lazy("The text can be at most %(limit_value)d characters (it has %(show_value)d)."),
        },
    )


def _known_keys() -> dict[str, dict]:
    """Every help-text key: those delivered with the application (YAML) and those in the table."""
    return help_texts_store.defaults()


@never_cache
@require_GET
def help_texts(request):
    defaults = _known_keys()
    current = {h.key: h for h in HelpText.objects.current().select_related("recorded_by")}
    versions = dict(HelpText.objects.order_by().values_list("key").annotate(n=Count("id")))
    rows = []
    for key in sorted(set(defaults) | set(current)):
        h = current.get(key)
        rows.append(
            {
                "key": key,
                "title": h.title if h else defaults[key]["title"],
                "text": h.text if h else defaults[key]["text"].strip(),
                "loaded": h is not None,
                "recorded_at": h.recorded_at if h else None,
                "recorded_by": h.recorded_by if h else None,
                "versions": versions.get(key, 0),
                "url": reverse("help_text_edit", args=[key]),
            }
        )
    return render(request, "web/help/list.html", {"rows": rows, "nav": admin_nav(request, "help_texts")})


@never_cache
@require_http_methods(["GET", "POST"])
def help_text_edit(request, key: str):
    defaults = _known_keys()
    current = HelpText.objects.current().filter(key=key).first()
    if current is None and key not in defaults:
        raise Http404(_("Unknown help text."))
    initial = (
        {"title": current.title, "text": current.text}
        if current
        else {"title": defaults[key]["title"], "text": defaults[key]["text"].strip()}
    )
    if request.method == "POST":
        form = HelpTextForm(request.POST)
        if form.is_valid():
            title, text = form.cleaned_data["title"], form.cleaned_data["text"].strip()
            if current is not None and title == current.title and text == current.text:
                messages.info(request, _("No changes: the help text was not saved."))
            else:
                help_texts_store.save_text(key, title, text, request.user)
                messages.success(request, _('The help text "%(title)s" was saved as a new version.') % {"title": title})
            return redirect("help_text_edit", key=key)
    else:
        form = HelpTextForm(initial=initial)
    history = list(HelpText.objects.filter(key=key).select_related("recorded_by").order_by("-recorded_at", "-id"))
    return render(
        request,
        "web/help/edit.html",
        {
            "key": key,
            "form": form,
            "history": history,
            "current": current,
            "title_max": TITLE_MAX,
            "text_max": TEXT_MAX,
            "nav": admin_nav(request, "help_texts"),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
