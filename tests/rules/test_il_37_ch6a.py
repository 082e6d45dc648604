"""il. kap. 6A (§ 37 c) and its partial repeal from 1.1.2026 (004): table ``CH6A`` row by row, both
interpreters, and the per-person rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
from table_support import both
from test_rule_functions import ctx, permit

from nir.rules.columns import ColumnContext
from nir.rules.dates import day
from nir.rules.integreringsloven import il_37_ch6a_collective_protection as il_37

D = dt.date.fromisoformat


def test_row_ch6a_right():
    """il. § 37 c; 004 (Opphevelse av en del midlertidige regler): utl_34 decided while ch. 6A governed the
    programme → § 8 grants right (without duty)."""
    assert both(il_37.CH6A, {"under_ch6a": True}) == ("right", "ch6a_right")


def test_row_ch6a_repealed_right_and_duty():
    """il. § 8 første ledd; 004 (Opphevelse …): utl_34 decided on or after 2026-01-01 → ordinary right and duty."""
    assert both(il_37.CH6A, {"under_ch6a": False}) == ("right_and_duty", "ch6a_repealed_right_and_duty")


def test_columns_split_on_2026_01_01():
    """004: «første oppholdstillatelse ETTER 01.01.2026» — 31.12.2025 is under ch. 6A, 01.01.2026 is not; the
    column function reads the same parameter as the per-person rule."""
    c = ctx(permits=[permit("utl_34", "2025-12-31")])
    cc = ColumnContext.build(np.array([day(D("1988-03-03"))] * 2), D("2026-06-01"), c.params, np.zeros(2, bool))
    dates = np.array([day(D("2025-12-31")), day(D("2026-01-01"))])
    assert il_37.under_ch6a_columns(cc, dates).tolist() == [True, False]
    assert [il_37.CH6A.outputs[i] for i in il_37.granted_columns(cc, dates)] == ["right", "right_and_duty"]
    assert il_37.intro_category(c, c.permits[0]).steps[0].rule == "ch6a_right"
