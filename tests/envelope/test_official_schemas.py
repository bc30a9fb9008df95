"""The corpus and mockkpr's schemas against the OFFICIAL KITH schemas, when they are at hand.

The official files are KITH's and are never part of this repository. Point
``MOCKKPR_KITH_XSD_DIR`` at a directory holding them (``MsgHead-v1_2.xsd`` with
``xmldsig-core-schema.xsd``, the AppRec 1.0 and 1.1 schemas, ``kith.xsd``; they are found by
their target namespace, whatever their file names) and these tests check

- every "official" mark of fixtures/envelopes/manifest.yaml;
- that every AppRec mockkpr writes passes the official AppRec schema;
- that mockkpr's schemas and the official ones agree on thousands of mutations of the corpus
  (each element removed, doubled, moved, given text or attributes, each attribute changed).

Without the variable they are skipped. The official MsgHead schema validates the payload in
``Content`` strictly, so the payloads are given their schemas here: mockkpr's identity message
schema and an element ``foo`` in no namespace.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest
from lxml import etree

from mockkpr.envelope import Organisation, OriginalMsg, _xml, build_apprec
from mockkpr.envelope.apprec import FLAVOURS
from mockkpr.envelope.msghead import NAMESPACE as MSGHEAD_NS
from tests.envelope.corpus import Case, cases
from tests.envelope.test_corpus import OUTCOMES, RECEIVERS

XS = "{http://www.w3.org/2001/XMLSchema}"
MINE = {MSGHEAD_NS: "msghead-1.2.xsd", **{f.namespace: f.schema for f in FLAVOURS.values()}}
# corpus files whose mutations are compared (the richest ones)
MUTATED = ("msghead/all-msginfo-parts", "msghead/document-metadata", "msghead/patient-report",
           "msghead/xml-signature", "msghead/refdoc-all-parts", "msghead/sender-commethod",
           "apprec/ok-1.0", "apprec/rejected-with-errors-1.1", "apprec/hcp-address-1.0",
           "apprec/hcprof-and-hcperson-1.1", "apprec/inst-additional-id-1.1")

Official = dict[str, etree.XMLSchema]


@pytest.fixture(scope="module")
def official() -> Official:
    """The official schemas by target namespace (MsgHead with payload schemas beside it)."""
    folder = os.environ.get("MOCKKPR_KITH_XSD_DIR")
    if not folder:
        pytest.skip("MOCKKPR_KITH_XSD_DIR is not set: the official KITH schemas are not at hand")
    found: dict[str, Path] = {}
    for path in Path(folder).glob("*.xsd"):
        target = etree.parse(str(path)).getroot().get("targetNamespace")
        if target in MINE:
            found[target] = path
    missing = sorted(set(MINE) - set(found))
    assert not missing, f"{folder} lacks the official schemas for {missing}"
    identity = resources.files("mockkpr.iplos") / "schemas" / "kpr-ide-1.xsd"
    driver = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="{MSGHEAD_NS}" schemaLocation="{found[MSGHEAD_NS].as_uri()}"/>
      <xs:import namespace="urn:mockkpr:xmlstds:kpr-ide:1"
                 schemaLocation="{Path(str(identity)).as_uri()}"/>
      <xs:element name="foo"/>
    </xs:schema>"""
    schemas = {namespace: etree.XMLSchema(etree.parse(str(path)))
               for namespace, path in found.items() if namespace != MSGHEAD_NS}
    schemas[MSGHEAD_NS] = etree.XMLSchema(etree.fromstring(driver.encode()))
    return schemas


def _namespace(tree: etree._ElementTree) -> str:
    return etree.QName(tree.getroot()).namespace or ""


@pytest.mark.parametrize("case", [c for c in cases("msghead") + cases("apprec")
                                  if c.official in ("valid", "invalid")], ids=str)
def test_each_official_mark_is_what_the_official_schema_says(official: Official,
                                                             case: Case) -> None:
    tree = case.tree()
    schema = official.get(_namespace(tree))
    valid = schema is not None and schema.validate(tree)
    assert valid is (case.official == "valid"), schema.error_log if schema else "no schema"


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_every_apprec_mockkpr_writes_passes_the_official_schema(official: Official,
                                                                version: str) -> None:
    flavour = FLAVOURS[version]  # type: ignore[index]
    for status, outcome in OUTCOMES.items():
        for name, receiver in RECEIVERS.items():
            xml = build_apprec(outcome, version=version,  # type: ignore[arg-type]
                               sender=Organisation("KPR Validering", 131725), receiver=receiver,
                               original=OriginalMsg("KPR_IPL", "2020-01-14T09:30:00Z", "m-1"),
                               gen_date=datetime.now(UTC), apprec_id=str(uuid.uuid4()))
            schema = official[flavour.namespace]
            assert schema.validate(etree.fromstring(xml)), (status, name, schema.error_log)


# ------------------------------------------------------------------ mutations
Mutation = Callable[[etree._Element], bool]


def _envelope_elements(root: etree._Element) -> list[etree._Element]:
    """Elements outside the payload (the payload is checked separately by design)."""
    content = f"{{{MSGHEAD_NS}}}Content"
    return [e for e in root.iter() if isinstance(e.tag, str)
            and not any(a.tag == content for a in e.iterancestors())]


def _mutations(root: etree._Element) -> Iterator[tuple[str, int, Mutation]]:
    for index, element in enumerate(_envelope_elements(root)):
        yield "remove", index, lambda e: _remove(e)
        yield "double", index, lambda e: _double(e)
        yield "move after next", index, lambda e: _swap(e)
        for text in ("x", "", "2020-01-14"):
            yield f"text {text!r}", index, lambda e, t=text: _text(e, t)  # type: ignore[misc]
        for name in ("S", "OT", "V", "DN", "foo"):
            for value in ("1.2", "x", ""):
                yield f"{name}={value!r}", index, \
                    lambda e, n=name, v=value: _set(e, n, v)  # type: ignore[misc]
        for name in map(str, element.attrib):
            for value in ("x", "", "2020", "1..2", " J "):
                yield f"{name}={value!r}", index, \
                    lambda e, n=name, v=value: _set(e, n, v)  # type: ignore[misc]


def _remove(element: etree._Element) -> bool:
    parent = element.getparent()
    if parent is None:
        return False
    parent.remove(element)
    return True


def _double(element: etree._Element) -> bool:
    if element.getparent() is None:
        return False
    element.addnext(copy.deepcopy(element))
    return True


def _swap(element: etree._Element) -> bool:
    following = element.getnext()
    if following is None or not isinstance(following.tag, str):
        return False
    element.addprevious(following)
    return True


def _text(element: etree._Element, text: str) -> bool:
    if len(element):
        return False
    element.text = text
    return True


def _set(element: etree._Element, name: str, value: str) -> bool:
    element.set(name, value)
    return True


def test_mockkpr_schemas_agree_with_the_official_ones_on_mutations(official: Official) -> None:
    compared, disagreements = 0, []
    for case in cases("msghead") + cases("apprec"):
        if str(case) not in MUTATED:
            continue
        original = case.tree()
        namespace = _namespace(original)
        mine, theirs = _xml.schema(MINE[namespace]), official[namespace]
        for label, index, mutate in _mutations(original.getroot()):
            tree = copy.deepcopy(original)
            if not mutate(_envelope_elements(tree.getroot())[index]):
                continue
            compared += 1
            if mine.validate(tree) != theirs.validate(tree):
                disagreements.append(f"{case} element {index}: {label}")
    assert compared > 5000
    assert disagreements == []
