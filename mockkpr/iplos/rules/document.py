"""Document-level rules: raised by the engine for documents it cannot read, or by the schema.

They have no check function. Each has a fixture and a test like every other rule.
"""

from __future__ import annotations

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.rules.registry import DOCUMENT, declare

_REQ = "iplos-format.md §4; nhn-amqp-profile.md §4 item 3"
_M = Consequence.REJECT_MESSAGE

XML_EMPTY = declare(
    "XML-EMPTY", scope=DOCUMENT, consequence=_M, requirement=_REQ, apprec_code="T01",
    no="Filen er tom.", en="The file is empty.",
)
XML_TOO_LARGE = declare(
    "XML-TOO-LARGE", scope=DOCUMENT, consequence=_M, requirement="settings: max_payload_bytes",
    apprec_code="T99",
    no="Filen er større enn det som tas imot.", en="The file is larger than the accepted size.",
)
XML_NOT_WELL_FORMED = declare(
    "XML-NOT-WELL-FORMED", scope=DOCUMENT, consequence=_M, requirement=_REQ, apprec_code="T01",
    no="Filen er ikke velformet XML eller har feil tegnkoding.",
    en="The file is not well-formed XML or has a wrong character encoding.",
)
XML_DOCTYPE = declare(
    "XML-DOCTYPE", scope=DOCUMENT, consequence=_M, requirement="security: no DTDs or entities",
    apprec_code="T01",
    no="Filen har en DOCTYPE (DTD/entiteter). Det tillates ikke.",
    en="The file has a DOCTYPE (DTD or entities), which is not allowed.",
)
XML_UNKNOWN_FORMAT = declare(
    "XML-UNKNOWN-FORMAT", scope=DOCUMENT, consequence=_M,
    requirement="iplos-format.md, table of generations", apprec_code="T10",
    no="Ukjent meldingsformat (rotelement eller navnerom).",
    en="Unknown message format (root element or namespace).",
)
XML_STRUCTURE = declare(
    "XML-STRUCTURE", scope=DOCUMENT, consequence=_M, requirement="iplos-format.md §1, §2",
    apprec_code="T02",
    no="Meldingens oppbygging følger ikke skjemaet (rekkefølge eller antall elementer).",
    en="The message structure does not follow the schema (element order or count).",
)
XSD_HEADER = declare(
    "XSD-HEADER", scope=DOCUMENT, consequence=_M, requirement="iplos-format.md §1, §2",
    apprec_code="T02",
    no="Hodeopplysningene validerer ikke mot skjemaet.",
    en="The header part does not validate against the schema.",
)
XSD_ROW = declare(
    "XSD-ROW", scope=DOCUMENT, consequence=Consequence.REJECT_ROW,
    requirement="iplos-format.md §1, §2", apprec_code="T02",
    no="Raden validerer ikke mot skjemaet og avvises med underliggende rader.",
    en="The row does not validate against the schema and is rejected with its children.",
)
