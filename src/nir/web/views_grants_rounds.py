"""Tilskudd: the payment rounds' pages (issue 20 § 4, grants.md A.1, A.8).

    /tilskudd/                                     (views_grants.grants_home) the rounds the user may see;
                                                   IMDi calculates a round, approves it, records it paid
    /tilskudd/termin/<år>/<termin>/                one round: the sum per recipient the user may read; for
                                                   IMDi the sums per scheme and grant type, per county, and
                                                   per budget post beside the budget figures (grants.md A.0)
    /tilskudd/termin/<år>/<termin>/<mottaker>/     one recipient's statement (termingrunnlag): each person's
                                                   lines with rule, rate, explanation, due, paid before and
                                                   difference; «Meld feil i grunnlag» on each line (audited)
    /tilskudd/termin/<år>/<termin>/<mottaker>/eksport.csv|xlsx   the same as a spreadsheet (audited)
    /tilskudd/feil/                                the «Meld feil i grunnlag» cases (IMDi all and answers
                                                   them; a recipient its own) (audited)

``<mottaker>`` is a municipality number (``5001``) or a county number (``50``: a county municipality's
lines). Every read goes through ``nir.grants.selectors`` (access applied: a recipient the user may not
read is *not found*, a draft round is IMDi's only) and every write through ``nir.grants.actions``
(access check, storage, audit).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from nir import spreadsheet
from nir.access import audit
from nir.access.grants import grant_recipients, may_manage_rounds, may_report_error, sees_recipient
from nir.access.models import AuditAction
from nir.access.policy import AccessDenied, Permission, allows
from nir.actions.acting import Acting
from nir.grants import actions, selectors
from nir.grants.engine import params as grant_params
from nir.grants.engine.model import GRANT_TYPES, SCHEMES
from nir.grants.models import GrantErrorReport, PaymentRound, ReportStatus, RoundStatus
from nir.isodates import TimeOutOfRange, check_known_at, parse_typed_date
from nir.web.limits import export_rate_limited
from nir.web.views_overview import reference_names

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CALC_FIELDS = ("aar", "termin", "kjent_dato", "kjent_tid")
STATUS_COLOURS = {RoundStatus.DRAFT: "warning", RoundStatus.APPROVED: "info", RoundStatus.PAID: "success"}


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _sentence(e: Exception) -> str:
    """An action's refusal (bokmål, begins in lower case) as a sentence of its own."""
    text = str(e)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


# --- /tilskudd/: the rounds and the calculation form ------------------------------------------------


def round_row(r: PaymentRound) -> dict[str, Any]:
    summary = r.summary or {}
    return {
        "round": r,
        "label": r.label,
        "status": r.get_status_display(),
        "status_colour": STATUS_COLOURS.get(RoundStatus(r.status), "neutral"),
        "url": reverse("grants_round", args=[r.grant_year, r.quarter]),
        "total": _decimal(summary.get("total")),
        "lines": summary.get("lines", 0),
        "recipients": summary.get("recipients", 0),
        "notice": len(summary.get("requires_notice", [])),
    }


def _parse_known_at(day_raw: str, time_raw: str) -> dt.datetime | None:
    """The «kjent per» fields: empty → None (the round's cut-off parameter); a date (dd.mm.åååå) and an
    optional time (tt:mm, else the end of the day), Norwegian time. ValueError with a bokmål message."""
    if not day_raw and not time_raw:
        return None
    if not day_raw:
        raise ValueError(_("Enter the date as well as the time (dd.mm.yyyy)."))
    try:
        day = parse_typed_date(day_raw)
    except ValueError:
        raise ValueError(_("Enter a valid date (dd.mm.yyyy).")) from None
    if time_raw:
        try:
            at = dt.datetime.strptime(time_raw, "%H:%M").time()
        except ValueError:
            raise ValueError(_("Enter the time as hh:mm.")) from None
    else:
        at = dt.time(23, 59, 59, 999999)
    try:
        return check_known_at(timezone.make_aware(dt.datetime.combine(day, at)))
    except TimeOutOfRange as e:
        raise ValueError(str(e)) from None


def calculate_from_post(request) -> tuple[dict[str, str], dict[str, str], HttpResponseRedirect | None]:
    """The calculation form posted to /tilskudd/: (raw values kept, errors by field, redirect on success)."""
    raw = {k: request.POST.get(k, "").strip()[:40] for k in CALC_FIELDS}
    errors: dict[str, str] = {}
    year = int(raw["aar"]) if raw["aar"].isdigit() and len(raw["aar"]) == 4 else None
    if year is None:
        errors["aar"] = _("Enter the grant year as four digits.")
    quarter = int(raw["termin"]) if raw["termin"] in ("1", "2", "3", "4") else None
    if quarter is None:
        errors["termin"] = _("The round must be 1, 2, 3 or 4.")
    known_at = None
    try:
        known_at = _parse_known_at(raw["kjent_dato"], raw["kjent_tid"])
    except ValueError as e:
        errors["kjent_dato"] = str(e)
    if errors or year is None or quarter is None:
        return raw, errors, None
    try:
        row = actions.calculate_round(Acting.from_request(request), year, quarter, known_at)
    except AccessDenied as e:
        raise PermissionDenied(str(e)) from None
    except actions.GrantsRefused as e:
        errors["termin" if e.field == "quarter" else "aar"] = _sentence(e)
        return raw, errors, None
    messages.success(
        request,
        _("Round %(round)s is calculated as a draft: check it before you approve it.") % {"round": row.label},
    )
    return raw, errors, _see_other(reverse("grants_round", args=[row.grant_year, row.quarter]))


def rounds_context(request, raw: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> dict:
    """What /tilskudd/ shows of the rounds (nothing to a user without grants.read)."""
    user = request.user
    if not allows(user, Permission.GRANTS_READ):
        return {"shows_rounds": False}
    today = timezone.localdate()
    errors = errors or {}
    return {
        "shows_rounds": True,
        "rounds": [round_row(r) for r in selectors.rounds_for(user)],
        "manages": may_manage_rounds(user),
        "calc": raw
        or {"aar": str(today.year), "termin": str((today.month - 1) // 3 + 1), "kjent_dato": "", "kjent_tid": ""},
        "calc_errors": [(f"beregn-{k}", v) for k, v in errors.items()],
        "calc_error_of": errors,
        "reports_url": reverse("grants_error_reports"),
    }


# --- /tilskudd/termin/<år>/<termin>/ -----------------------------------------------------------------


def _round_or_404(request, year: int, quarter: int) -> PaymentRound:
    r = selectors.find_round(request.user, year, quarter)
    if r is None:
        raise Http404(_("No such payment round."))
    return r


def recipient_slug(recipient: str) -> str:
    return recipient.split(":", 1)[1] if ":" in recipient else recipient


def recipient_name(recipient: str, names: dict) -> str:
    kind, _sep, number = recipient.partition(":")
    if kind == "municipality":
        return f"{number} {names['municipalities'].get(number, ('',))[0]}".strip()
    counties = {c: n for _name, c, n in names["municipalities"].values()}
    return f"{number} {counties.get(number, '')}".strip() + " " + _("(county municipality)")


def _county_of(recipient: str, names: dict) -> str:
    kind, _sep, number = recipient.partition(":")
    if kind == "county":
        return number
    return names["municipalities"].get(number, ("", number[:2], ""))[1] or number[:2]


def _budget(year: int) -> dict[str, dict[str, Any]]:
    """Per budget post ("0671.60"): the appropriation and what was paid in ``year`` (budget.yaml)."""
    params = grant_params.default()
    out: dict[str, dict[str, Any]] = {}
    for post in sorted({post for _name, post in SCHEMES.values()}):
        entry: dict[str, Any] = {}
        for kind in ("appropriation", "paid"):
            name = f"budget.{post.replace('.', '_')}.{kind}"
            v = params.find(name, dt.date(year, 1, 1)) if name in params else None
            entry[kind] = (
                {"value": Decimal(str(v.value)), "source": v.source, "verified": v.verified} if v is not None else None
            )
        out[post] = entry
    return out


def _overview(request, r: PaymentRound, names: dict) -> dict[str, Any]:
    """IMDi's overview of a round: sums per scheme and grant type, per county, per budget post."""
    lines = selectors.lines_for(request.user, r)
    by_type = []
    scheme_totals: dict[str, Decimal] = defaultdict(Decimal)
    rows = lines.values("grant_type").annotate(
        due=Sum("due"), paid=Sum("paid_before"), delta=Sum("delta"), persons=Count("person", distinct=True)
    )
    for row in rows.order_by("grant_type"):
        gt = GRANT_TYPES.get(row["grant_type"])
        scheme = gt.scheme if gt else ""
        scheme_totals[scheme] += row["delta"] or 0
        by_type.append(
            {
                "code": row["grant_type"],
                "name": gt.name if gt else "",
                "scheme": SCHEMES.get(scheme, (scheme, ""))[0],
                "post": SCHEMES.get(scheme, ("", ""))[1],
                "due": row["due"] or 0,
                "paid": row["paid"] or 0,
                "delta": row["delta"] or 0,
                "persons": row["persons"],
            }
        )
    by_type.sort(key=lambda t: (t["post"], t["scheme"], t["code"]))
    counties: dict[str, Decimal] = defaultdict(Decimal)
    county_names = {c: n for _name, c, n in names["municipalities"].values()}
    for row in lines.values("recipient").annotate(delta=Sum("delta")).order_by():
        counties[_county_of(row["recipient"], names)] += row["delta"] or 0
    by_county = [{"number": c, "name": county_names.get(c, ""), "delta": counties[c]} for c in sorted(counties)]
    # The year's payments so far: the approved (or paid) rounds of the year up to this one, and this one.
    year_so_far: dict[str, Decimal] = defaultdict(Decimal)
    earlier = selectors.rounds_for(request.user).filter(
        grant_year=r.grant_year, quarter__lt=r.quarter, status__in=(RoundStatus.APPROVED, RoundStatus.PAID)
    )
    for e in [*earlier, r]:
        for row in selectors.lines_for(request.user, e).values("grant_type").annotate(delta=Sum("delta")).order_by():
            gt = GRANT_TYPES.get(row["grant_type"])
            year_so_far[SCHEMES[gt.scheme][1] if gt else ""] += row["delta"] or 0
    round_by_post: dict[str, Decimal] = defaultdict(Decimal)
    for scheme, total in scheme_totals.items():
        round_by_post[SCHEMES.get(scheme, ("", ""))[1]] += total
    budget = _budget(r.grant_year)
    posts = [
        {
            "post": post,
            "schemes": [n for n, p in SCHEMES.values() if p == post],
            "round": round_by_post.get(post, Decimal(0)),
            "year": year_so_far.get(post, Decimal(0)),
            "appropriation": b["appropriation"],
            "paid": b["paid"],
            "share": (
                round(100 * year_so_far.get(post, Decimal(0)) / b["appropriation"]["value"], 1)
                if b["appropriation"] and b["appropriation"]["value"]
                else None
            ),
        }
        for post, b in budget.items()
    ]
    return {"by_type": by_type, "by_county": by_county, "posts": posts, "rounds_in_year": [*earlier, r]}


@never_cache
@require_http_methods(["GET", "POST"])
def round_page(request, year: int, quarter: int):
    r = _round_or_404(request, year, quarter)
    error, status = "", 200
    if request.method == "POST":
        what = request.POST.get("handling", "")
        try:
            if what == "godkjenn":
                r = actions.approve_round(Acting.from_request(request), r)
                messages.success(request, _("Round %(round)s is approved and frozen.") % {"round": r.label})
            elif what == "utbetalt":
                r = actions.mark_paid(Acting.from_request(request), r)
                messages.success(request, _("Round %(round)s is recorded as paid.") % {"round": r.label})
            else:
                raise actions.GrantsRefused(_("Unknown action."))
        except AccessDenied as e:
            raise PermissionDenied(str(e)) from None
        except actions.GrantsRefused as e:
            error, status = _sentence(e), 422
        else:
            nxt = request.POST.get("neste", "")
            target = reverse("grants") if nxt == "oversikt" else reverse("grants_round", args=[year, quarter])
            return _see_other(target)
    names = reference_names(r.period_end)
    recipients = []
    rows = (
        selectors.lines_for(request.user, r)
        .values("recipient")
        .annotate(due=Sum("due"), paid=Sum("paid_before"), delta=Sum("delta"), persons=Count("person", distinct=True))
        .order_by("recipient")
    )
    for row in rows:
        recipients.append(
            {
                "recipient": row["recipient"],
                "name": recipient_name(row["recipient"], names),
                "url": reverse("grants_statement", args=[year, quarter, recipient_slug(row["recipient"])]),
                "due": row["due"] or 0,
                "paid": row["paid"] or 0,
                "delta": row["delta"] or 0,
                "persons": row["persons"],
                "notice": row["recipient"] in (r.summary or {}).get("requires_notice", []),
            }
        )
    area = grant_recipients(request.user)
    own = []
    if area is not None:  # a recipient with no line in the round still has its (empty) statement
        shown = {x["recipient"] for x in recipients}
        own = [
            {
                "recipient": rc,
                "name": recipient_name(rc, names),
                "url": reverse("grants_statement", args=[year, quarter, recipient_slug(rc)]),
            }
            for rc in sorted(area - shown)
        ]
    ctx = {
        "r": round_row(r),
        "recipients": recipients,
        "own_without_lines": own,
        "manages": may_manage_rounds(request.user),
        "overview": _overview(request, r, names) if area is None else None,
        "error": error,
    }
    return render(request, "web/grants/round.html", ctx, status=status)


# --- /tilskudd/termin/<år>/<termin>/<mottaker>/ ------------------------------------------------------


def _recipient_or_404(request, slug: str) -> str:
    if not slug.isdigit() or len(slug) not in (2, 4):
        raise Http404(_("No such recipient."))
    recipient = selectors.recipient_of(slug)
    if not sees_recipient(request.user, recipient):
        raise Http404(_("No such recipient."))
    return recipient


def _statement(request, r: PaymentRound, recipient: str, action: str) -> selectors.Statement:
    try:
        return selectors.statement(Acting.from_request(request), r, recipient, action=action)
    except AccessDenied:
        raise Http404(_("No such recipient.")) from None


@never_cache
@require_http_methods(["GET", "POST"])
def statement_page(request, year: int, quarter: int, recipient: str):
    r = _round_or_404(request, year, quarter)
    rc = _recipient_or_404(request, recipient)
    st = _statement(request, r, rc, str(AuditAction.READ))
    reporting = may_report_error(request.user, rc) and r.status != RoundStatus.DRAFT
    error_line, error_text, report_text, status = None, "", "", 200
    if request.method == "POST":
        line_id = request.POST.get("linje", "")
        report_text = request.POST.get("tekst", "")[: actions.MAX_TEXT + 100]
        line = next((ln for ln in st.lines if str(ln.pk) == line_id), None)
        if line is None:
            raise Http404(_("No such line."))
        try:
            actions.report_error(Acting.from_request(request), line, report_text)
        except AccessDenied as e:
            raise PermissionDenied(str(e)) from None
        except actions.GrantsRefused as e:
            error_line, error_text, status = line.pk, str(e), 422
        else:
            messages.success(
                request,
                _("The error is reported to IMDi (DUF number %(duf)s, %(type)s).")
                % {"duf": line.person.duf, "type": line.grant_type},
            )
            return _see_other(reverse("grants_statement", args=[year, quarter, recipient]))
    names = reference_names(r.period_end)
    reported = set(GrantErrorReport.objects.filter(line__round=r, recipient=rc).values_list("line_id", flat=True))
    ctx = {
        "r": round_row(r),
        "st": st,
        "recipient_name": recipient_name(rc, names),
        "slug": recipient,
        "lines": [{"ln": ln, "reported": ln.pk in reported} for ln in st.lines],
        "reporting": reporting,
        "error_line": error_line,
        "error_text": error_text,
        "report_text": report_text,
        "round_url": reverse("grants_round", args=[year, quarter]),
    }
    return render(request, "web/grants/statement.html", ctx, status=status)


@never_cache
@require_GET
@export_rate_limited
def statement_export(request, year: int, quarter: int, recipient: str, fmt: str):
    if fmt not in EXPORT_TYPES:
        raise Http404(_("Unknown format"))
    r = _round_or_404(request, year, quarter)
    rc = _recipient_or_404(request, recipient)
    st = _statement(request, r, rc, str(AuditAction.EXPORT))
    rows = selectors.statement_rows(st)
    if fmt == "csv":
        buf = io.StringIO()
        spreadsheet.write_csv(buf, rows)
        body = buf.getvalue().encode("utf-8-sig")
    else:
        about = [
            [_("Payment round"), r.label],
            [_("Status"), r.get_status_display()],
            [_("Period end"), r.period_end],
            [_("The register as known at"), timezone.localtime(r.cutoff_known_at).strftime("%d.%m.%Y %H:%M")],
            [_("Recipient"), rc],
            [_("Rules version"), r.rules_version],
            [_("Grants version"), r.grants_version],
        ]
        out = io.BytesIO()
        spreadsheet.write_xlsx(out, [spreadsheet.Sheet(_("Statement"), rows), spreadsheet.Sheet(_("About"), about)])
        body = out.getvalue()
    response = HttpResponse(body, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="termingrunnlag-{r.label}-{recipient}.{fmt}"'
    return response


# --- /tilskudd/feil/ -------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def error_reports_page(request):
    user = request.user
    manages = may_manage_rounds(user)
    errors: dict[int, str] = {}
    answers: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        pk = request.POST.get("sak", "")
        answer = request.POST.get("svar", "")[: actions.MAX_TEXT + 100]
        report = selectors.error_reports_for(user).filter(pk=int(pk)).first() if pk.isdigit() else None
        if report is None:
            raise Http404(_("No such case."))
        try:
            actions.answer_error_report(Acting.from_request(request), report, answer)
        except AccessDenied as e:
            raise PermissionDenied(str(e)) from None
        except actions.GrantsRefused as e:
            errors[report.pk], answers[report.pk], status = str(e), answer, 422
        else:
            messages.success(request, _("The case is answered."))
            return _see_other(reverse("grants_error_reports"))
    shown = request.GET.get("vis", "open")
    qs = selectors.error_reports_for(user)
    if shown != "alle":
        qs = qs.filter(status=ReportStatus.OPEN)
    reports = list(qs[:500])
    names = reference_names(timezone.localdate())
    rows = [
        {
            "report": rep,
            "recipient_name": recipient_name(rep.recipient, names),
            "statement_url": reverse(
                "grants_statement",
                args=[rep.line.round.grant_year, rep.line.round.quarter, recipient_slug(rep.recipient)],
            ),
            "error": errors.get(rep.pk, ""),
            "answer": answers.get(rep.pk, ""),
        }
        for rep in reports
    ]
    response = render(
        request,
        "web/grants/error_reports.html",
        {"rows": rows, "manages": manages, "shown": shown},
        status=status,
    )
    audit.record(
        request=request, actor_user=user, action="read", channel="web", what="grants:error-reports",
        persons=sorted({rep.line.person_id for rep in reports}), filters={"vis": shown},
    )  # fmt: skip
    return response
