"""Kommune and bydel tables: per-year counts, known mergers, bydeler, years outside the table."""

from __future__ import annotations

import pytest

from mockkpr.errors import ConfigError
from mockkpr.refdata import kommuner as k

EXPECTED_COUNTS = {2017: 426, 2018: 422, 2019: 422, 2020: 356, 2021: 356, 2022: 356,
                   2023: 356, 2024: 357, 2025: 357}


@pytest.mark.parametrize(("year", "count"), sorted(EXPECTED_COUNTS.items()))
def test_kommune_count_per_year_matches_ssb(year: int, count: int) -> None:
    assert len(k.kommuner(year)) == count
    assert len(k.kommune_names(year)) == count


def test_years_cover_2017_to_2025() -> None:
    years = k.YEARS
    assert years == tuple(range(2017, 2026))
    assert set(EXPECTED_COUNTS) == set(years)


def test_trondheim_1601_only_2017_and_5001_from_2018() -> None:
    assert k.valid_years("1601") == (2017,)
    assert k.valid_years("5001") == tuple(range(2018, 2026))
    assert k.is_valid_kommune("1601", 2017)
    assert not k.is_valid_kommune("1601", 2018)
    assert not k.is_valid_kommune("5001", 2017)
    assert k.kommune_name("5001", 2018) == "Trondheim"
    assert k.kommune_name("5001", 2023) == "Trondheim - Tråante"  # SSB renamed it in 2023


def test_bergen_1201_until_2019_then_4601() -> None:
    assert k.valid_years("1201") == (2017, 2018, 2019)
    assert k.valid_years("4601") == tuple(range(2020, 2026))
    assert k.kommune_name("1201", 2019) == "Bergen"
    assert k.kommune_name("1201", 2020) is None


def test_baerum_renumbered_twice_and_aalesund_split() -> None:
    assert k.valid_years("0219") == (2017, 2018, 2019)
    assert k.valid_years("3024") == (2020, 2021, 2022, 2023)
    assert k.valid_years("3201") == (2024, 2025)
    assert k.valid_years("1507") == (2020, 2021, 2022, 2023)
    assert {"1508", "1580"} <= k.kommuner(2024)
    assert "1507" not in k.kommuner(2024)


def test_oslo_is_valid_every_year_and_numbers_are_exact_strings() -> None:
    assert all(k.is_valid_kommune("0301", year) for year in k.YEARS)
    assert not k.is_valid_kommune("301", 2020)
    assert not k.is_valid_kommune("0000", 2020)
    assert k.valid_years("0000") == ()


def test_name_change_without_number_change() -> None:
    assert k.kommune_name("1853", 2021) == "Evenes"
    assert k.kommune_name("1853", 2022) == "Evenes - Evenášši"


def test_years_outside_the_table_use_the_nearest_year() -> None:
    assert k.table_year(2026) == 2025
    assert k.table_year(2040) == 2025
    assert k.table_year(2016) == 2017
    assert k.table_year(2020) == 2020
    assert k.kommuner(2026) == k.kommuner(2025)
    assert k.kommuner(2010) == k.kommuner(2017)
    assert k.is_valid_kommune("1601", 2016)  # judged as 2017
    assert not k.is_valid_kommune("1601", 2026)


def test_special_home_kommune_values() -> None:
    assert dict(k.SPECIAL_HOME_KOMMUNER) == {"9000": "Utlandet", "9900": "EU/EØS",
                                             "9999": "Uoppgitt"}
    for number in ("9000", "9900", "9999"):
        assert k.is_valid_home_kommune(number, 2021)
        assert not k.is_valid_kommune(number, 2021)
    assert k.is_valid_home_kommune("4601", 2021)
    assert not k.is_valid_home_kommune("1201", 2021)
    assert not k.is_valid_home_kommune("9998", 2021)


def test_oslo_bydeler() -> None:
    oslo = k.bydeler("0301", 2021)
    assert len(oslo) == 17
    assert oslo["01"] == "Gamle Oslo"
    assert oslo["12"] == "Alna"
    assert oslo["16"] == "Sentrum"
    strict = k.bydeler("0301", 2021, include_statistical=False)
    assert sorted(strict) == [f"{n:02d}" for n in range(1, 16)]
    assert k.is_valid_bydel("0301", "17", 2021)
    assert not k.is_valid_bydel("0301", "17", 2021, include_statistical=False)
    assert not k.is_valid_bydel("0301", "00", 2021)
    assert not k.is_valid_bydel("0301", "18", 2021)


def test_bergen_bydeler_follow_the_kommune_number() -> None:
    assert len(k.bydeler("1201", 2019)) == 8
    assert k.bydeler("1201", 2020) == {}
    assert k.bydeler("4601", 2020)["01"] == "Arna"
    assert k.has_bydeler("1201", 2019)
    assert not k.has_bydeler("1201", 2020)
    assert k.has_bydeler("4601", 2020)
    assert not k.has_bydeler("4601", 2019)


def test_trondheim_and_stavanger_bydeler() -> None:
    assert sorted(k.bydeler("1601", 2017)) == ["01", "02", "03", "04"]
    assert k.bydeler("5001", 2018)["04"] == "Heimdal"
    assert len(k.bydeler("1103", 2019)) == 7
    assert k.bydeler("1103", 2020)["09"] == "Rennesøy"


def test_kommune_without_bydeler() -> None:
    assert not k.has_bydeler("3201", 2024)
    assert k.bydeler("3201", 2024) == {}


def test_every_bydel_belongs_to_a_kommune_valid_that_year() -> None:
    for year in k.YEARS:
        with_bydeler = [kommune for kommune in k.kommuner(year) if k.has_bydeler(kommune, year)]
        assert sorted(with_bydeler) == sorted(
            {"0301", "1103", "1201" if year <= 2019 else "4601",
             "1601" if year == 2017 else "5001"})


def test_bydeler_returns_a_copy() -> None:
    k.bydeler("0301", 2021).clear()
    assert len(k.bydeler("0301", 2021)) == 17


GOOD_HEADER = "kommunenummer,navn,fra_aar,til_aar\n"


@pytest.mark.parametrize(("text", "message"), [
    ("nummer,navn\n0301,Oslo\n",
     "packaged table kommuner.csv: header ['nummer', 'navn'] is not "
     "['kommunenummer', 'navn', 'fra_aar', 'til_aar']"),
    (GOOD_HEADER + "301,Oslo,2017,\n",
     "packaged table kommuner.csv line 2: kommunenummer '301' is not 4 digits"),
    (GOOD_HEADER + "0301,Oslo,tjue,\n",
     "packaged table kommuner.csv line 2: years 'tjue'..'' are not numbers"),
    (GOOD_HEADER + "0301,Oslo,2016,2018\n",
     "packaged table kommuner.csv line 2: years 2016..2018 are outside 2017..2025"),
    (GOOD_HEADER + "0301,Oslo,2017,\n0301,Oslo - Oslove,2025,\n",
     "packaged table kommuner.csv line 3: kommune 0301 appears twice in 2025"),
])
def test_broken_kommune_table_says_where(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        k.parse_kommuner(text)
    assert str(info.value) == message


def test_broken_bydel_table_says_where() -> None:
    text = "kommunenummer,bydelsnummer,navn,fra_aar,til_aar\n0301,1,Gamle Oslo,2017,\n"
    with pytest.raises(ConfigError) as info:
        k.parse_bydeler(text)
    assert str(info.value) == ("packaged table bydeler.csv line 2: bydel '0301'/'1' is not "
                               "4+2 digits")


def test_parse_spreads_rows_over_their_years() -> None:
    table = k.parse_kommuner(GOOD_HEADER + "1601,Trondheim,2017,2017\n5001,Trondheim,2018,\n")
    assert table[2017] == {"1601": "Trondheim"}
    assert table[2025] == {"5001": "Trondheim"}
