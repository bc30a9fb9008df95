"""The envelope schemas: package data, loaded once per thread, never fetching anything."""

from __future__ import annotations

import ast
import threading
from importlib import resources
from pathlib import Path

import pytest
from lxml import etree

import mockkpr.envelope
from mockkpr.envelope import _xml
from mockkpr.envelope.problems import EnvelopeError
from tests.envelope.corpus import CORPUS

NAMES = ("msghead-1.2.xsd", "apprec-1.0.xsd", "apprec-1.1.xsd")
XMLDSIG = "xmldsig.xsd"


def test_schemas_are_package_data() -> None:
    folder = resources.files("mockkpr.envelope") / "schemas"
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".xsd")) == \
        sorted((*NAMES, XMLDSIG))


def test_schemas_load_and_are_cached_per_thread() -> None:
    first = [_xml.schema(name) for name in NAMES]
    assert all(isinstance(s, etree.XMLSchema) for s in first)
    assert [_xml.schema(name) for name in NAMES] == first
    other: list[etree.XMLSchema] = []
    thread = threading.Thread(target=lambda: other.append(_xml.schema(NAMES[0])))
    thread.start()
    thread.join()
    assert other[0] is not first[0]


def test_schemas_import_only_each_other_and_target_the_kith_namespaces() -> None:
    expected = {
        "msghead-1.2.xsd": "http://www.kith.no/xmlstds/msghead/2006-05-24",
        "apprec-1.0.xsd": "http://www.kith.no/xmlstds/apprec/2004-11-21",
        "apprec-1.1.xsd": "http://www.kith.no/xmlstds/apprec/2012-02-15",
        XMLDSIG: "http://www.w3.org/2000/09/xmldsig#",
    }
    xs = "{http://www.w3.org/2001/XMLSchema}"
    for name, namespace in expected.items():
        root = etree.fromstring((resources.files("mockkpr.envelope") / "schemas" / name)
                                .read_bytes())
        assert root.get("targetNamespace") == namespace
        imports = [(i.get("namespace"), i.get("schemaLocation"))
                   for i in root.findall(f"{xs}import")]
        assert imports == ([(expected[XMLDSIG], XMLDSIG)] if name == "msghead-1.2.xsd" else [])
        assert not root.findall(f"{xs}include")


def test_a_schema_location_outside_the_package_is_refused() -> None:
    """The resolver serves mockkpr's own schema files and nothing else."""
    resolver = _xml._PackageSchemas()
    for location in ("file:///etc/passwd", "http://www.w3.org/TR/xmldsig-core/xmldsig.xsd.txt",
                     "mockkpr-schemas:///../other.xsd"):
        with pytest.raises(EnvelopeError, match="is not one of mockkpr's schemas"):
            resolver.resolve(location, None, None)


def test_an_enveloped_signature_is_validated_against_the_xmldsig_schema() -> None:
    schema = _xml.schema("msghead-1.2.xsd")
    tail = "</MsgHead>"
    valid = (CORPUS / "msghead/xml-signature.xml").read_text()
    assert schema.validate(etree.fromstring(valid.encode()))
    broken = valid.replace("<ds:SignatureValue>AAECAwQFBgcICQoLDA0ODw==</ds:SignatureValue>",
                           "")
    assert broken != valid
    assert broken.endswith(tail + "\n")
    assert not schema.validate(etree.fromstring(broken.encode()))


def test_the_envelope_package_never_imports_the_amqp_layer() -> None:
    package = Path(mockkpr.envelope.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "proton" for n in names), source.name
