"""Code lists: texts, OIDs, per-year validity of 9151, scales per functional variable, enums."""

from __future__ import annotations

from enum import Enum

import pytest

from mockkpr.refdata import codelists as cl


def test_every_list_the_reference_names_is_present_with_its_oid() -> None:
    numbers = {9151, 9111, 9165, 9166, 9167, 7371, 7316, 8471, 9032, 3100, 9171, 1101, 1110,
               9335, 9168, 9336, 9188, 9338, 9340}
    assert set(cl.CODE_LISTS) == numbers
    for number in numbers:
        assert cl.by_number(number).number == number
        assert cl.by_number(number).oid == f"2.16.578.1.12.4.1.1.{number}"


def test_unknown_list_number_names_the_known_ones() -> None:
    with pytest.raises(KeyError) as info:
        cl.by_number(9999)
    assert "no code list 9999; known: [1101, 1110, 3100," in str(info.value)


def test_service_type_texts_are_the_reference_texts() -> None:
    st = cl.SERVICE_TYPE
    assert st.name == "IPLOS tjenestetype"
    assert st.text("1") == "Praktisk bistand: daglige gjøremål"
    assert st.text(15) == "Helsetjenester i hjemmet (hjemmesykepleie)"
    assert st.text("25") == "Kommunal øyeblikkelig hjelp døgnopphold"
    assert st.text("29") == "Bolig som kommunen disponerer for helse- og omsorgsformål"
    assert st.text("10") is None
    assert "10" not in st
    assert len(st) == 28  # 1-29 without 10


def test_omsorgslonn_became_omsorgsstonad_in_2019() -> None:
    assert cl.SERVICE_TYPE.text("11", 2018) == "Omsorgslønn"
    assert cl.SERVICE_TYPE.text("11", 2019) == "Omsorgsstønad"
    assert cl.SERVICE_TYPE.text("11") == "Omsorgsstønad"
    assert all(cl.SERVICE_TYPE.valid("11", year) for year in range(2017, 2027))


ALWAYS = ["1", "2", "3", "4", "5", "7", "8", "9", "11", "15", "17", "18", "19", "20", "21",
          "22", "25"]


@pytest.mark.parametrize(("year", "valid"), [
    (2017, [*ALWAYS, "6", "12", "13", "14", "16", "23", "24", "26"]),
    (2018, [*ALWAYS, "6", "12", "13", "14", "16", "23", "24", "26"]),
    (2019, [*ALWAYS, "6", "14", "23", "24", "26", "27", "28", "29"]),
    (2020, [*ALWAYS, "6", "14", "23", "24", "26", "27", "28", "29"]),
    (2021, [*ALWAYS, "29"]),
    (2025, [*ALWAYS, "29"]),
    (2030, [*ALWAYS, "29"]),
])
def test_service_types_valid_per_year(year: int, valid: list[str]) -> None:
    assert sorted(cl.SERVICE_TYPE.codes_in(year), key=int) == sorted(valid, key=int)
    for code in cl.SERVICE_TYPE.codes:
        assert cl.SERVICE_TYPE.valid(code, year) is (code in valid)


def test_expired_codes_are_known_but_invalid() -> None:
    st = cl.SERVICE_TYPE
    assert "6" in st
    assert not st.valid("6", 2021)
    assert st.valid(6, 2020)
    assert st.get("27") == cl.Code("27", "Elektronisk medisineringsstøtte", 2019, 2020)


def test_codes_are_exact_strings() -> None:
    assert not cl.SERVICE_TYPE.valid("01", 2020)
    assert not cl.SERVICE_TYPE.valid(" 1", 2020)
    assert "01" not in cl.SERVICE_TYPE
    assert 1.0 not in cl.SERVICE_TYPE


def test_expected_text_lists_the_valid_codes() -> None:
    assert cl.DECISION.expected(2020) == "code list 9171 (Vedtak) in 2020: 1, 2"
    assert cl.SERVICE_TYPE.expected(2021).startswith(
        "code list 9151 (IPLOS tjenestetype) in 2021: 1, 2, 3, 4, 5, 7, 8, 9, 11, 15, 17,")


def test_functional_variables_and_scales() -> None:
    assert cl.FUNCTIONAL_VARIABLE.codes_in(2020) == tuple(str(n) for n in range(1, 19))
    assert cl.FUNCTIONAL_VARIABLE.text("13") == "Syn"
    assert cl.FUNCTIONAL_VARIABLE.text("14") == "Hørsel"
    assert cl.scale_for_variable(13) is cl.VISION_SCORE
    assert cl.scale_for_variable("14") is cl.HEARING_SCORE
    for variable in [*range(1, 13), *range(15, 19)]:
        assert cl.scale_for_variable(variable) is cl.FUNCTIONAL_SCORE
    for scale in (cl.FUNCTIONAL_SCORE, cl.VISION_SCORE, cl.HEARING_SCORE):
        assert scale.codes_in(2020) == ("1", "2", "3", "4", "5", "9")
    assert cl.VISION_SCORE.text("5") == "Blind"
    assert cl.HEARING_SCORE.text("5") == "Døv"


def test_scale_for_unknown_variable_raises() -> None:
    with pytest.raises(KeyError, match="'19' is not a functional variable"):
        cl.scale_for_variable(19)


@pytest.mark.parametrize(("codelist", "codes"), [
    (cl.MESSAGE_TYPE, ("B", "K", "E")),
    (cl.NOTIFICATION_STATUS, ("N", "M", "T", "C")),
    (cl.CONTACT_TYPE, tuple(str(n) for n in range(1, 20))),
    (cl.ID_TYPE, ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12")),
    (cl.GENDER, ("M", "K")),
    (cl.DECISION, ("1", "2")),
    (cl.YES_NO, ("1", "2")),
    (cl.NEED, ("1", "2", "9")),
    (cl.HOUSEHOLD, ("1", "2", "3")),
    (cl.PRIVATE_HELP, ("1", "2", "3", "4", "5", "6")),
    (cl.INDIVIDUAL_PLAN, ("1", "2", "3", "4")),
    (cl.COORDINATOR, ("1", "2", "3", "4")),
    (cl.RECEIVES_ASSISTANCE, ("1", "2", "3")),
    (cl.RECEIVES_TRANSPORT, ("1", "2", "3")),
])
def test_other_lists_have_the_reference_codes(codelist: cl.CodeList, codes: tuple[str, ...]
                                              ) -> None:
    assert tuple(codelist.codes) == codes
    assert codelist.codes_in(2017) == codes
    assert all(text for text in codelist.codes.values())


def test_selected_norwegian_texts() -> None:
    assert cl.CONTACT_TYPE.text("16") == "IPLOS kontaktperson"
    assert cl.CONTACT_TYPE.text("17") == "IPLOS innsendingsansvarlig"
    assert cl.ID_TYPE.text("12") == "Felles hjelpenummer (FH-nummer)"
    assert cl.NOTIFICATION_STATUS.text("C") == "KorrigerAnnuller"
    assert cl.HOUSEHOLD.text("3") == "Bor sammen med foreldre"
    assert cl.PRIVATE_HELP.text("6") == "Nei"


@pytest.mark.parametrize(("enum", "codelist"), [
    (cl.ServiceType, cl.SERVICE_TYPE),
    (cl.FunctionalVariable, cl.FUNCTIONAL_VARIABLE),
    (cl.IdType, cl.ID_TYPE),
    (cl.NotificationStatus, cl.NOTIFICATION_STATUS),
    (cl.MessageType, cl.MESSAGE_TYPE),
    (cl.Decision, cl.DECISION),
])
def test_enums_match_their_code_lists_exactly(enum: type[Enum], codelist: cl.CodeList) -> None:
    assert [str(member.value) for member in enum] == list(codelist.codes)


def test_service_type_enum_text() -> None:
    assert int(cl.ServiceType.LONG_TERM_STAY) == 21
    assert cl.ServiceType.LONG_TERM_STAY.text == "Langtidsopphold i institusjon"
    assert cl.ServiceType(29) is cl.ServiceType.MUNICIPAL_HEALTH_CARE_HOUSING


def test_duplicate_code_is_rejected() -> None:
    with pytest.raises(ValueError, match="code list 1: code 1 defined twice"):
        cl.CodeList(1, "x", (cl.Code("1", "a"), cl.Code("1", "b")))


def test_repr_names_the_list() -> None:
    assert repr(cl.DECISION) == "CodeList(9171, 'Vedtak', 2 codes)"
