"""nir.reports.charts: accessible SVG charts in pure Python — well-formed, escaped, proportional,
nice ticks, Norwegian numbers, empty data, gaps in lines, deterministic."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from nir.reports import charts
from nir.reports.charts import NBSP, format_compact, format_number, format_percent, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def find(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if cls is None or cls in (e.get("class") or "").split()]


def label_text(e: ET.Element) -> str:
    """A text element's visible text (its tspans, not its <title>)."""
    spans = e.findall(f"{SVG}tspan")
    return " ".join(s.text or "" for s in spans) if spans else (e.text or "")


def visible(root: ET.Element, cls: str) -> list[str]:
    return [label_text(e) for e in find(root, "text", cls)]


def bars(root: ET.Element) -> list[ET.Element]:
    return find(root, "rect", "bar")


def h(e: ET.Element) -> float:
    return float(e.get("height"))


def w(e: ET.Element) -> float:
    return float(e.get("width"))


CATS = ["2021", "2022", "2023"]


# --- numbers ---------------------------------------------------------------------------------


def test_norwegian_number_formatting():
    assert format_number(12345) == f"12{NBSP}345"
    assert format_number(1234567.891) == f"1{NBSP}234{NBSP}567,9"
    assert format_number(Decimal("37.5")) == "37,5"
    assert format_number(999) == "999" and format_number(0) == "0" and format_number(-0.0) == "0"
    assert format_number(-1234) == f"\u22121{NBSP}234"
    assert format_number(2.0) == "2" and format_number(2.25, 2) == "2,25" and format_number(2.25, 0) == "2"
    assert format_number(10**18) == NBSP.join(["1"] + ["000"] * 6)
    assert format_number(1e300).startswith("1" + NBSP + "000")
    assert format_number(None) == format_number(float("nan")) == format_number(float("inf")) == "–"
    assert format_percent(45.25) == f"45,3{NBSP}%" and format_percent(100, 0) == f"100{NBSP}%"
    assert format_percent(None) == "–"
    assert format_compact(950_000) == f"950{NBSP}000"
    assert format_compact(1_500_000) == f"1,5{NBSP}mill." and format_compact(2 * 10**9) == f"2{NBSP}mrd."
    assert format_compact(1_250_000) == f"1,25{NBSP}mill."


@pytest.mark.parametrize(
    "lo, hi, kwargs, expected",
    [
        (0, 87, {}, [0, 20, 40, 60, 80, 100]),
        (0, 100, {}, [0, 20, 40, 60, 80, 100]),
        (0, 1, {}, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0, 0, {}, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0, 0, {"integer": True}, [0, 1]),
        (0, 3, {"integer": True}, [0, 1, 2, 3]),
        (0, 7, {}, [0, 2, 4, 6, 8]),
        (-5, 10, {}, [-5, 0, 5, 10]),
        (7, 7, {}, [0, 2, 4, 6, 8]),
        (0, 0.03, {}, [0, 0.01, 0.02, 0.03]),
        (0, 2_750_000_000_000, {}, [0, 10**12, 2 * 10**12, 3 * 10**12]),
        (0, 12345, {}, [0, 5000, 10000, 15000]),
    ],
)
def test_nice_ticks(lo, hi, kwargs, expected):
    assert nice_ticks(lo, hi, **kwargs) == expected


# --- the frame: accessibility, escaping, determinism ------------------------------------------


def all_kinds():
    series = {"Fullført": [12, 30, 7], "Avbrutt": [3, None, 0]}
    return {
        "bars": charts.bar_chart("Avslutninger", CATS, series, unit="Antall"),
        "stacked": charts.bar_chart("Avslutninger", CATS, series, stacked=True),
        "horizontal": charts.bar_chart("Avslutninger", CATS, series, horizontal=True),
        "line": charts.line_chart("Avslutninger", CATS, series),
        "shares": charts.share_bars("Fordeling", [("A", 3), ("B", 1)]),
        "empty": charts.bar_chart("Avslutninger", [], {}),
    }


@pytest.mark.parametrize("kind", list(all_kinds()))
def test_accessible_frame(kind):
    svg = all_kinds()[kind]
    root = parse(svg)
    assert root.get("role") == "img"
    title, desc = root[0], root[1]
    assert title.tag == f"{SVG}title" and desc.tag == f"{SVG}desc"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text and desc.text
    x0, y0, width, height = (float(v) for v in root.get("viewBox").split())
    assert (x0, y0) == (0, 0) and width > 0 and height > 0
    assert "<script" not in svg and "javascript:" not in svg
    assert str(svg).startswith("<svg") and hasattr(svg, "__html__")


def test_legend_and_patterns_so_that_colour_is_not_the_only_carrier():
    root = parse(all_kinds()["bars"])
    legend = find(root, "g", "legend")[0]
    assert [label_text(t) for t in legend.iter(f"{SVG}text")] == ["Fullført", "Avbrutt"]
    first, second = (b for b in bars(root) if b.get("data-category") == "0")
    assert first.get("fill") == charts.PALETTE[0]
    assert second.get("fill").startswith("url(#")
    pattern_id = second.get("fill")[5:-1]
    assert [p.get("id") for p in find(root, "pattern")] == [pattern_id]
    line = parse(charts.line_chart("T", CATS, {"Fullført": [12, 30, 7], "Avbrutt": [3, 5, 0]}))
    dashes = [p.get("stroke-dasharray") for p in find(line, "polyline", "line")]
    assert dashes[0] is None and dashes[1]  # the second series is dashed
    assert {e.tag for e in find(line, "circle", "point")} and find(line, "rect", "point")  # two marker shapes
    assert visible(line, "line-label") == ["Fullført", "Avbrutt"]  # lines are labelled directly


def _contrast(hex_colour: str) -> float:
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (lum + 0.05)


def test_palette_has_aa_contrast_against_white():
    assert len(set(charts.PALETTE)) == len(charts.PALETTE) >= 6
    assert all(_contrast(c) >= 4.5 for c in charts.PALETTE)
    assert _contrast(charts.TEXT_COLOUR) >= 7


def test_text_is_escaped():
    nasty = "A <b>&amp; \"sitat\" 'x' </svg>"
    svg = charts.bar_chart(nasty, [nasty, "B"], {nasty: [1, 2], "Annen": [3, 4]}, unit=nasty, description=nasty)
    root = parse(svg)
    assert root[0].text == nasty and root[1].text == nasty
    assert label_text(find(root, "text", "category")[0]) == nasty
    assert nasty in [label_text(t) for t in find(root, "g", "legend")[0].iter(f"{SVG}text")]
    assert bars(root)[0].find(f"{SVG}title").text == f"{nasty}, {nasty}: 1"
    assert "<b>" not in svg and "</svg>" not in svg[:-6]
    for make in (
        lambda: charts.line_chart(nasty, [nasty], {nasty: [1]}),
        lambda: charts.share_bars(nasty, [(nasty, 1)]),
        lambda: charts.bar_chart(nasty, [], {}),
    ):
        assert parse(make())[0].text == nasty
    # Characters XML does not allow are dropped rather than breaking the document.
    assert parse(charts.bar_chart("a\x00b\x1f", ["\x07"], {"s": [1]}))[0].text == "ab"


def test_deterministic_and_unique_ids():
    a = charts.bar_chart("T", CATS, {"x": [1, 2, 3], "y": [3, 2, 1]})
    assert a == charts.bar_chart("T", CATS, {"x": [1, 2, 3], "y": [3, 2, 1]})
    b = charts.bar_chart("T", CATS, {"x": [1, 2, 4], "y": [3, 2, 1]})
    assert parse(a)[0].get("id") != parse(b)[0].get("id")
    c = charts.bar_chart("T", CATS, {"x": [1, 2, 3], "y": [3, 2, 1]}, chart_id="avslutninger")
    assert parse(c)[0].get("id") == "avslutninger-title" and 'id="avslutninger-p1"' in c


# --- bars -----------------------------------------------------------------------------------


def test_bar_heights_are_proportional():
    root = parse(charts.bar_chart("T", ["a", "b", "c", "d"], {"n": [10, 20, 40, 0]}))
    heights = [h(b) for b in bars(root)]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.02)
    assert heights[2] == pytest.approx(4 * heights[0], abs=0.02)
    assert heights[3] == 0
    # The bars stand on the same baseline.
    assert len({round(float(b.get("y")) + h(b), 1) for b in bars(root)}) == 1
    assert visible(root, "value") == ["10", "20", "40", "0"]
    assert visible(root, "tick") == ["0", "10", "20", "30", "40"]


def test_horizontal_bar_widths_are_proportional_and_long_labels_are_shortened():
    long_label = "Arbeid – uten fullført videregående opplæring og med et svært langt navn " * 8
    root = parse(charts.bar_chart("Sluttmål", [long_label, "Kort"], {"n": [300, 100]}, horizontal=True))
    widths = [w(b) for b in bars(root)]
    assert widths[0] == pytest.approx(3 * widths[1], abs=0.02)
    first, second = find(root, "text", "category")
    assert first.find(f"{SVG}title").text == long_label  # the full text as a tooltip
    lines = [s.text for s in first.findall(f"{SVG}tspan")]
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert second.find(f"{SVG}title") is None and label_text(second) == "Kort"
    assert visible(root, "value") == ["300", "100"]


def test_grouped_bars_skip_none():
    root = parse(charts.bar_chart("T", CATS, {"x": [5, None, 5], "y": [None, None, 10]}))
    assert [(b.get("data-series"), b.get("data-category")) for b in bars(root)] == [("0", "0"), ("0", "2"), ("1", "2")]
    assert h(bars(root)[2]) == pytest.approx(2 * h(bars(root)[1]), abs=0.02)


@pytest.mark.parametrize("horizontal", [False, True])
def test_stacked_totals(horizontal):
    series = {"Fullført": [120, 130, 0], "Avbrutt": [30, None, 0], "Annet": [50, 20, None]}
    root = parse(charts.bar_chart("T", CATS, series, stacked=True, horizontal=horizontal))
    size = w if horizontal else h
    by_category = {}
    for b in bars(root):
        by_category.setdefault(b.get("data-category"), []).append(size(b))
    assert sum(by_category["0"]) == pytest.approx(200 / 150 * sum(by_category["1"]), abs=0.05)
    assert by_category["2"] == [0, 0]
    assert visible(root, "total") == ["200", "150", "0"]
    # Segments follow each other without gaps.
    segs = [b for b in bars(root) if b.get("data-category") == "0"]
    if horizontal:
        for a, b in zip(segs, segs[1:]):
            assert float(a.get("x")) + w(a) == pytest.approx(float(b.get("x")), abs=0.02)
    else:
        for a, b in zip(segs, segs[1:]):
            assert float(b.get("y")) + h(b) == pytest.approx(float(a.get("y")), abs=0.02)


def test_single_category_zeros_and_huge_numbers():
    root = parse(charts.bar_chart("Én", ["Alle"], {"n": [0]}))
    assert len(bars(root)) == 1 and h(bars(root)[0]) == 0 and visible(root, "value") == ["0"]
    assert "Ingen data" not in "".join(root.itertext())
    assert w(bars(root)[0]) <= 64  # a single bar does not fill the whole width
    big = parse(charts.bar_chart("Store tall", ["a", "b"], {"n": [1_500_000_000, 2_750_000_000_000]}))
    assert visible(big, "tick") == ["0", f"1{NBSP}000{NBSP}mrd.", f"2{NBSP}000{NBSP}mrd.", f"3{NBSP}000{NBSP}mrd."]
    assert f"2{NBSP}750{NBSP}000{NBSP}000{NBSP}000" in visible(big, "value")
    assert h(bars(big)[1]) / h(bars(big)[0]) == pytest.approx(2_750_000_000_000 / 1_500_000_000, rel=0.05)


def test_negative_values_hang_below_the_baseline():
    root = parse(charts.bar_chart("T", ["a", "b"], {"n": [-5, 10]}))
    neg, pos = bars(root)
    assert float(neg.get("y")) == pytest.approx(float(pos.get("y")) + h(pos), abs=0.02)  # both touch zero
    assert h(pos) == pytest.approx(2 * h(neg), abs=0.02)
    assert visible(root, "value") == ["\u22125", "10"]


def test_percent_unit():
    root = parse(charts.bar_chart("Andel i arbeid", ["Kvinner", "Menn"], {"Andel": [45.25, 61]}, unit="%"))
    assert visible(root, "value") == [f"45,3{NBSP}%", f"61{NBSP}%"]
    assert visible(root, "tick")[-1].endswith(f"{NBSP}%")


def test_share_bars_show_count_and_percent():
    items = [("Rett og plikt", 120), ("Rett", 30), ("Ingen", 0)]
    root = parse(charts.share_bars("Fordeling på kategori", items))
    assert visible(root, "value") == [f"120 (80,0{NBSP}%)", f"30 (20,0{NBSP}%)", f"0 (0,0{NBSP}%)"]
    assert "Rett og plikt 120 (80,0" in root[1].text
    root = parse(charts.share_bars("Av alle", [("Med", 1)], total=3))
    assert visible(root, "value") == [f"1 (33,3{NBSP}%)"]
    assert [(label, int(n), round(float(p), 1)) for label, n, p in charts.shares(items)] == [
        ("Rett og plikt", 120, 80.0),
        ("Rett", 30, 20.0),
        ("Ingen", 0, 0.0),
    ]


# --- empty data -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "svg",
    [
        charts.bar_chart("Tomt", [], {}),
        charts.bar_chart("Tomt", ["a", "b"], {}),
        charts.bar_chart("Tomt", ["a", "b"], {"x": [None, None]}, stacked=True),
        charts.bar_chart("Tomt", ["a"], {"x": [float("nan")]}, horizontal=True),
        charts.line_chart("Tomt", ["2024", "2025"], {"x": [None, None]}),
        charts.line_chart("Tomt", [], {"x": []}),
        charts.share_bars("Tomt", []),
    ],
)
def test_empty_data_says_so(svg):
    root = parse(svg)
    assert visible(root, "no-data") == ["Ingen data"]
    assert not bars(root) and root.get("role") == "img" and root[0].text == "Tomt"


def test_short_and_long_series_are_padded_or_cut():
    root = parse(charts.bar_chart("T", CATS, {"kort": [1], "lang": [1, 2, 3, 4, 5]}))
    assert sorted((b.get("data-series"), b.get("data-category")) for b in bars(root)) == [
        ("0", "0"),
        ("1", "0"),
        ("1", "1"),
        ("1", "2"),
    ]


# --- lines ----------------------------------------------------------------------------------


def test_none_leaves_a_gap_in_the_line():
    years = ["2021", "2022", "2023", "2024", "2025"]
    root = parse(
        charts.line_chart(
            "Deltakere",
            years,
            {"Integreringsloven": [10, 20, None, 40, 50], "Introduksjonsloven": [None, 5, None, 7, None]},
        )
    )
    lines = find(root, "polyline", "line")
    assert [(p.get("data-series"), len(p.get("points").split())) for p in lines] == [("0", 2), ("0", 2)]
    points = [e for e in root.iter() if "point" in (e.get("class") or "").split()]
    assert [e.get("data-value") for e in points] == ["10", "20", "40", "50", "5", "7"]
    # The isolated points of the second series are markers without a line.
    assert all(p.get("data-series") == "0" for p in lines)
    assert visible(root, "category") == years


def test_line_points_are_placed_by_value():
    root = parse(charts.line_chart("Andel", ["2024", "2025"], {"Andel": [25.5, 51]}, unit="%"))
    (line,) = find(root, "polyline", "line")
    (x1, y1), (x2, y2) = [tuple(float(v) for v in p.split(",")) for p in line.get("points").split()]
    base = float(find(root, "line", "baseline")[0].get("y1"))
    assert (base - y2) == pytest.approx(2 * (base - y1), abs=0.02) and x2 > x1
    assert visible(root, "value") == [f"25,5{NBSP}%", f"51{NBSP}%"]  # one series: values shown
    assert visible(root, "tick") == [f"{t}{NBSP}%" for t in ("0", "20", "40", "60")]


# --- robustness --------------------------------------------------------------------------------


def test_very_long_texts_are_fast_and_well_formed():
    huge = "Langtekst" * 5000
    start = time.perf_counter()
    for svg in (
        charts.bar_chart(huge, [huge], {huge: [1]}, horizontal=True),
        charts.bar_chart(huge, [huge, "b"], {huge: [1, 2], "x": [2, 1]}),
        charts.line_chart(huge, [huge], {huge: [1]}),
    ):
        root = parse(svg)
        assert root[0].text == huge
        assert len(svg) < 20 * len(huge)  # the full text in <title>s, a bounded number of times
    assert time.perf_counter() - start < 2


def test_many_series_cycle_through_the_styles():
    series = {f"Serie {i}": [i + 1] for i in range(12)}
    root = parse(charts.bar_chart("Mange", ["a"], series))
    assert len(bars(root)) == 12 and len(find(root, "pattern")) == len(charts.PATTERNS) - 1


# --- the same numbers as a table ----------------------------------------------------------------


def test_data_table():
    table = charts.data_table(
        "Avslutninger <per år>",
        CATS,
        {"Fullført": [1200, 30, None], "Avbrutt": [3.5, 0, 1]},
        category_header="År",
        unit="Antall",
        totals=True,
    )
    root = ET.fromstring(table)  # well-formed (XHTML-compatible) markup
    assert root.find("caption").text == "Avslutninger <per år> (Antall)"
    assert [(th.text, th.get("scope")) for th in root.find("thead").iter("th")] == [
        ("År", "col"),
        ("Fullført", "col"),
        ("Avbrutt", "col"),
        ("Sum", "col"),
    ]
    rows = [[c.text for c in tr] for tr in root.find("tbody")]
    assert rows == [["2021", f"1{NBSP}200", "3,5", f"1{NBSP}203,5"], ["2022", "30", "0", "30"], ["2023", "–", "1", "1"]]
    assert all(tr[0].get("scope") == "row" for tr in root.find("tbody"))
    assert "<td" in charts.data_table("Tomt", [], {}) and "Ingen data" in charts.data_table("Tomt", [], {})


def test_share_table():
    root = ET.fromstring(charts.share_table("Fordeling", [("A", 3), ("B", 1)], label_header="Kategori"))
    assert [[c.text for c in tr] for tr in root.find("tbody")] == [
        ["A", "3", f"75,0{NBSP}%"],
        ["B", "1", f"25,0{NBSP}%"],
    ]
    assert [c.text for c in root.find("tfoot").find("tr")] == ["Sum", "4", f"100,0{NBSP}%"]


def test_charts_are_inserted_unescaped_by_django_templates():
    from django.template import engines

    svg = charts.bar_chart("A & B", ["x"], {"n": [1]})
    html = (
        engines["django"]
        .from_string("<figure>{{ svg }}{{ table }}</figure>")
        .render({"svg": svg, "table": charts.data_table("A & B", ["x"], {"n": [1]})})
    )
    assert html.startswith("<figure><svg") and "A &amp; B" in html and "&lt;svg" not in html
