"""The validator's shortcuts change no finding.

Two shortcuts make the validator cheaper without a say in the verdict:

- a document read whole while looking for its root element is judged from that parse (the
  *tree* path) instead of being parsed again incrementally (the *stream* path);
- in an element the schema accepted, the fields the schema declares with a simple type are
  taken as fields without examining each one (*leaf fields*), unless the document binds the
  ``xsi`` namespace (``xsi:type`` and ``xsi:nil`` are allowed on any element, and an element
  with an attribute is a row).

Every golden rule fixture and every valid fixture is validated with and without them; the
reports must be the same, finding for finding.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockkpr.iplos import engine, schemas, validate
from mockkpr.iplos.findings import Report
from mockkpr.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures"
BASE = FIXTURES / "rules" / "_base"


def _cases() -> list[tuple[Path, Path | None, dict[str, Any]]]:
    cases: list[tuple[Path, Path | None, dict[str, Any]]] = []
    for spec_file in sorted((FIXTURES / "rules").glob("*/*.yaml")):
        spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
        document = spec_file.parent / spec.get("document", spec_file.with_suffix(".xml").name)
        identity = spec_file.parent / spec["identity"] if spec.get("identity") else None
        cases.append((document, identity, spec))
    for document in sorted((FIXTURES / "valid").glob("*.xml")):
        cases.append((document, None, {}))
    return cases


def _summary(report: Report) -> tuple[Any, ...]:
    return (
        report.accepted, report.year, report.kommune, report.rows.total, report.rows.dropped,
        report.rows.blanked, report.findings_truncated,
        [(f.rule_id, f.consequence, f.location, f.value, f.expected, f.line, f.service_type)
         for f in report.findings],
    )


def _validate(document: Path, identity: Path | None, spec: dict[str, Any]) -> Report:
    return validate(document, identity=identity, year=spec.get("year"),
                    settings=Settings(**spec.get("settings", {})))


def _stream_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never judge from the sniffer's parse: always parse incrementally."""
    monkeypatch.setattr(engine.DocumentValidator, "_whole", lambda *args: None)


def _no_leaf_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    """Examine every child element (the path before leaf fields)."""
    monkeypatch.setattr(schemas, "leaf_fields", lambda file_name: {})


@pytest.mark.parametrize(("document", "identity", "spec"), _cases(),
                         ids=lambda value: getattr(value, "name", ""))
def test_tree_and_stream_paths_and_leaf_fields_agree(
    document: Path, identity: Path | None, spec: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tree path, stream path with leaf fields, stream path without: the same report."""
    tree = _summary(_validate(document, identity, spec))
    with monkeypatch.context() as patch:
        _stream_path(patch)
        stream = _summary(_validate(document, identity, spec))
        _no_leaf_fields(patch)
        plain = _summary(_validate(document, identity, spec))
    assert stream == plain
    assert tree == plain


def _with_xsi_type(gender: str) -> bytes:
    text = (BASE / "minimal-2019.xml").read_text(encoding="utf-8")
    assert "<peKjonn>K</peKjonn>" in text
    xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    text = text.replace("<peKjonn>K</peKjonn>",
                        f'<peKjonn {xsi} xsi:type="xs:string" '
                        f'xmlns:xs="http://www.w3.org/2001/XMLSchema">{gender}</peKjonn>')
    return text.encode("utf-8")


def test_an_xsi_attribute_makes_a_field_a_row_on_every_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``xsi:type`` on a field is schema-valid and makes the element a row (it carries an
    attribute): its value is then not the person's gender, so PE-KJONN has nothing to judge.
    Leaf fields must not take it for a field, on the tree path or the stream path."""
    document = _with_xsi_type("X")
    plain = validate(document)
    assert "PE-KJONN" not in plain.totals_per_rule
    with monkeypatch.context() as patch:
        _stream_path(patch)
        assert _summary(validate(io.BytesIO(document))) == _summary(plain)
    # Without the xsi attribute the same value is PE-KJONN's finding: the case can tell.
    assert "PE-KJONN" in validate(document.replace(b' xsi:type="xs:string"', b"")
                                  ).totals_per_rule


def test_leaf_fields_are_the_simple_typed_declarations() -> None:
    """Leaf fields name elements with simple types only: rows and the root are not among
    them, and the 56.0.0 format (values in attributes) has none."""
    ns = "{http://www.npr.no/xmlstds/iplos/2019}"
    leaves = schemas.leaf_fields("iplos-2019.xsd")
    assert leaves[f"{ns}tjTimerUke"] == "tjTimerUke"
    assert leaves[f"{ns}Navn"] == "Navn"  # inside iiKontakt
    for row in ("IPLOS", "INNHINFO", "iiKontakt", "PERSON", "FUNKSJON", "TJENESTE"):
        assert f"{ns}{row}" not in leaves
    assert schemas.leaf_fields("iplos-56.xsd") == {}
