"""The annual rules' helpers agree with the schema types they stand in for, and with the
calendar: a value the schema rejects must read as None, so that one defect gives one finding."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from mockkpr.iplos.formats import DocumentKind, Generation
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.annual_common import (
    INT,
    LONG,
    SHORT,
    date_problem,
    fits_decimal,
    hours,
    hours_in_range,
    is_granted,
    is_real_date8,
    is_row_id,
    row_id,
    service_types,
    usable_date,
    xs_integer,
)
from mockkpr.iplos.rules.registry import Context
from mockkpr.iplos.values import DATE8

_TYPES_XSD = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="hours"><xs:simpleType><xs:restriction base="xs:decimal">
    <xs:totalDigits value="5"/><xs:fractionDigits value="2"/>
  </xs:restriction></xs:simpleType></xs:element>
  <xs:element name="long" type="xs:long"/>
  <xs:element name="short" type="xs:short"/>
</xs:schema>"""
_TYPES = etree.XMLSchema(etree.fromstring(_TYPES_XSD))


def schema_accepts(element: str, text: str) -> bool:
    node = etree.Element(element)
    node.text = text
    return _TYPES.validate(node)


# ----------------------------------------------------------------------------- schema types

@pytest.mark.parametrize(
    ("text", "bounds", "value"),
    [("17", LONG, 17), (" 17\n", LONG, 17), ("+17", LONG, 17), ("-17", LONG, -17),
     ("0017", LONG, 17), ("9223372036854775807", LONG, 2**63 - 1),
     ("9223372036854775808", LONG, None), ("32767", SHORT, 32767), ("32768", SHORT, None),
     ("-32768", SHORT, -32768), ("2147483648", INT, None), ("1 7", LONG, None), ("", LONG, None),
     ("x", LONG, None), ("1.0", LONG, None), (None, LONG, None)],
)
def test_xs_integer(text: str | None, bounds: tuple[int, int], value: int | None) -> None:
    assert xs_integer(text, bounds) == value


_NUMBERISH = st.text(alphabet="0123456789.+- ", max_size=12)


@given(_NUMBERISH)
def test_xs_integer_agrees_with_the_schema(text: str) -> None:
    assert (xs_integer(text, LONG) is not None) == schema_accepts("long", text)
    assert (xs_integer(text, SHORT) is not None) == schema_accepts("short", text)


@given(_NUMBERISH)
def test_fits_decimal_agrees_with_the_schema(text: str) -> None:
    assert fits_decimal(text, 5, 2) == schema_accepts("hours", text)


@pytest.mark.parametrize("text", ["3.50", "003.50", "168.00", "12345", "0.010", ".5", "5."])
def test_hours_the_schema_accepts(text: str) -> None:
    assert hours(text) == Decimal(text)


@pytest.mark.parametrize("text", ["123456", "1234.56", "0.001", "1,5", "", ".", None])
def test_hours_the_schema_rejects_read_as_none(text: str | None) -> None:
    assert hours(text) is None


# ----------------------------------------------------------------------------- row ids

@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("17", 17), ("017", 17), ("1234567890", 1234567890), ("12345678901", None),
     ("-17", None), ("+17", None), (" 17", None), ("", None), ("١٧", None), (None, None)],
)
def test_row_ids_are_one_to_ten_ascii_digits(text: str | None, value: int | None) -> None:
    assert row_id(text) == value
    assert is_row_id(text) is (value is not None)


# ----------------------------------------------------------------------------- dates

@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_every_real_day_is_real(day: date) -> None:
    assert is_real_date8(day.strftime("%Y%m%d"))


@pytest.mark.parametrize("text", ["20190229", "19000229", "20180230", "20180431", "20181131",
                                  "20180631", "20180931"])
def test_days_that_do_not_exist(text: str) -> None:
    assert not is_real_date8(text)


@pytest.mark.parametrize("text", ["20200229", "20000229", "20180131", "20181231"])
def test_leap_days_and_month_ends_exist(text: str) -> None:
    assert is_real_date8(text)


@pytest.mark.parametrize(
    ("text", "open_end", "problem"),
    [("20050101", False, None), ("20191231", False, None), ("99991231", True, None),
     ("20041231", False, "a real date from 20050101 to 20191231"),
     ("20200101", True, "a real date from 20050101 to 20191231 or 99991231"),
     ("99991231", False, "a real date from 20050101 to 20191231"),
     ("20190229", False, "a real date from 20050101 to 20191231"),
     ("2019-02-01", False, None),  # the schema's finding, not judged here
     ("20191301", False, None)],
)
def test_date_problem(text: str, open_end: bool, problem: str | None) -> None:
    assert date_problem(text, "20191231", open_end) == problem
    if problem is None and open_end and text == "99991231":
        assert usable_date(text, "20191231", open_end) == text


def test_usable_dates_are_exactly_those_without_problem() -> None:
    day = date(2004, 12, 25)
    while day < date(2020, 1, 10):
        text = day.strftime("%Y%m%d")
        assert (usable_date(text, "20191231", False) is not None) == (
            date_problem(text, "20191231", False) is None)
        day += timedelta(days=1)
    assert usable_date("2019-02-01", "20191231", False) is None
    assert usable_date(None, "20191231", True) is None


# ----------------------------------------------------------------------------- services

def ctx(year: int) -> Context:
    return Context(Generation.ANNUAL_2019, DocumentKind.IPLOS, year, date(year, 1, 1),
                   date(year, 12, 31))


def service(**fields: str) -> Row:
    return Row("TJENESTE", {"tjTjID": "1"}, dict(fields), 1, "TJENESTE[@tjTjID=1]")


@pytest.mark.parametrize(
    ("fields", "granted"),
    [({"tjTjenType": "15", "tjVedtak": "2"}, True),
     ({"tjTjenType": "15", "tjVedtak": "1"}, False),
     ({"tjTjenType": "15", "tjVedtak": "7"}, False),  # unknown code: not known to be granted
     ({"tjTjenType": "15"}, False),  # a decision is required and missing: unknown
     ({"tjTjenType": "6"}, True),  # a safety alarm needs no decision
     ({"tjTjenType": "25"}, True),  # nor does a municipal emergency bed
     ({"tjTjenType": "12"}, False),  # not a code in 2019: unknown
     ({"tjTjenType": "99", "tjVedtak": "2"}, True)],  # the decision says so
)
def test_is_granted(fields: dict[str, str], granted: bool) -> None:
    assert is_granted(service(**fields), ctx(2019)) is granted


def test_service_types_per_year() -> None:
    assert {"12", "13", "16"} <= service_types(2018)
    assert "29" not in service_types(2018)
    assert "29" in service_types(2019)
    assert not {"10", "12", "13", "16"} & service_types(2019)


# ----------------------------------------------------------------------------- fast paths

_DATEISH = st.text(alphabet="0123456789٠١x", min_size=0, max_size=9) | st.dates(
    min_value=date(2004, 1, 1), max_value=date(2021, 12, 31)).map(lambda d: d.strftime("%Y%m%d"))


@given(_DATEISH, st.booleans())
def test_date_fast_paths_agree_with_the_schema_pattern_and_the_calendar(
        text: str, open_end: bool) -> None:
    """usable_date/date_problem avoid the regex; they must still match the schema pattern."""
    shaped = DATE8.fullmatch(text) is not None
    real = shaped and (text == "99991231" or is_real_date8(text))
    in_range = "20050101" <= text <= "20191231" or (open_end and text == "99991231")
    usable = shaped and real and in_range
    assert (usable_date(text, "20191231", open_end) is not None) is usable
    assert (date_problem(text, "20191231", open_end) is None) is (usable or not shaped)


@given(st.text(alphabet="0123456789.+-e_ ", max_size=9))
def test_hours_in_range_agrees_with_the_decimal_rule(text: str) -> None:
    value = hours(text)
    expected = value is None or Decimal("0.01") <= value <= Decimal("168")
    assert hours_in_range(text) is expected


@pytest.mark.parametrize(("text", "fine"), [("0.01", True), ("168", True), ("168.00", True),
                                            ("0", False), ("0.00", False), ("168.01", False),
                                            ("-1", False), ("x", True), ("1234.567", True)])
def test_hours_in_range(text: str, fine: bool) -> None:
    assert hours_in_range(text) is fine


def test_a_date_with_non_ascii_digits_passes_the_schema_but_is_not_a_real_date() -> None:
    """libxml2's \\d (like Python's) accepts every Unicode decimal digit, so '2019011\u0661'
    (day 1 and ARABIC-INDIC DIGIT ONE) is schema-valid: the date rule itself must report it
    (found by the hypothesis test above)."""
    text = "2019011\u0661"
    assert DATE8.fullmatch(text) is not None
    assert usable_date(text, "20191231", open_end=False) is None
    assert date_problem(text, "20191231", open_end=False) == \
        "a real date from 20050101 to 20191231"
