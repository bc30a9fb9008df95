"""The Python interface: lazy documents, the manifest, and misuse that gives clear errors."""

from __future__ import annotations

import io
from importlib import metadata
from pathlib import Path

import pytest

from mockkpr.errors import ConfigError, InputError
from mockkpr.generator.api import GenerationRun, generate, write
from mockkpr.generator.contacts import PHONE_PATTERN, make_contacts
from mockkpr.generator.spec import GenerationSpec
from mockkpr.iplos import validate
from mockkpr.iplos.formats import DocumentKind, Generation


def test_generate_yields_iplos_then_identity_and_streams_them() -> None:
    spec = GenerationSpec("5001", 2019, 15, seed=4)
    documents = list(generate(spec))
    assert [(d.name, d.kind) for d in documents] == [
        ("KPR_IPL_5001_2019.xml", DocumentKind.IPLOS),
        ("KPR_IDE_5001_2019.xml", DocumentKind.IDENTITY)]
    sink = io.BytesIO()
    size = documents[0].write_to(sink)
    assert size == len(sink.getvalue()) > 0
    assert documents[0].sha256 is not None
    report = validate(sink.getvalue(), identity=documents[1].read())
    assert report.findings == []
    with pytest.raises(ConfigError, match="already generated; documents stream once"):
        documents[0].read()


def test_manifest_describes_the_run() -> None:
    run = GenerationRun(GenerationSpec("0301", 2019, 20, seed=8, bydel="03",
                                       defects={"XSD-ROW": 2}))
    with pytest.raises(ConfigError, match="documents not generated yet"):
        run.manifest()
    for document in run.documents():
        document.read()
    manifest = run.manifest()
    assert manifest["kommune"] == {"number": "0301", "name": "Oslo", "sending_bydel": "03"}
    assert manifest["spec"]["defects"] == {"XSD-ROW": 2}
    assert [d["name"] for d in manifest["documents"]] == ["KPR_IPL_0301_03_2019.xml",
                                                          "KPR_IDE_0301_03_2019.xml"]
    assert len(manifest["providers"]["institutions"]) == 6
    assert {c["type"] for c in manifest["contacts"]} == {15, 16, 17}
    assert [d["rule"] for d in manifest["defects"]] == ["XSD-ROW", "XSD-ROW"]
    assert manifest["created"].startswith("2020-01-")
    # what a seed gives is versioned; NumPy draws the annual persons (docs/generator.md)
    assert manifest["generator"]["model"] == 2
    assert manifest["generator"]["numpy"] == metadata.version("numpy")


def test_an_event_manifest_names_no_numpy() -> None:
    """56.0.0 persons are drawn without NumPy; its manifest does not name it."""
    run = GenerationRun(GenerationSpec("0301", 2021, 10, generation=Generation.EVENT_56))
    for document in run.documents():
        document.read()
    generator = run.manifest()["generator"]
    assert generator["model"] == 2
    assert "numpy" not in generator


def test_event_messages_must_be_consumed_in_order() -> None:
    spec = GenerationSpec("0301", 2021, 30, generation=Generation.EVENT_56, messages=2)
    first, second = generate(spec)
    with pytest.raises(ConfigError, match="messages must be generated in order"):
        second.read()
    assert first.read().startswith(b"<?xml")


def test_write_refuses_an_output_path_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(InputError, match="cannot create the output directory"):
        write(GenerationSpec("0301", 2019, 5), target)


def test_contacts_are_faker_norwegian_with_safe_e_mail() -> None:
    contacts = make_contacts(1, (16, 17, 15))
    assert [c.type for c in contacts] == [16, 17, 15]
    assert contacts == make_contacts(1, (16, 17, 15))
    for contact in contacts:
        assert PHONE_PATTERN.match(contact.phone), contact.phone
        assert contact.email.rsplit("@", 1)[1] in ("example.com", "example.net", "example.org")
        assert len(contact.name.split()) >= 2
