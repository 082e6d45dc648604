"""Tilsyn: the county governor's (statsforvalter's) view of the municipalities it supervises.

    from nir.reports import supervision
    rows = supervision.figures(scope, ["5001", "5006"])   # {municipality: {figure: n}}

Each figure is the number of persons of one of the registry's reports (``nir.reports.registry``,
``REPORTS``), counted per follow-up municipality today in one GROUP BY statement over the same
queryset the report lists — so a figure and the list behind it (the report, filtered on the
municipality: ``FIGURES[...].report_query``) always agree, on the page, in the API
(``GET /api/v1/reports/{id}?municipality=…``) and in ``nir report``:

* ``followed``           — persons followed up under the Integration Act (*Personliste*);
* ``in_programme``       — of them in the introduction programme (*Personliste*, status «Pågår»);
* ``deviations``         — deviations in final goals (*avvik-sluttmaal*: every deviation flag the
  Regelmotor derives, e.g. ``deviation_final_goal_missing``);
* ``deadline_passed``    — the programme's Gjennomføringsfrist has passed and it has not ended
  (*Personliste*, status «Gjennomføringsfrist passert, ikke avsluttet»);
* ``missing_decision``   — right (and duty) to the programme, settled three months ago or more and
  no participation decision (integreringsloven § 12: the programme starts within three months of
  settlement; *Personliste*, missing «Vedtak om deltakelse mangler»).

Whom it counts is the user's scope (``nir.access.scope``), as every report applies it: the persons
followed up today by a municipality the user may see. Nothing of a person is read into Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from nir.access.scope import Scope
from nir.reference.models import County, Municipality
from nir.reports import queries, registry
from nir.reports.queries import FU_MUNICIPALITY


@dataclass(frozen=True)
class SupervisionFigure:
    key: str
    label: object
    report: str  # the registry's report id that lists the persons counted
    filters: tuple[tuple[str, str], ...] = ()  # the report's filters (as in its URL and ``nir report``)
    deviation: bool = False  # a figure a county governor follows up (shown as a warning when > 0)

    def report_query(self, municipality: str) -> dict[str, str]:
        """The report's filters that list the persons of this figure in ``municipality``."""
        return {"municipality": municipality, **dict(self.filters)}


FIGURES = (
    SupervisionFigure("followed", _("Persons followed up"), "personliste"),
    SupervisionFigure("in_programme", _("In the introduction programme"), "personliste", (("status", "active"),)),
    SupervisionFigure("deviations", _("Deviations in final goals"), "avvik-sluttmaal", deviation=True),
    SupervisionFigure(
        "deadline_passed",
        _("Completion deadline passed, programme not ended"),
        "personliste",
        (("status", "deadline_passed"),),
        deviation=True,
    ),
    SupervisionFigure(
        "missing_decision",
        _("Participation decision missing three months after settlement"),
        "personliste",
        (("missing", "participation_decision"),),
        deviation=True,
    ),
)
FIGURE_KEYS = tuple(f.key for f in FIGURES)


def _params(figure: SupervisionFigure, today: dt.date) -> registry.ReportParams:
    values: dict = {"as_of": today}
    for name, value in figure.filters:
        values[registry.REPORTS[figure.report].filters.get(name, name)] = value
    return registry.ReportParams(**values)


def count_by_municipality(figure: SupervisionFigure, scope: Scope | None, today: dt.date) -> dict[str, int]:
    """{follow-up municipality today: persons} of ``figure``'s report over ``scope`` — one statement."""
    d = registry.get(figure.report)
    p = registry.validate(d, _params(figure, today))
    qs = queries.common_filters(d.query(p), p, scope)
    rows = qs.order_by().values(FU_MUNICIPALITY).annotate(n=Count("pk")).values_list(FU_MUNICIPALITY, "n")
    return {muni: n for muni, n in rows if muni}


def figures(scope: Scope | None, numbers: list[str], today: dt.date) -> dict[str, dict[str, int]]:
    """{municipality: {figure key: n}} for each of ``numbers`` (every figure, 0 when none), counting
    only the persons of ``scope`` (``None``: everybody) followed up by one of ``numbers`` today."""
    if not numbers:
        return {}
    allowed = frozenset(numbers)
    if scope is not None:
        allowed &= scope.municipalities | {d[:4] for d in scope.districts}
        districts = frozenset(d for d in scope.districts if d[:4] in allowed)
        limited = Scope(municipalities=allowed & scope.municipalities, districts=districts)
    else:
        limited = Scope(municipalities=allowed)
    out = {nr: dict.fromkeys(FIGURE_KEYS, 0) for nr in numbers if nr in allowed}
    if limited.empty:
        return out
    for f in FIGURES:
        for muni, n in count_by_municipality(f, limited, today).items():
            if muni in out:
                out[muni][f.key] = n
    return out


def municipality_names(today: dt.date) -> dict[str, tuple[str, str, str]]:
    """{municipality: (name, county, county name)} of the reference data valid on ``today``."""
    counties = dict(County.objects.valid_on(today).values_list("number", "name"))
    return {
        nr: (name, county, counties.get(county, ""))
        for nr, name, county in Municipality.objects.valid_on(today)
        .order_by("number")
        .values_list("number", "name", "county__number")
    }


def counties(scope: Scope | None, munis: dict[str, tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(number, name) of the counties whose municipalities the user supervises: those of its scope
    (a county governor: its counties); every county for a user who sees everybody (IMDi).
    ``munis``: ``municipality_names``."""
    every = sorted({(c, cn) for _n, c, cn in munis.values() if c})
    if scope is None:
        return every
    mine = {munis[m][1] for m in (*scope.municipalities, *(d[:4] for d in scope.districts)) if m in munis}
    return [(c, cn) for c, cn in every if c in mine]


class UnknownCounty(LookupError):
    """A county that is unknown or not among those the user supervises (shown as *not found*)."""


def overview(scope: Scope | None, county: str | None, today: dt.date) -> dict:
    """The supervision view of ``county`` (default: every county the user supervises; IMDi: the whole
    country) as one document — the shape of ``GET /api/v1/supervision`` and ``nir supervision --format
    json``: ``figures`` (key, label, deviation), ``counties`` shown, ``municipalities`` (number, name,
    county, figures: key → persons) and the ``total``. ``UnknownCounty`` for a county outside ``scope``."""
    munis = municipality_names(today)
    mine = counties(scope, munis)
    chosen = (county or "").strip()
    if chosen and chosen not in {c for c, _n in mine}:
        raise UnknownCounty(chosen)
    shown = [(c, cn) for c, cn in mine if not chosen or c == chosen]
    shown_numbers = {c for c, _n in shown}
    numbers = [nr for nr, (_name, c, _cn) in munis.items() if c in shown_numbers]
    values = figures(scope, numbers, today)
    return {
        "as_of": today,
        "figures": [{"key": f.key, "label": str(f.label), "deviation": f.deviation} for f in FIGURES],
        "counties": [{"county": c, "name": cn} for c, cn in shown],
        "municipalities": [
            {"municipality": nr, "name": munis[nr][0], "county": munis[nr][1], "figures": values[nr]}
            for nr in numbers
            if nr in values
        ],
        "total": {k: sum(v[k] for v in values.values()) for k in FIGURE_KEYS},
    }
