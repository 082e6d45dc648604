"""Browser: the main pages fit a 1366 px laptop and a 390 px phone without scrolling the page sideways
(a wide table scrolls inside its own box), and no chart title runs past its chart (issue 16 § 4).

    document.documentElement.scrollWidth <= window.innerWidth

At 390 px the pages are also checked with axe-core (``check_page``), and photographed to
test-artifacts/screenshots/bredde-390-<name>.png.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

TRONDHEIM, IMDI = "saksbehandler-trondheim", "admin-imdi"

# (name, URL name, URL arguments, query); "@key" is the DUF number of the world's person «key».
PAGES = {
    TRONDHEIM: [
        ("arbeidsflate", "worklist", (), ""),
        ("personer", "persons", (), "?vis=1"),
        ("person", "person", ("@avvik",), ""),
        ("kommuner", "municipalities", (), ""),
        ("kommune", "municipality", ("5001",), ""),
        ("rapporter", "reports", (), ""),
        ("rapport-avvik", "report", ("avvik-sluttmaal",), ""),
        ("rapport-personliste", "report", ("personliste",), ""),
        ("aarsstatistikk", "statistics", (), "?year=2026&serie=1"),
    ],
    IMDI: [
        ("bosetting", "settlements", (), ""),
        ("kommuner-alle", "municipalities", (), ""),
        ("aarsstatistikk-per-kommune", "statistics", (), "?year=2026&by=municipality"),
        ("rapport-avsluttet", "report", ("avsluttet-intro",), ""),
    ],
}

SCROLL_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# Every chart title's right end (its lines' bounding box) against the width of its chart's viewBox.
TITLES_JS = """() => Array.from(document.querySelectorAll('svg text.chart-title')).map(t => {
    const box = t.getBBox(); return [t.textContent, box.x + box.width, t.ownerSVGElement.viewBox.baseVal.width];
})"""


def _url(world, url_name, args, query):
    return reverse(url_name, args=[world.duf(a[1:]) if a.startswith("@") else a for a in args]) + query


@pytest.mark.browser(urls=("municipality_export",))
@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("username", [TRONDHEIM, IMDI])
def test_main_pages_have_no_sideways_page_scroll(page, world, login, check_page, username, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, username)
    too_wide, clipped = [], []
    for name, url_name, args, query in PAGES[username]:
        url = _url(world, url_name, args, query)
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        page.wait_for_load_state("networkidle")  # Arbeidsflate loads its blocks after the page
        scroll_width, inner_width = page.evaluate(SCROLL_JS)
        if scroll_width > inner_width:
            too_wide.append(f"{name} ({url}): {scroll_width} px > {inner_width} px")
        clipped += [
            f"{name}: «{t}» ends at {right:.0f} of {w:.0f}" for t, right, w in page.evaluate(TITLES_JS) if right > w
        ]
        if width == 390:
            check_page(page, f"bredde-390-{name}")
    assert not too_wide, "the page scrolls sideways: " + "; ".join(too_wide)
    assert not clipped, "chart titles run past the chart: " + "; ".join(clipped)
