"""What a figure or a report counts, in words: the area asked for, as far as the user's scope reaches.

    from nir.reports.areas import AreaLabels
    AreaLabels(person_scope(user)).table(None)    # «Hele landet», «Trondheim - Tråante kommune», …
    AreaLabels(person_scope(user)).area("50")     # «Trøndelag (bare Trondheim - Tråante kommune, …)»

The one place these labels are made: the yearly statistics (``statistics.yearly``: the page, the
chart titles, the printable yearly report, CSV/XLSX/JSON, the API and ``nir report``) and the
reports (``registry.ReportResult.area_label``: the report pages and the sheet «Om rapporten»).
The labels are bokmål domain text, like the figures' titles.
"""

from __future__ import annotations

WHOLE_COUNTRY = "Hele landet"
NO_FOLLOW_UP = "Uten oppfølgingskommune"


def area_names() -> tuple[dict[str, tuple[str, str]], dict[str, str], dict[str, str]]:
    """{municipality: (name, county)}, {county: name}, {district: name}: the latest name of every number."""
    from nir.reference.models import County, District, Municipality

    munis: dict[str, tuple[str, str]] = {}
    counties: dict[str, str] = {}
    for number, name, county in Municipality.objects.order_by("number", "-valid_from").values_list(
        "number", "name", "county__number"
    ):
        munis.setdefault(number, (name, county))
    for number, name in County.objects.order_by("number", "-valid_from").values_list("number", "name"):
        counties.setdefault(number, name)
    districts: dict[str, str] = {}
    for number, name in District.objects.order_by("number", "-valid_from").values_list("number", "name"):
        districts.setdefault(number, name)
    return munis, counties, districts


class AreaLabels:
    """The one place the name of what a figure counts is made (the page, the chart titles, the yearly
    report, CSV/XLSX/JSON, the API and ``nir report``): the area asked for, narrowed to what the user's
    scope lets the statistics count. A user who sees everyone (IMDi) gets the area's name, or «Hele
    landet»; a municipality's user gets «Trondheim kommune», not «Hele landet»; a county governor
    «Trøndelag (kommunene du har tilgang til)»; an area only partly in the scope says which part
    («Trøndelag (bare Trondheim kommune, som du har tilgang til)»), one outside it says so."""

    MAX_NAMES = 3

    def __init__(self, scope, names=None):
        self.scope = scope
        self.munis, self.counties, self.districts = names or area_names()

    # plain names -------------------------------------------------------------------------------
    def name(self, code: str) -> str:
        if len(code) == 2:
            return self.counties.get(code, f"Fylke {code}")
        if len(code) == 6:
            return self.districts.get(code, f"Bydel {code}")
        return self.munis.get(code, (f"Kommune {code}", ""))[0]

    def full_name(self, code: str) -> str:
        """«Trondheim - Tråante kommune», «bydel Gamle Oslo», «Trøndelag»."""
        if len(code) == 4:
            return f"{self.name(code)} kommune"
        if len(code) == 6:
            return f"bydel {self.name(code)}"
        return self.name(code)

    def _join(self, names: list[str]) -> str:
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]

    # the area's municipalities and districts ---------------------------------------------------
    def _parts(self, code: str) -> tuple[set[str], set[str]]:
        if len(code) == 2:
            return {n for n, (_name, county) in self.munis.items() if county == code}, set()
        if len(code) == 4:
            return {code}, set()
        return set(), {code}

    def _seen(self, code: str) -> tuple[set[str], set[str]] | None:
        """The municipalities and districts of the area the scope covers; None when it covers all of it."""
        if self.scope is None:
            return None
        munis, districts = self._parts(code)
        seen_m = munis & set(self.scope.municipalities)
        seen_d = {d for d in self.scope.districts if d in districts or d[:4] in munis}
        seen_d |= {d for d in districts if d[:4] in self.scope.municipalities}
        if (munis and seen_m == munis) or (not munis and districts and seen_d == districts):
            return None
        return seen_m, seen_d - {d for d in seen_d if d[:4] in seen_m}

    def _whose(self, munis: set[str], districts: set[str]) -> str:
        """The municipalities and districts seen, in words."""
        counties = sorted({self.munis.get(n, ("", ""))[1] for n in munis})
        whole = [c for c in counties if c and {n for n, (_x, county) in self.munis.items() if county == c} <= munis]
        if whole and not districts and {n for n in munis if self.munis.get(n, ("", ""))[1] not in whole} == set():
            return self._join([self.name(c) for c in whole]) + " (kommunene du har tilgang til)"
        codes_ = sorted(munis) + sorted(districts)
        if len(codes_) <= self.MAX_NAMES:
            return self._join([self.full_name(c) for c in codes_])
        parts = []
        if munis:
            parts.append(f"{len(munis)} kommuner")
        if districts:
            parts.append(f"{len(districts)} bydeler")
        return " og ".join(parts) + " du har tilgang til"

    # what a table or a row counts ---------------------------------------------------------------
    def everything(self) -> str:
        """No area chosen: everything the user may see."""
        if self.scope is None:
            return WHOLE_COUNTRY
        if self.scope.empty:
            return "Ingen (du har ikke tilgang til personer)"
        districts = {d for d in self.scope.districts if d[:4] not in self.scope.municipalities}
        return self._whose(set(self.scope.municipalities), districts)

    def area(self, code: str, *, full: bool = True) -> str:
        """An area as far as the scope reaches into it (``full``: «… kommune», «bydel …»)."""
        name = self.full_name(code) if full else self.name(code)
        seen = self._seen(code)
        if seen is None:
            return name
        munis, districts = seen
        if not munis and not districts:
            return f"{name} (utenfor det du har tilgang til)"
        # (a part of one area is never whole counties: those would be the whole area)
        return f"{name} (bare {self._whose(munis, districts)}, som du har tilgang til)"

    def table(self, area: str | None) -> str:
        """What a table counts (its heading): the area asked for, or (None) everything the user may see."""
        return capital(self.area(area) if area else self.everything())


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]
