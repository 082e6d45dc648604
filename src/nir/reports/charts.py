"""Accessible SVG charts for the report pages: pure Python, no JavaScript, no dependency.

    from nir.reports import charts
    svg = charts.bar_chart("Avslutninger per år", ["2024", "2025"], {"Fullført": [12, 30], "Avbrutt": [3, None]},
                           stacked=True, unit="Antall avslutninger")
    table = charts.data_table("Avslutninger per år", ["2024", "2025"], {"Fullført": [12, 30], "Avbrutt": [3, None]})

Every function returns an ``Html`` string: a ``str`` with ``__html__``, so Django
templates (and markupsafe) insert it as it is — every text in it is XML-escaped here.

Accessibility:

* the ``<svg>`` has ``role="img"`` and ``aria-labelledby`` pointing at its ``<title>`` and
  ``<desc>`` (the description is generated when none is given: chart type, size, extremes);
* the palette has a contrast of at least 4.5:1 against white (WCAG AA, also for text), is
  derived from Okabe–Ito (distinguishable with the common colour-vision deficiencies), and
  colour is never the only carrier: bars of each series have their own fill pattern, lines
  their own dash pattern and marker shape, and values are written on or next to the bars
  and lines are labelled directly at their ends;
* a chart is a picture of numbers, not a replacement for them: every chart on a page must
  be accompanied by the same numbers as an HTML table — ``data_table`` (or ``share_table``
  for ``share_bars``) builds it from the very arguments the chart got. Put both in a
  ``<figure>``, the table after the chart (or in a ``<details>`` right under it).

Numbers are written the Norwegian way: a no-break space as thousands separator, a decimal
comma, a minus sign (U+2212) and a space before the percent sign: ``12 345``, ``45,3 %``.
Axis ticks are "nice" round numbers (1, 2 or 5 × 10ⁿ); from a million, ticks read
``1,5 mill.`` and ``2 mrd.``.

The output is deterministic: the same arguments give the same string (element ids are
derived from a hash of the arguments unless ``chart_id`` is given), so tests can compare
parts of it. Empty input (no categories, no series, only ``None``) gives a chart that says
«Ingen data».
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "Html",
    "PALETTE",
    "NO_DATA",
    "bar_chart",
    "line_chart",
    "share_bars",
    "data_table",
    "share_table",
    "shares",
    "format_number",
    "format_percent",
    "format_compact",
    "nice_ticks",
]

NBSP = "\u00a0"
MINUS = "\u2212"
ELLIPSIS = "\u2026"
NO_DATA = "Ingen data"

# Okabe–Ito, darkened where needed so that each colour has a contrast >= 4.5:1 against white:
# blue, vermillion, bluish green, reddish purple, ochre, grey, indigo, wine.
PALETTE = ("#0072B2", "#B04A00", "#007A5A", "#A4497F", "#8F6200", "#4D4D4D", "#332288", "#882255")
PATTERNS = ("solid", "diagonal", "dots", "horizontal", "crosshatch", "vertical", "backdiagonal", "grid")
DASHES = ("", "8 4", "2 3", "10 3 2 3", "4 4", "12 3 2 3 2 3", "1 2", "6 2")
MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down", "circle-open", "square-open", "diamond-open")

TEXT_COLOUR = "#1e2b3c"
AXIS_COLOUR = "#5f6b7a"
GRID_COLOUR = "#d5dae1"
FONT_FAMILY = "system-ui, sans-serif"

_PAD = 12
_TITLE_SIZE = 15
_TITLE_LINES = 5
_BOLD_WIDTH = 1.18  # bold text is wider than the estimate of _text_width
_FONT = 12
_SMALL = 11
_DEFAULT_WIDTH = 640


class Html(str):
    """A string of markup that Django templates (and markupsafe) insert without escaping."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


# --- numbers -------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    """``value`` as a finite Decimal; ``None`` for None, NaN, infinities and non-numbers."""
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, (bool, int)):
        return Decimal(int(value))
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _auto_decimals(d: Decimal, limit: int) -> int:
    """The decimals ``d`` needs (trailing zeros dropped), at most ``limit``."""
    if d == d.to_integral_value():
        return 0
    exponent = d.normalize().as_tuple().exponent
    return min(limit, -exponent) if isinstance(exponent, int) else limit


def format_number(value: Any, decimals: int | None = None) -> str:
    """Norwegian: ``12 345``, ``3,5``, ``−7`` (no-break space, decimal comma, minus sign); ``–`` for no value.

    ``decimals=None``: whole numbers without decimals, others with one.
    """
    d = _decimal(value)
    if d is None:
        return "–"
    if decimals is None:
        decimals = 0 if d == d.to_integral_value() else 1
    decimals = max(0, decimals)
    ctx = Context(prec=max(28, d.adjusted() + decimals + 5))
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=ctx)
    sign = MINUS if q < 0 else ""
    whole, _, fraction = f"{abs(q):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + NBSP.join(groups) + ("," + fraction if fraction else "")


def format_percent(value: Any, decimals: int = 1) -> str:
    """``45,3 %`` (a no-break space before the sign); ``–`` for no value."""
    if _decimal(value) is None:
        return "–"
    return f"{format_number(value, decimals)}{NBSP}%"


def format_compact(value: Any) -> str:
    """Axis style: ``950 000``, ``1,5 mill.``, ``2 mrd.``."""
    d = _decimal(value)
    if d is None:
        return "–"
    for size, word in ((Decimal(10) ** 9, "mrd."), (Decimal(10) ** 6, "mill.")):
        if abs(d) >= size:
            scaled = d / size
            return f"{format_number(scaled, _auto_decimals(scaled, 2))}{NBSP}{word}"
    return format_number(d, _auto_decimals(d, 3))


def _plain(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def _nice(lo: Decimal, hi: Decimal, count: int = 5, integer: bool = False) -> list[Decimal]:
    if lo > hi:
        lo, hi = hi, lo
    if lo == hi:
        if lo == 0:
            hi = Decimal(1)
        elif lo > 0:
            lo = Decimal(0)
        else:
            hi = Decimal(0)
    raw = (hi - lo) / max(1, count)
    base = Decimal(1).scaleb(raw.adjusted())
    step = base * 10
    for m in (1, 2, 5, 10):
        if base * m >= raw:
            step = base * m
            break
    if integer and step < 1:
        step = Decimal(1)
    start = (lo / step).to_integral_value(rounding=ROUND_FLOOR) * step
    end = (hi / step).to_integral_value(rounding=ROUND_CEILING) * step
    n = int((end - start) / step)
    return [start + step * i for i in range(n + 1)]


def nice_ticks(lo: Any, hi: Any, count: int = 5, *, integer: bool = False) -> list[int | float]:
    """Round axis ticks covering ``lo``…``hi``: about ``count`` steps of 1, 2 or 5 × 10ⁿ.

    ``integer``: no steps below 1 (counts). Equal ends are widened to include zero (0…1 for 0).
    """
    a, b = _decimal(lo) or Decimal(0), _decimal(hi) or Decimal(0)
    return [_plain(t) for t in _nice(a, b, count, integer)]


def shares(items: Sequence[tuple[str, Any]], total: Any = None) -> list[tuple[str, Decimal | None, Decimal | None]]:
    """``(label, count, percent)`` per item; the percent of ``total`` (default: the sum of the counts)."""
    values = [(str(label), _decimal(v)) for label, v in items]
    t = _decimal(total)
    if t is None:
        t = sum((v for _, v in values if v is not None), Decimal(0))
    out = []
    for label, v in values:
        pct = None if v is None or t == 0 else v * 100 / t
        out.append((label, v, pct))
    return out


# --- text ----------------------------------------------------------------------------------

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _esc(value: Any) -> str:
    """Text for XML content and attribute values (``&<>"'`` escaped; characters XML forbids removed)."""
    return html.escape(_INVALID_XML.sub("", str(value)), quote=True)


def _n(x: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    if not math.isfinite(x):
        x = 0.0
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


_NARROW = set("iljI.,:;!|'`ft ()[]")
_WIDE = set("mwMW@%")


def _char_width(ch: str) -> float:
    if ch in _NARROW:
        return 0.34
    if ch in _WIDE:
        return 0.92
    if ch.isupper():
        return 0.72
    if ch.isdigit():
        return 0.6
    return 0.58


def _text_width(text: str, size: float) -> float:
    """An estimate of the rendered width (no font metrics here); generous rather than tight."""
    return sum(_char_width(ch) for ch in text) * size


def _prefix(text: str, width: float, size: float) -> int:
    """The length of the longest prefix of ``text`` that fits ``width``."""
    w = 0.0
    for k, ch in enumerate(text):
        w += _char_width(ch) * size
        if w > width:
            return k
    return len(text)


def _fit(text: str, width: float, size: float) -> str:
    """``text`` cut with an ellipsis so that it fits ``width``."""
    if _text_width(text, size) <= width:
        return text
    return text[: _prefix(text, width - _char_width(ELLIPSIS) * size, size)].rstrip() + ELLIPSIS


def _wrap(text: str, width: float, size: float, max_lines: int) -> tuple[list[str], bool]:
    """Greedy word wrap to ``width``; too long words are broken; more than ``max_lines``: cut with «…».

    Returns the lines and whether the text had to be shortened.
    """
    width = max(width, size)
    lines: list[str] = []
    current = ""
    for word in str(text).split():
        if len(lines) > max_lines:
            break
        candidate = f"{current} {word}" if current else word
        if _text_width(candidate, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        while _text_width(word, size) > width and len(lines) <= max_lines:
            cut = max(1, _prefix(word, width, size))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    if not lines:
        return [""], False
    if len(lines) <= max_lines:
        return lines, False
    lines = lines[:max_lines]
    lines[-1] = _fit(lines[-1] + ELLIPSIS, width, size)
    if not lines[-1].endswith(ELLIPSIS):
        lines[-1] += ELLIPSIS
    return lines, True


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = _FONT,
    anchor: str = "start",
    cls: str = "",
    weight: str = "",
    fill: str = TEXT_COLOUR,
    extra: str = "",
    full: str | None = None,
) -> str:
    attrs = f'x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    attrs += f' fill="{fill}"'
    if cls:
        attrs += f' class="{cls}"'
    tip = f"<title>{_esc(full)}</title>" if full is not None else ""
    return f"<text {attrs}{extra}>{tip}{_esc(text)}</text>"


def _lines(
    x: float,
    y: float,
    lines: list[str],
    *,
    size: float,
    line_height: float,
    anchor: str,
    cls: str,
    full: str | None,
    weight: str = "",
) -> str:
    """A multi-line text: one ``<tspan>`` per line, the full text as ``<title>`` when shortened."""
    attrs = f'x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" fill="{TEXT_COLOUR}" class="{cls}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    tip = f"<title>{_esc(full)}</title>" if full is not None else ""
    spans = "".join(
        f'<tspan x="{_n(x)}" y="{_n(y + k * line_height)}">{_esc(line)}</tspan>' for k, line in enumerate(lines)
    )
    return f"<text {attrs}>{tip}{spans}</text>"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# --- styles per series --------------------------------------------------------------------


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _pattern_def(pid: str, i: int) -> str:
    kind = PATTERNS[i % len(PATTERNS)]
    c = colour(i)
    if kind == "solid":
        return ""
    rotate = {"diagonal": 45, "backdiagonal": -45, "crosshatch": 45}.get(kind)
    transform = f' patternTransform="rotate({rotate})"' if rotate else ""
    line = 'stroke="#ffffff" stroke-width="2"'
    body = {
        "diagonal": f'<line x1="0" y1="0" x2="0" y2="8" {line}/>',
        "backdiagonal": f'<line x1="0" y1="0" x2="0" y2="8" {line}/>',
        "vertical": f'<line x1="4" y1="0" x2="4" y2="8" {line}/>',
        "horizontal": f'<line x1="0" y1="4" x2="8" y2="4" {line}/>',
        "crosshatch": f'<line x1="0" y1="0" x2="0" y2="8" {line}/><line x1="0" y1="0" x2="8" y2="0" {line}/>',
        "grid": f'<line x1="4" y1="0" x2="4" y2="8" {line}/><line x1="0" y1="4" x2="8" y2="4" {line}/>',
        "dots": '<circle cx="4" cy="4" r="1.6" fill="#ffffff"/>',
    }[kind]
    return (
        f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse"{transform}>'
        f'<rect width="8" height="8" fill="{c}"/>{body}</pattern>'
    )


class _Ids:
    """Element ids of one chart: unique per chart on a page, the same for the same arguments."""

    def __init__(self, kind: str, chart_id: str | None, *parts: Any):
        if chart_id:
            cid = re.sub(r"[^A-Za-z0-9_-]", "-", str(chart_id))
            self.base = cid if cid[:1].isalpha() else f"c-{cid}"
        else:
            digest = hashlib.sha1(repr((kind, parts)).encode("utf-8", "surrogatepass")).hexdigest()[:10]
            self.base = f"nirc-{digest}"
        self.title = f"{self.base}-title"
        self.desc = f"{self.base}-desc"

    def pattern(self, i: int) -> str:
        return f"{self.base}-p{i % len(PATTERNS)}"

    def fill(self, i: int) -> str:
        if PATTERNS[i % len(PATTERNS)] == "solid":
            return colour(i)
        return f"url(#{self.pattern(i)})"

    def defs(self, n_series: int) -> str:
        body = "".join(_pattern_def(self.pattern(i), i) for i in range(min(n_series, len(PATTERNS))))
        return f"<defs>{body}</defs>" if body else ""


def _marker(i: int, x: float, y: float, tip: str = "", cls: str = "point", extra: str = "") -> str:
    kind = MARKERS[i % len(MARKERS)]
    c = colour(i)
    open_ = kind.endswith("-open")
    fill = "#ffffff" if open_ else c
    paint = f'fill="{fill}" stroke="{c}" stroke-width="{2 if open_ else 1}"'
    title = f"<title>{_esc(tip)}</title>" if tip else ""
    shape = kind.removesuffix("-open")
    r = 4.5
    if shape == "circle":
        return f'<circle class="{cls}" cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" {paint}{extra}>{title}</circle>'
    if shape == "square":
        s = r * 1.7
        return (
            f'<rect class="{cls}" x="{_n(x - s / 2)}" y="{_n(y - s / 2)}" width="{_n(s)}" height="{_n(s)}" '
            f"{paint}{extra}>{title}</rect>"
        )
    points = {
        "triangle": [(x, y - r * 1.2), (x + r * 1.1, y + r * 0.8), (x - r * 1.1, y + r * 0.8)],
        "triangle-down": [(x, y + r * 1.2), (x + r * 1.1, y - r * 0.8), (x - r * 1.1, y - r * 0.8)],
        "diamond": [(x, y - r * 1.3), (x + r * 1.1, y), (x, y + r * 1.3), (x - r * 1.1, y)],
    }[shape]
    pts = " ".join(f"{_n(px)},{_n(py)}" for px, py in points)
    return f'<polygon class="{cls}" points="{pts}" {paint}{extra}>{title}</polygon>'


# --- frame, title, legend ------------------------------------------------------------------


def _svg(
    ids: _Ids, width: float, height: float, title: str, desc: str, body: str, *, cls: str, n_patterns: int = 0
) -> Html:
    w, h = _n(width), _n(height)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="nir-chart {cls}" viewBox="0 0 {w} {h}" '
        f'width="{w}" height="{h}" style="max-width:100%;height:auto" role="img" '
        f'aria-labelledby="{ids.title} {ids.desc}" font-family="{FONT_FAMILY}">'
    )
    return Html(
        f'{head}<title id="{ids.title}">{_esc(title)}</title><desc id="{ids.desc}">{_esc(desc)}</desc>'
        f"{ids.defs(n_patterns)}{body}</svg>"
    )


def _title_block(title: str, width: float, show: bool) -> tuple[str, float]:
    if not show or not str(title).strip():
        return "", 0.0
    # Bold letters are wider than ``_text_width`` estimates (up to ~10 %): wrapped with room to spare, so
    # that no title runs past the chart's right edge and is clipped (issue 16); five lines before «…».
    lines, cut = _wrap(str(title), (width - 2 * _PAD) / _BOLD_WIDTH, _TITLE_SIZE, _TITLE_LINES)
    svg = _lines(
        _PAD,
        _PAD + _TITLE_SIZE,
        lines,
        size=_TITLE_SIZE,
        line_height=19,
        anchor="start",
        cls="chart-title",
        full=str(title) if cut else None,
        weight="bold",
    )
    return svg, len(lines) * 19 + 8


def _legend(ids: _Ids, names: list[str], x0: float, y0: float, width: float, kind: str) -> tuple[str, float]:
    """Legend items flowing in rows: a patterned swatch (bars) or a dashed line with its marker (lines)."""
    swatch_w = 14 if kind == "bar" else 28
    max_text = min(220.0, width - swatch_w - 10)
    x, row = x0, 0
    items = []
    for i, name in enumerate(names):
        label = _fit(name, max_text, _FONT)
        item_w = swatch_w + 6 + _text_width(label, _FONT) + 18
        if x > x0 and x + item_w > x0 + width:
            x, row = x0, row + 1
        y = y0 + row * 20
        if kind == "bar":
            swatch = (
                f'<rect x="{_n(x)}" y="{_n(y)}" width="14" height="14" fill="{ids.fill(i)}" '
                f'stroke="{colour(i)}" stroke-width="1"/>'
            )
        else:
            dash = DASHES[i % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            swatch = (
                f'<line x1="{_n(x)}" y1="{_n(y + 7)}" x2="{_n(x + 28)}" y2="{_n(y + 7)}" stroke="{colour(i)}" '
                f'stroke-width="2.5"{dash_attr}/>' + _marker(i, x + 14, y + 7, cls="legend-marker")
            )
        text = _text(x + swatch_w + 6, y + 11.5, label, full=name if label != name else None)
        items.append(f'<g class="legend-item">{swatch}{text}</g>')
        x += item_w
    return f'<g class="legend">{"".join(items)}</g>', (row + 1) * 20 + 6


def _empty(ids: _Ids, title: str, description: str, width: float, show_title: bool) -> Html:
    title_svg, th = _title_block(title, width, show_title)
    height = _PAD + th + 120 + _PAD
    cy = _PAD + th + 60
    body = (
        title_svg + f'<rect x="{_PAD}" y="{_n(_PAD + th)}" width="{_n(width - 2 * _PAD)}" height="120" fill="none" '
        f'stroke="{GRID_COLOUR}" stroke-dasharray="4 4"/>'
        + _text(width / 2, cy + 5, NO_DATA, size=14, anchor="middle", cls="no-data")
    )
    return _svg(ids, width, height, title, description or f"{NO_DATA}.", body, cls="nir-chart-empty")


# --- data ----------------------------------------------------------------------------------


def _series(
    categories: Sequence[Any], series: Mapping[str, Sequence[Any]] | None
) -> tuple[list[str], list[tuple[str, list[Decimal | None]]]]:
    cats = ["" if c is None else str(c) for c in (categories or [])]
    out = []
    for name, values in (series or {}).items():
        values = list(values or [])
        vals = [_decimal(values[i]) if i < len(values) else None for i in range(len(cats))]
        out.append(("" if name is None else str(name), vals))
    return cats, out


def _has_data(cats: list[str], ser: list[tuple[str, list[Decimal | None]]]) -> bool:
    return bool(cats) and any(v is not None for _, vals in ser for v in vals)


def _is_integer(ser: list[tuple[str, list[Decimal | None]]]) -> bool:
    return all(v == v.to_integral_value() for _, vals in ser for v in vals if v is not None)


def _stack_extent(ser, n: int) -> tuple[Decimal, Decimal]:
    """The lowest and highest end of the stacks (positive values stack up, negative down from zero)."""
    pos, neg = [Decimal(0)], [Decimal(0)]
    for i in range(n):
        vs = [vals[i] for _, vals in ser if vals[i] is not None]
        pos.append(sum((v for v in vs if v > 0), Decimal(0)))
        neg.append(sum((v for v in vs if v < 0), Decimal(0)))
    return min(neg), max(pos)


def _extent(ser) -> tuple[Decimal, Decimal]:
    values = [v for _, vals in ser for v in vals if v is not None]
    return min(values + [Decimal(0)]), max(values + [Decimal(0)])


def _value_text(value: Decimal | None, unit: str) -> str:
    if value is None:
        return "–"
    return format_percent(value, _auto_decimals(value, 1)) if unit == "%" else format_number(value)


def _tick_text(tick: Decimal, ticks: list[Decimal], unit: str) -> str:
    if max(abs(t) for t in ticks) >= 10**6:
        return format_compact(tick)
    decimals = max(_auto_decimals(t, 6) for t in ticks)
    text = format_number(tick, decimals)
    return f"{text}{NBSP}%" if unit == "%" else text


def _describe(kind: str, cats: list[str], ser, unit: str, stacked: bool = False) -> str:
    names = [name for name, _ in ser]
    what = {"bar": "Stolpediagram", "hbar": "Liggende stolpediagram", "line": "Linjediagram"}[kind]
    if stacked:
        what += " (stablet)"
    first = "punkter" if kind == "line" else "kategorier"
    text = f"{what} med {_plural(len(cats), 'punkt' if kind == 'line' else 'kategori', first)}"
    if len(ser) > 1:
        text += f" og {_plural(len(ser), 'serie', 'serier')}: {', '.join(names)}"
    text += "."
    cells = [(v, cats[i], name) for name, vals in ser for i, v in enumerate(vals) if v is not None]
    if cells:
        hi = max(cells, key=lambda c: c[0])
        lo = min(cells, key=lambda c: c[0])

        def where(c):
            return f"{c[1]}, {c[2]}" if len(ser) > 1 and c[2] else c[1]

        text += f" Høyeste verdi: {_value_text(hi[0], unit)} ({where(hi)})."
        if lo is not hi and lo[0] != hi[0]:
            text += f" Laveste verdi: {_value_text(lo[0], unit)} ({where(lo)})."
    if unit and unit != "%":
        text += f" Enhet: {unit}."
    return text


def _tip(category: str, series_name: str, value_text: str, n_series: int) -> str:
    if n_series > 1 and series_name:
        return f"{category}, {series_name}: {value_text}"
    return f"{category}: {value_text}"


def _halo_text(x: float, y: float, text: str, i: int) -> str:
    """White text inside a bar, outlined in the series colour so that it reads on any pattern."""
    return _text(
        x,
        y,
        text,
        size=_SMALL,
        anchor="middle",
        cls="value value-inside",
        fill="#ffffff",
        extra=f' stroke="{colour(i)}" stroke-width="3" paint-order="stroke" stroke-linejoin="round"',
    )


# --- bar charts ------------------------------------------------------------------------------


def bar_chart(
    title: str,
    categories: Sequence[Any],
    series: Mapping[str, Sequence[Any]],
    *,
    stacked: bool = False,
    horizontal: bool = False,
    unit: str = "",
    description: str = "",
    legend: bool | None = None,
    width: int = _DEFAULT_WIDTH,
    chart_id: str | None = None,
    show_title: bool = True,
) -> Html:
    """Grouped (or ``stacked``) bars, one group per category, one bar per series.

    ``horizontal``: bars from the left, for many categories or long labels (wrapped to three
    lines, then cut with «…» and the full text as the label's ``<title>``). ``unit``: the axis
    title (``"%"``: values are percentages). ``None`` values draw no bar. ``legend``: default
    when there is more than one series. ``chart_id``: the prefix of the element ids.
    """
    cats, ser = _series(categories, series)
    ids = _Ids("bar", chart_id, title, cats, ser, stacked, horizontal, unit, description, legend, width, show_title)
    if not _has_data(cats, ser):
        return _empty(ids, title, description, width, show_title)
    desc = description or _describe("hbar" if horizontal else "bar", cats, ser, unit, stacked)
    labels = lambda v, i, j: _value_text(v, unit)  # noqa: E731
    layout = _horizontal_bars if horizontal else _vertical_bars
    return layout(
        ids,
        title,
        desc,
        cats,
        ser,
        stacked=stacked,
        unit=unit,
        legend=legend,
        width=width,
        show_title=show_title,
        label=labels,
        total_label=labels,
    )


def share_bars(
    title: str,
    items: Sequence[tuple[str, Any]],
    *,
    total: Any = None,
    unit: str = "",
    series_name: str = "Antall",
    description: str = "",
    width: int = _DEFAULT_WIDTH,
    chart_id: str | None = None,
    show_title: bool = True,
) -> Html:
    """A distribution as horizontal bars labelled «n (p %)»: the percent of ``total`` (default: the sum).

    ``share_table`` gives the same numbers as a table.
    """
    rows = shares(items, total)
    ids = _Ids("share", chart_id, title, rows, unit, series_name, description, width, show_title)
    cats = [label for label, _, _ in rows]
    ser = [(series_name, [v for _, v, _ in rows])]
    if not _has_data(cats, ser):
        return _empty(ids, title, description, width, show_title)
    pct = [p for _, _, p in rows]

    def label(v, i, j):
        share = f" ({format_percent(pct[i])})" if pct[i] is not None else ""
        return f"{format_number(v)}{share}"

    if not description:
        parts = [f"{label_} {format_number(v)} ({format_percent(p)})" for label_, v, p in rows if v is not None]
        description = f"Fordeling på {_plural(len(cats), 'kategori', 'kategorier')}: " + "; ".join(parts) + "."
    return _horizontal_bars(
        ids,
        title,
        description,
        cats,
        ser,
        stacked=False,
        unit=unit,
        legend=False,
        width=width,
        show_title=show_title,
        label=label,
        total_label=label,
    )


def _bars_head(ids, title, cats, ser, *, stacked, unit, legend, width, show_title):
    """What both bar layouts start with: title, legend and the value axis' ticks."""
    W = float(width)
    n, k = len(cats), len(ser)
    parts = []
    title_svg, th = _title_block(title, W, show_title)
    parts.append(title_svg)
    y = _PAD + th
    if legend or (legend is None and k > 1):
        leg, lh = _legend(ids, [name for name, _ in ser], _PAD, y, W - 2 * _PAD, "bar")
        parts.append(leg)
        y += lh
    lo, hi = _stack_extent(ser, n) if stacked else _extent(ser)
    ticks = _nice(lo, hi, 5, _is_integer(ser))
    return W, n, k, parts, y, lo, ticks, [_tick_text(t, ticks, unit) for t in ticks]


def _vertical_bars(
    ids, title, desc, cats, ser, *, stacked, unit, legend, width, show_title, label, total_label
) -> Html:
    W, n, k, parts, y, lo, ticks, tick_texts = _bars_head(
        ids, title, cats, ser, stacked=stacked, unit=unit, legend=legend, width=width, show_title=show_title
    )
    t0, t1 = ticks[0], ticks[-1]
    left = _PAD + max(_text_width(t, _SMALL) for t in tick_texts) + 8
    right = W - _PAD
    if unit:
        parts.append(_text(_PAD, y + 11, unit, size=_SMALL, cls="axis-title"))
        y += 16
    plot_top = y + 16  # room for the value labels above the highest bar
    plot_h = 240.0
    plot_bottom = plot_top + plot_h
    band = (right - left) / n

    def sy(v: Decimal) -> float:
        return plot_bottom - float((v - t0) / (t1 - t0)) * plot_h

    grid = []
    for t, text in zip(ticks, tick_texts):
        ty = sy(t)
        grid.append(f'<line x1="{_n(left)}" y1="{_n(ty)}" x2="{_n(right)}" y2="{_n(ty)}" stroke="{GRID_COLOUR}"/>')
        grid.append(_text(left - 6, ty + 4, text, size=_SMALL, anchor="end", cls="tick"))
    base_y = sy(Decimal(0))
    parts.append(f'<g class="axis">{"".join(grid)}</g>')

    nb = 1 if stacked else k
    bw = min(band * 0.8 / nb, 64.0)
    gap = 2.0 if nb > 1 else 0.0
    bars, values = [], []
    for i, cat in enumerate(cats):
        gx = left + i * band + (band - bw * nb) / 2
        if stacked:
            up = down = Decimal(0)
            for j, (name, vals) in enumerate(ser):
                v = vals[i]
                if v is None:
                    continue
                start = up if v >= 0 else down
                end = start + v
                if v >= 0:
                    up = end
                else:
                    down = end
                ya, yb = sy(start), sy(end)
                top, h = min(ya, yb), abs(ya - yb)
                text = label(v, i, j)
                bars.append(_bar(ids, j, gx, top, bw, h, _tip(cat, name, text, k), i, v))
                if v != 0 and h >= 14 and _text_width(text, _SMALL) <= bw - 4:
                    values.append(_halo_text(gx + bw / 2, top + h / 2 + 4, text, j))
            present = [vals[i] for _, vals in ser if vals[i] is not None]
            if present:
                total = sum(present, Decimal(0))
                text = total_label(total, i, None)
                if _text_width(text, _SMALL) <= band - 2:
                    ty = sy(up) - 4 if (up > 0 or down == 0) else sy(down) + 13
                    values.append(
                        _text(gx + bw / 2, ty, text, size=_SMALL, anchor="middle", cls="total", weight="bold")
                    )
        else:
            for j, (name, vals) in enumerate(ser):
                v = vals[i]
                if v is None:
                    continue
                x = gx + j * bw
                ya, yb = sy(Decimal(0)), sy(v)
                text = label(v, i, j)
                bars.append(
                    _bar(ids, j, x + gap / 2, min(ya, yb), bw - gap, abs(ya - yb), _tip(cat, name, text, k), i, v)
                )
                room = bw + (band * 0.2 if nb == 1 else 0)
                if _text_width(text, _SMALL) <= room:
                    ty = yb - 4 if v >= 0 else yb + 13
                    values.append(_text(x + bw / 2, ty, text, size=_SMALL, anchor="middle", cls="value"))
    parts.append(f'<g class="bars">{"".join(bars)}</g>')
    parts.append(
        f'<line class="baseline" x1="{_n(left)}" y1="{_n(base_y)}" x2="{_n(right)}" y2="{_n(base_y)}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1.5"/>'
    )
    parts.append(f'<g class="values">{"".join(values)}</g>')

    label_y = plot_bottom + (30 if lo < 0 else 16)
    cat_parts, max_lines = [], 1
    for i, cat in enumerate(cats):
        lines, cut = _wrap(cat, band - 6, _SMALL, 3)
        max_lines = max(max_lines, len(lines))
        cat_parts.append(
            _lines(
                left + (i + 0.5) * band,
                label_y,
                lines,
                size=_SMALL,
                line_height=13,
                anchor="middle",
                cls="category",
                full=cat if cut else None,
            )
        )
    parts.append(f'<g class="categories">{"".join(cat_parts)}</g>')
    height = label_y + (max_lines - 1) * 13 + 6 + _PAD
    return _svg(ids, W, height, title, desc, "".join(parts), cls="nir-chart-bar", n_patterns=k)


def _bar(ids: _Ids, j: int, x: float, y: float, w: float, h: float, tip: str, i: int, v: Decimal) -> str:
    return (
        f'<rect class="bar" data-series="{j}" data-category="{i}" data-value="{_esc(_plain_text(v))}" '
        f'x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0.0))}" height="{_n(h)}" fill="{ids.fill(j)}" '
        f'stroke="{colour(j)}" stroke-width="1"><title>{_esc(tip)}</title></rect>'
    )


def _plain_text(v: Decimal) -> str:
    return f"{v.normalize():f}" if v != v.to_integral_value() else f"{v.to_integral_value():f}"


def _horizontal_bars(
    ids, title, desc, cats, ser, *, stacked, unit, legend, width, show_title, label, total_label
) -> Html:
    W, n, k, parts, y, lo, ticks, tick_texts = _bars_head(
        ids, title, cats, ser, stacked=stacked, unit=unit, legend=legend, width=width, show_title=show_title
    )
    t0, t1 = ticks[0], ticks[-1]

    label_max = min(W * 0.4, 260.0)
    wrapped = [_wrap(c, label_max, _FONT, 3) for c in cats]
    label_w = max(max(_text_width(line, _FONT) for line in lines) for lines, _ in wrapped)
    left = _PAD + max(label_w, 10.0) + 10
    if stacked:
        value_texts = [
            total_label(sum((vals[i] for _, vals in ser if vals[i] is not None), Decimal(0)), i, None) for i in range(n)
        ]
    else:
        value_texts = [label(v, i, j) for j, (_, vals) in enumerate(ser) for i, v in enumerate(vals) if v is not None]
    value_w = min(max(_text_width(t, _SMALL) for t in value_texts) + 8, W * 0.3)
    right = W - _PAD - max(value_w, _text_width(tick_texts[-1], _SMALL) / 2)
    right = max(right, left + 40)

    def sx(v: Decimal) -> float:
        return left + float((v - t0) / (t1 - t0)) * (right - left)

    nb = 1 if stacked else k
    thick = 20.0 if nb == 1 else 14.0
    plot_top = y + 4
    rows = []
    cursor = plot_top
    for lines, _ in wrapped:
        row_h = max(thick * nb, len(lines) * 15.0) + 12
        rows.append((cursor, row_h))
        cursor += row_h
    plot_bottom = cursor

    grid = []
    for t, text in zip(ticks, tick_texts):
        tx = sx(t)
        grid.append(
            f'<line x1="{_n(tx)}" y1="{_n(plot_top)}" x2="{_n(tx)}" y2="{_n(plot_bottom)}" stroke="{GRID_COLOUR}"/>'
        )
        grid.append(_text(tx, plot_bottom + 15, text, size=_SMALL, anchor="middle", cls="tick"))
    parts.append(f'<g class="axis">{"".join(grid)}</g>')

    bars, values, cat_parts = [], [], []
    for i, cat in enumerate(cats):
        row_top, row_h = rows[i]
        gy = row_top + (row_h - thick * nb) / 2
        lines, cut = wrapped[i]
        first = row_top + row_h / 2 - (len(lines) - 1) * 15 / 2 + 4
        cat_parts.append(
            _lines(
                left - 10,
                first,
                lines,
                size=_FONT,
                line_height=15,
                anchor="end",
                cls="category",
                full=cat if cut else None,
            )
        )
        if stacked:
            up = down = Decimal(0)
            for j, (name, vals) in enumerate(ser):
                v = vals[i]
                if v is None:
                    continue
                start = up if v >= 0 else down
                end = start + v
                if v >= 0:
                    up = end
                else:
                    down = end
                xa, xb = sx(start), sx(end)
                text = label(v, i, j)
                bars.append(_bar(ids, j, min(xa, xb), gy, abs(xa - xb), thick, _tip(cat, name, text, k), i, v))
                if v != 0 and abs(xa - xb) >= _text_width(text, _SMALL) + 6:
                    values.append(_halo_text((xa + xb) / 2, gy + thick / 2 + 4, text, j))
            if any(vals[i] is not None for _, vals in ser):
                text = value_texts[i]
                if up > 0 or down == 0:
                    values.append(_text(sx(up) + 4, gy + thick / 2 + 4, text, size=_SMALL, cls="total", weight="bold"))
                else:
                    values.append(
                        _text(
                            sx(down) - 4,
                            gy + thick / 2 + 4,
                            text,
                            size=_SMALL,
                            anchor="end",
                            cls="total",
                            weight="bold",
                        )
                    )
        else:
            for j, (name, vals) in enumerate(ser):
                v = vals[i]
                if v is None:
                    continue
                by = gy + j * thick
                xa, xb = sx(Decimal(0)), sx(v)
                text = label(v, i, j)
                bars.append(_bar(ids, j, min(xa, xb), by + 1, abs(xa - xb), thick - 2, _tip(cat, name, text, k), i, v))
                if v >= 0:
                    values.append(_text(xb + 4, by + thick / 2 + 4, text, size=_SMALL, cls="value"))
                else:
                    values.append(_text(xb - 4, by + thick / 2 + 4, text, size=_SMALL, anchor="end", cls="value"))
    parts.append(f'<g class="bars">{"".join(bars)}</g>')
    base_x = sx(Decimal(0))
    parts.append(
        f'<line class="baseline" x1="{_n(base_x)}" y1="{_n(plot_top)}" x2="{_n(base_x)}" '
        f'y2="{_n(plot_bottom)}" stroke="{AXIS_COLOUR}" stroke-width="1.5"/>'
    )
    parts.append(f'<g class="values">{"".join(values)}</g>')
    parts.append(f'<g class="categories">{"".join(cat_parts)}</g>')
    height = plot_bottom + 22
    if unit:
        parts.append(_text((left + right) / 2, height + 8, unit, size=_SMALL, anchor="middle", cls="axis-title"))
        height += 16
    height += _PAD
    return _svg(ids, W, height, title, desc, "".join(parts), cls="nir-chart-hbar", n_patterns=k)


# --- line chart --------------------------------------------------------------------------------


def line_chart(
    title: str,
    x_labels: Sequence[Any],
    series: Mapping[str, Sequence[Any]],
    *,
    unit: str = "",
    description: str = "",
    legend: bool | None = None,
    show_values: bool | None = None,
    width: int = _DEFAULT_WIDTH,
    chart_id: str | None = None,
    show_title: bool = True,
) -> Html:
    """One line per series over ``x_labels`` (e.g. years); ``None`` leaves a gap in the line.

    Each series has its own colour, dash pattern and marker shape, and its name is written at
    the end of its line. ``show_values``: the value above each point (default: one series only).
    """
    cats, ser = _series(x_labels, series)
    ids = _Ids("line", chart_id, title, cats, ser, unit, description, legend, show_values, width, show_title)
    if not _has_data(cats, ser):
        return _empty(ids, title, description, width, show_title)
    desc = description or _describe("line", cats, ser, unit)
    W = float(width)
    n, k = len(cats), len(ser)
    if show_values is None:
        show_values = k == 1
    parts = []
    title_svg, th = _title_block(title, W, show_title)
    parts.append(title_svg)
    y = _PAD + th
    if legend or (legend is None and k > 1):
        leg, lh = _legend(ids, [name for name, _ in ser], _PAD, y, W - 2 * _PAD, "line")
        parts.append(leg)
        y += lh

    lo, hi = _extent(ser)
    ticks = _nice(lo, hi, 5, _is_integer(ser))
    t0, t1 = ticks[0], ticks[-1]
    tick_texts = [_tick_text(t, ticks, unit) for t in ticks]
    left = _PAD + max(_text_width(t, _SMALL) for t in tick_texts) + 8
    names = {j: _fit(name, 130, _SMALL) for j, (name, _) in enumerate(ser) if name}
    end_w = max([_text_width(t, _SMALL) for t in names.values()] + [0.0])
    right = W - _PAD - (end_w + 10 if names else 0)
    right = max(right, left + 40)
    if unit:
        parts.append(_text(_PAD, y + 11, unit, size=_SMALL, cls="axis-title"))
        y += 16
    plot_top = y + 16
    plot_h = 240.0
    plot_bottom = plot_top + plot_h
    band = (right - left) / n

    def sx(i: int) -> float:
        return left + (i + 0.5) * band

    def sy(v: Decimal) -> float:
        return plot_bottom - float((v - t0) / (t1 - t0)) * plot_h

    grid = []
    for t, text in zip(ticks, tick_texts):
        ty = sy(t)
        grid.append(f'<line x1="{_n(left)}" y1="{_n(ty)}" x2="{_n(right)}" y2="{_n(ty)}" stroke="{GRID_COLOUR}"/>')
        grid.append(_text(left - 6, ty + 4, text, size=_SMALL, anchor="end", cls="tick"))
    parts.append(f'<g class="axis">{"".join(grid)}</g>')
    base_y = sy(Decimal(0))
    parts.append(
        f'<line class="baseline" x1="{_n(left)}" y1="{_n(base_y)}" x2="{_n(right)}" y2="{_n(base_y)}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1.5"/>'
    )

    lines_svg, points, values, ends = [], [], [], []
    for j, (name, vals) in enumerate(ser):
        dash = DASHES[j % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        run: list[tuple[float, float]] = []
        segments = []
        for i, v in enumerate(vals + [None]):
            if v is None:
                if len(run) > 1:
                    segments.append(run)
                run = []
                continue
            run.append((sx(i), sy(v)))
        for seg in segments:
            pts = " ".join(f"{_n(px)},{_n(py)}" for px, py in seg)
            lines_svg.append(
                f'<polyline class="line" data-series="{j}" points="{pts}" fill="none" stroke="{colour(j)}" '
                f'stroke-width="2.5" stroke-linejoin="round"{dash_attr}/>'
            )
        last = None
        for i, v in enumerate(vals):
            if v is None:
                continue
            text = _value_text(v, unit)
            points.append(
                _marker(
                    j,
                    sx(i),
                    sy(v),
                    _tip(cats[i], name, text, k),
                    extra=f' data-series="{j}" data-category="{i}" data-value="{_esc(_plain_text(v))}"',
                )
            )
            if show_values and _text_width(text, _SMALL) <= band + 4:
                values.append(_text(sx(i), sy(v) - 9, text, size=_SMALL, anchor="middle", cls="value"))
            last = (i, v)
        if last is not None and j in names:
            ends.append([sy(last[1]) + 4, j, sx(last[0])])
    # Direct labels at the line ends, pushed apart so that they do not overlap.
    ends.sort(key=lambda e: (e[0], e[1]))
    for a in range(1, len(ends)):
        ends[a][0] = max(ends[a][0], ends[a - 1][0] + 13)
    end_svg = [
        _text(
            right + 8,
            ey,
            names[j],
            size=_SMALL,
            cls="line-label",
            fill=TEXT_COLOUR,
            full=ser[j][0] if names[j] != ser[j][0] else None,
        )
        for ey, j, _ in ends
    ]
    parts.append(f'<g class="lines">{"".join(lines_svg)}</g>')
    parts.append(f'<g class="points">{"".join(points)}</g>')
    parts.append(f'<g class="values">{"".join(values)}</g>')
    parts.append(f'<g class="line-labels">{"".join(end_svg)}</g>')

    label_y = plot_bottom + (30 if lo < 0 else 16)
    cat_parts, max_lines = [], 1
    for i, cat in enumerate(cats):
        lines, cut = _wrap(cat, band - 4, _SMALL, 2)
        max_lines = max(max_lines, len(lines))
        cat_parts.append(
            _lines(
                sx(i),
                label_y,
                lines,
                size=_SMALL,
                line_height=13,
                anchor="middle",
                cls="category",
                full=cat if cut else None,
            )
        )
    parts.append(f'<g class="categories">{"".join(cat_parts)}</g>')
    height = max(label_y + (max_lines - 1) * 13, (ends[-1][0] if ends else 0)) + 6 + _PAD
    return _svg(ids, W, height, title, desc, "".join(parts), cls="nir-chart-line", n_patterns=0)


# --- the same numbers as a table ----------------------------------------------------------------


def data_table(
    caption: str,
    categories: Sequence[Any],
    series: Mapping[str, Sequence[Any]],
    *,
    unit: str = "",
    category_header: str = "",
    totals: bool = False,
    table_id: str | None = None,
) -> Html:
    """The numbers of a ``bar_chart``/``line_chart`` as an HTML table: one row per category, one column per series.

    ``totals``: a «Sum» column (for stacked bars). ``unit`` other than ``%`` is added to the caption.
    """
    cats, ser = _series(categories, series)
    cap = f"{caption} ({unit})" if unit and unit != "%" else str(caption)
    id_attr = f' id="{_esc(table_id)}"' if table_id else ""
    head = f'<th scope="col">{_esc(category_header)}</th>' + "".join(
        f'<th scope="col" class="num">{_esc(name)}</th>' for name, _ in ser
    )
    if totals:
        head += '<th scope="col" class="num">Sum</th>'
    body = []
    for i, cat in enumerate(cats):
        cells = "".join(f'<td class="num">{_esc(_value_text(vals[i], unit))}</td>' for _, vals in ser)
        if totals:
            present = [vals[i] for _, vals in ser if vals[i] is not None]
            total = sum(present, Decimal(0)) if present else None
            cells += f'<td class="num">{_esc(_value_text(total, unit))}</td>'
        body.append(f'<tr><th scope="row">{_esc(cat)}</th>{cells}</tr>')
    if not body:
        body.append(f'<tr><td colspan="{len(ser) + 1 + int(totals)}">{NO_DATA}</td></tr>')
    return Html(
        f'<table class="nir-chart-table"{id_attr}><caption>{_esc(cap)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def share_table(
    caption: str,
    items: Sequence[tuple[str, Any]],
    *,
    total: Any = None,
    label_header: str = "",
    count_header: str = "Antall",
    share_header: str = "Andel",
    table_id: str | None = None,
) -> Html:
    """The numbers of ``share_bars`` as an HTML table: label, count, percent, and a «Sum» row."""
    rows = shares(items, total)
    t = _decimal(total)
    if t is None:
        t = sum((v for _, v, _ in rows if v is not None), Decimal(0))
    id_attr = f' id="{_esc(table_id)}"' if table_id else ""
    head = (
        f'<th scope="col">{_esc(label_header)}</th><th scope="col" class="num">{_esc(count_header)}</th>'
        f'<th scope="col" class="num">{_esc(share_header)}</th>'
    )
    body = "".join(
        f'<tr><th scope="row">{_esc(label)}</th><td class="num">{_esc(format_number(v))}</td>'
        f'<td class="num">{_esc(format_percent(p))}</td></tr>'
        for label, v, p in rows
    )
    if not rows:
        body = f'<tr><td colspan="3">{NO_DATA}</td></tr>'
    foot = (
        f'<tfoot><tr><th scope="row">Sum</th><td class="num">{_esc(format_number(t))}</td>'
        f'<td class="num">{_esc(format_percent(100 if t else None))}</td></tr></tfoot>'
    )
    return Html(
        f'<table class="nir-chart-table"{id_attr}><caption>{_esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>"
    )
