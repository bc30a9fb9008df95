"""Which identity message belongs to an annual file: kommune, year and bydel (pairing.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockkpr.iplos.pairing import PairKey, pair_key

VALID = Path(__file__).parents[2] / "fixtures" / "valid"


def test_the_key_is_read_from_the_header_of_both_kinds() -> None:
    assert pair_key((VALID / "iplos-2019.xml").read_bytes()) == PairKey("0301", 2019, "03")
    assert pair_key((VALID / "kpr-ide-1.xml").read_bytes()) == PairKey("0301", 2019, "03")
    assert pair_key((VALID / "iplos-2018.xml").read_bytes()) == PairKey("0301", 2018, "03")


@pytest.mark.parametrize("document", [
    b"<IPLOS", b"", b"<IPLOS><INNHINFO><iiKomnr>0301</iiKomnr></INNHINFO></IPLOS>",
    b"<IPLOS><INNHINFO><iiFraDato>20190101</iiFraDato></INNHINFO></IPLOS>",
    (VALID / "iplos-56.xml").read_bytes(),
])
def test_no_key_without_a_readable_kommune_and_year(document: bytes) -> None:
    assert pair_key(document) is None


def test_the_year_comes_from_the_end_date_when_the_start_is_unreadable() -> None:
    document = (b"<IPLOS><INNHINFO><iiKomnr>0301</iiKomnr><iiFraDato>x</iiFraDato>"
                b"<iiTilDato>20191231</iiTilDato></INNHINFO></IPLOS>")
    assert pair_key(document) == PairKey("0301", 2019, None)


@pytest.mark.parametrize(("ide", "expected"), [
    (PairKey("0301", 2019, "03"), True),
    (PairKey("0301", 2019, None), True),      # a kommune-wide identity message
    (PairKey("0301", 2019, "00"), True),      # "00": the kommune has no districts
    (PairKey("0301", 2019, "04"), False),     # another district
    (PairKey("5001", 2019, "03"), False),
    (PairKey("0301", 2018, "03"), False),
])
def test_matching(ide: PairKey, expected: bool) -> None:
    assert PairKey("0301", 2019, "03").matches(ide) is expected


def test_keys_round_trip_through_json_and_refuse_anything_else() -> None:
    key = PairKey("0301", 2019, "03")
    assert PairKey.from_json(key.as_json()) == key
    for bad in (None, "0301", {"kommune": "0301"}, {"kommune": 301, "year": 2019, "bydel": None}):
        assert PairKey.from_json(bad) is None
