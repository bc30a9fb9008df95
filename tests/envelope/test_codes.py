"""Code lists: names equal values, so a code from a real receipt greps to its member."""

from __future__ import annotations

from mockkpr.envelope.codes import (
    CERTIFICATE_CODES,
    ERROR_OID,
    STATUS_OID,
    ErrorCode,
    MessageFunction,
    Status,
)


def test_error_codes_are_named_as_their_values_and_have_texts() -> None:
    assert all(code.name == code.value and code.text for code in ErrorCode)
    assert ErrorCode("T02").text == "XML validerer ikke"
    assert ErrorCode("T01").text == "Ikke XML / ikke 'well formed' / uleselig"
    assert ErrorCode("S99").text == "Annen feil på signatur eller sertifikat"


def test_status_values_and_texts() -> None:
    assert [(s.value, s.text) for s in Status] == [
        ("1", "OK"), ("2", "Avvist"), ("3", "OK, feil i delmelding")]


def test_oids() -> None:
    assert STATUS_OID == "2.16.578.1.12.4.1.1.8258"
    assert ERROR_OID == "2.16.578.1.12.4.1.1.8221"


def test_certificate_codes_are_the_s_codes() -> None:
    assert {c for c in ErrorCode if c.value.startswith("S")} == CERTIFICATE_CODES


def test_message_functions() -> None:
    assert [f.value for f in MessageFunction] == ["KPR_IPL", "KPR_IDE"]
    assert all(f.text for f in MessageFunction)
