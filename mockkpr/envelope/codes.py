"""Code lists used in MsgHead and AppRec, named and valued exactly as in the code lists.

Grepping a code seen in a real receipt (``T02``, ``E21``, ``S01``, ``Avvist``) lands here.
Texts (``DN``) are the code lists' Norwegian texts, as given in the NHN/KITH profile.
"""

from __future__ import annotations

from enum import StrEnum

#: Code list 8258, status of an application receipt.
STATUS_OID = "2.16.578.1.12.4.1.1.8258"
#: Code list 8221, error messages of an application receipt (general).
ERROR_OID = "2.16.578.1.12.4.1.1.8221"
#: Code list 9051, identifier types of organisations (``HER``, ``ENH``).
IDENT_TYPE_OID = "2.16.578.1.12.4.1.1.9051"
#: Code list 8279, message functions (``MsgInfo/Type``).
MESSAGE_FUNCTION_OID = "2.16.578.1.12.4.1.1.8279"


class Status(StrEnum):
    """Code list 8258: the status of an AppRec (``Status/@V``)."""

    OK = "1"
    AVVIST = "2"
    OK_FEIL_I_DELMELDING = "3"

    @property
    def text(self) -> str:
        """The code list text (``DN``)."""
        return _STATUS_TEXTS[self]


_STATUS_TEXTS = {
    Status.OK: "OK",
    Status.AVVIST: "Avvist",
    Status.OK_FEIL_I_DELMELDING: "OK, feil i delmelding",
}


class ErrorCode(StrEnum):
    """Code list 8221: the error codes of an AppRec (``Error/@V``)."""

    E10 = "E10"
    E20 = "E20"
    E21 = "E21"
    E30 = "E30"
    E31 = "E31"
    E32 = "E32"
    E35 = "E35"
    E36 = "E36"
    E53 = "E53"
    E54 = "E54"
    S01 = "S01"
    S02 = "S02"
    S03 = "S03"
    S99 = "S99"
    T01 = "T01"
    T02 = "T02"
    T10 = "T10"
    T99 = "T99"
    X99 = "X99"

    @property
    def text(self) -> str:
        """The code list text (``DN``)."""
        return _ERROR_TEXTS[self]


_ERROR_TEXTS = {
    ErrorCode.E10: "Ugyldig meldingsidentifikator",
    ErrorCode.E20: "Lege finnes ikke",
    ErrorCode.E21: "Mottaker finnes ikke",
    ErrorCode.E30: "Pasientens fødselsnummer mangler",
    ErrorCode.E31: "Pasientens fødselsnummer er feil",
    ErrorCode.E32: "Pasientens navn mangler",
    ErrorCode.E35: "Pasienten finnes ikke i mottakersystemet",
    ErrorCode.E36: "Pasientopplysninger er utilstrekkelige",
    ErrorCode.E53: "Pasientens fødselsnummer eller D-nummer finnes ikke registrert i "
    "Folkeregisteret",
    ErrorCode.E54: "Pasientens fødselsnummer er ikke registrert i mottagersystemet",
    ErrorCode.S01: "Feil på signatur",
    ErrorCode.S02: "Ugyldig sertifikat",
    ErrorCode.S03: "Tilbaketrukket sertifikat",
    ErrorCode.S99: "Annen feil på signatur eller sertifikat",
    ErrorCode.T01: "Ikke XML / ikke 'well formed' / uleselig",
    ErrorCode.T02: "XML validerer ikke",
    ErrorCode.T10: "Støtter ikke meldingsformatet",
    ErrorCode.T99: "Annen feil på format",
    ErrorCode.X99: "Annen feil",
}

#: The errors that answer a certificate or signature problem with an AppRec.
CERTIFICATE_CODES = frozenset({ErrorCode.S01, ErrorCode.S02, ErrorCode.S03, ErrorCode.S99})


class MessageFunction(StrEnum):
    """Code list 8279 entries KPR receives (``MsgInfo/Type/@V``, the AMQP ``subject``).

    The display texts are mockkpr's own: the code list's texts for these two entries are not
    public. Receivers compare ``V`` only.
    """

    KPR_IPL = "KPR_IPL"
    KPR_IDE = "KPR_IDE"

    @property
    def text(self) -> str:
        """The display text written to ``DN``."""
        return _FUNCTION_TEXTS[self]


_FUNCTION_TEXTS = {
    MessageFunction.KPR_IPL: "IPLOS-data til KPR",
    MessageFunction.KPR_IDE: "Identitetsdata til KPR",
}

#: ``MsgType`` of an AppRec.
APPREC_MSG_TYPE = ("APPREC", "Applikasjonskvittering")
#: ``RefDoc/MsgType`` of an XML document carried in ``Content``.
XML_DOCUMENT_TYPE = ("XML", "XML-instans")
#: ``TypeId`` of a HER-id and of an organisation number (code list 9051).
HER_IDENT_TYPE = ("HER", "HER-id")
ENH_IDENT_TYPE = ("ENH", "Organisasjonsnummeret i Enhetsregisteret")
