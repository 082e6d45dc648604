"""The municipal indicators loader (nir.settlement.indicators): the public world's copy, the synthetic
flag, and a bad file refused with its line and column."""

from __future__ import annotations

import shutil

import pytest

from nir.settlement import indicators

GOOD = (indicators.PUBLIC_WORLD / indicators.MUNICIPALITIES_FILE).read_text(encoding="utf-8")
COLUMNS = (indicators.PUBLIC_WORLD / indicators.COLUMNS_FILE).read_text(encoding="utf-8")


def test_the_public_world_copy_loads_as_synthetic():
    p = indicators.read_indicators(indicators.PUBLIC_WORLD)
    assert len(p.rows) == 357 and p.synthetic
    assert "unemployment_rate" in p.synthetic_columns and "population" not in p.synthetic_columns
    oslo = next(r for r in p.rows if r.municipality == "0301")
    assert oslo.values["population"] == 717710 and oslo.extra["name"] == "Oslo"
    assert oslo.values["upper_secondary_school"] is True and 0 <= oslo.values["immigrant_share"] <= 1
    assert "diaspora_per_1000_syria" in oslo.extra
    assert p.sha256 == indicators.parse(GOOD, COLUMNS).sha256 and len(p.sha256) == 64
    assert indicators.parse(GOOD.replace("717710", "717711"), COLUMNS).sha256 != p.sha256


def test_real_sources_only_are_not_synthetic():
    columns = COLUMNS.replace("SYNTHETIC", "SSB")
    assert not indicators.parse(GOOD, columns).synthetic


@pytest.mark.parametrize(
    "mutate, line, column, words",
    [
        (lambda t: t.replace("1101,Eigersund,11,15221", "1101,Eigersund,11,15x21"), "1101", "population", "heltall"),
        (
            lambda t: t.replace("0301,Oslo,03,717710,03001,5,1,2.4", "0301,Oslo,03,717710,03001,5,1,abc"),
            "0301",
            "unemployment_rate",
            "tall",
        ),
        (
            lambda t: t.replace("0301,Oslo,03,717710,03001,5,1,2.4,0.594", "0301,Oslo,03,717710,03001,5,1,2.4,1.594"),
            "0301",
            "immigrant_employment_rate",
            "utenfor",
        ),
        (lambda t: t.replace("0301,Oslo", "301,Oslo"), "301", "municipality_number", "fire sifre"),
        (lambda t: t.replace("1101,Eigersund", "0301,Eigersund"), "0301,Eigersund", "municipality_number", "også"),
    ],
)
def test_a_bad_value_names_its_line_and_column(mutate, line, column, words):
    bad = mutate(GOOD)
    assert bad != GOOD
    with pytest.raises(indicators.IndicatorFileError) as e:
        indicators.parse(bad, COLUMNS)
    expected_line = next(
        i for i, x in enumerate(bad.splitlines(), start=1) if x.startswith(line + ("" if "," in line else ","))
    )
    assert (e.value.file, e.value.line, e.value.column) == ("municipalities.csv", expected_line, column)
    assert words in e.value.message
    assert f"linje {expected_line}" in str(e.value) and column in str(e.value)


def test_a_column_missing_from_the_dictionary_or_the_header():
    no_entry = "\n".join(x for x in COLUMNS.splitlines() if not x.startswith("centrality,"))
    with pytest.raises(indicators.IndicatorFileError) as e:
        indicators.parse(GOOD, no_entry)
    assert (e.value.line, e.value.column) == (1, "centrality") and "ikke beskrevet" in e.value.message
    header, *rest = GOOD.splitlines()
    without_population = "\n".join([header.replace(",population,", ",pop,"), *rest])
    with pytest.raises(indicators.IndicatorFileError) as e:
        indicators.parse(without_population, COLUMNS + "pop,SSB,x\n")
    assert e.value.column == "population" and e.value.line == 1


def test_a_short_row_and_an_empty_file():
    lines = GOOD.splitlines()
    lines[5] = ",".join(lines[5].split(",")[:-2])
    with pytest.raises(indicators.IndicatorFileError) as e:
        indicators.parse("\n".join(lines), COLUMNS)
    assert e.value.line == 6 and "overskriften" in e.value.message
    with pytest.raises(indicators.IndicatorFileError, match="tom"):
        indicators.parse("", COLUMNS)
    with pytest.raises(indicators.IndicatorFileError, match="UTF-8"):
        indicators.parse(GOOD.encode() + b"\xff\xfe", COLUMNS)


def test_a_folder_without_the_files(tmp_path):
    with pytest.raises(indicators.IndicatorFileError, match="finnes ikke"):
        indicators.read_indicators(tmp_path)
    shutil.copy(indicators.PUBLIC_WORLD / indicators.MUNICIPALITIES_FILE, tmp_path)
    with pytest.raises(indicators.IndicatorFileError) as e:
        indicators.read_indicators(tmp_path)
    assert e.value.file == indicators.COLUMNS_FILE
