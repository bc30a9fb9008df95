"""docs/http-api.md lists exactly the codes the route answers with."""

from __future__ import annotations

import re
from pathlib import Path

from mockkpr.errors import TransportError
from mockkpr.kneik.codes import ErrorCode, ValidationCode, validation_code

DOC = (Path(__file__).parents[2] / "docs" / "http-api.md").read_text(encoding="utf-8")


def _table(after: str) -> dict[int, str]:
    section = DOC.split(after, 1)[1]
    rows = re.findall(r"^\| (\d{4}) \| (.+?) \|$", section.split("\n\n", 2)[1], re.MULTILINE)
    return {int(code): text for code, text in rows}


def test_the_validation_code_table_is_the_enum() -> None:
    assert sorted(_table("`validationCode` (400)")) == sorted(int(c) for c in ValidationCode)


def test_the_error_code_table_is_the_enum() -> None:
    assert sorted(_table("`errorCode` (500):")) == sorted(int(c) for c in ErrorCode)


def test_an_unforeseen_certificate_problem_has_the_general_code() -> None:
    error = TransportError("transport:invalid-certificate", "something new")
    assert validation_code(error) is ValidationCode.CERTIFICATE_INVALID
    assert validation_code(TransportError("transport:revoked-certificate", "x")) is \
        ValidationCode.CERTIFICATE_REVOKED
