"""Shared parties, payloads and a MsgHead written the way a real sender writes one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mockkpr.envelope import Organisation

IPLOS_NS = "http://www.npr.no/xmlstds/iplos/2019"
PAYLOAD = (
    f'<IPLOS xmlns="{IPLOS_NS}" kommuneNr="0301" aar="2019">'
    '<PERSON pePeID="17"><TJENESTE tjTjID="3"><tjTimerUke>7,5</tjTimerUke></TJENESTE>'
    "</PERSON></IPLOS>"
).encode()
GEN_DATE = datetime(2019, 1, 5, 10, 30, 15, tzinfo=UTC)


@pytest.fixture
def municipality() -> Organisation:
    """A municipality (level 1) sending from its "Saksbehandling" service (level 2)."""
    return Organisation("Eksempel kommune", 80001, "964338531",
                        Organisation("Saksbehandling pleie og omsorg", 80002))


@pytest.fixture
def kpr() -> Organisation:
    return Organisation("KPR Validering", 131725)


# A MsgHead as a real sender might write it: prefixes, optional parts the profile names but
# mockkpr does not read, .NET's seven fraction digits, an XML signature after the document.
# Valid against the official MsgHead 1.2 schema.
HAND_WRITTEN = f"""<?xml version="1.0" encoding="utf-8"?>
<mh:MsgHead xmlns:mh="http://www.kith.no/xmlstds/msghead/2006-05-24"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.kith.no/xmlstds/msghead/2006-05-24 MsgHead-v1_2.xsd">
  <mh:MsgInfo>
    <mh:Type V="KPR_IPL" DN="IPLOS" />
    <mh:MIGversion>v1.2 2006-05-24</mh:MIGversion>
    <mh:GenDate>2019-01-05T10:30:15.1234567+01:00</mh:GenDate>
    <mh:MsgId>6f1c1f04-6a3d-4c3e-9d7e-0a5b3c2d1e0f</mh:MsgId>
    <mh:ProcessingStatus V="P" DN="Produksjon" />
    <mh:RequestedPriority V="N" DN="Normal" />
    <mh:Ack V="J" DN="Ja" />
    <mh:ConversationRef>
      <mh:RefToParent>6f1c1f04-6a3d-4c3e-9d7e-0a5b3c2d1e0f</mh:RefToParent>
      <mh:RefToConversation>6f1c1f04-6a3d-4c3e-9d7e-0a5b3c2d1e0f</mh:RefToConversation>
    </mh:ConversationRef>
    <mh:Sender>
      <mh:ComMethod V="EDI" DN="EDI"/>
      <mh:Organisation>
        <mh:OrganisationName>Eksempel kommune</mh:OrganisationName>
        <mh:TypeOrganisation V="KO" DN="Kommune" S="2.16.578.1.12.4.1.1.9040" />
        <mh:Ident>
          <mh:Id>964338531</mh:Id>
          <mh:TypeId V="ENH" DN="Organisasjonsnummeret i Enhetsregisteret"
                     S="2.16.578.1.12.4.1.1.9051" />
        </mh:Ident>
        <mh:Ident>
          <mh:Id>80001</mh:Id>
          <mh:TypeId V="HER" DN="HER-id" S="2.16.578.1.12.4.1.1.9051" />
        </mh:Ident>
        <mh:Address><mh:StreetAdr>Rådhusplassen 1</mh:StreetAdr></mh:Address>
        <mh:TeleCom><mh:TeleAddress V="tel:12345678" /></mh:TeleCom>
        <mh:Organisation>
          <mh:OrganisationName>Saksbehandling pleie og omsorg</mh:OrganisationName>
          <mh:Ident>
            <mh:Id> 80002 </mh:Id>
            <mh:TypeId V="HER" DN="HER-id" S="2.16.578.1.12.4.1.1.9051" />
          </mh:Ident>
        </mh:Organisation>
      </mh:Organisation>
    </mh:Sender>
    <mh:Receiver>
      <mh:Organisation>
        <mh:OrganisationName>KPR Validering</mh:OrganisationName>
        <mh:Ident>
          <mh:Id>131725</mh:Id>
          <mh:TypeId V="HER" DN="HER-id" S="2.16.578.1.12.4.1.1.9051" />
        </mh:Ident>
      </mh:Organisation>
    </mh:Receiver>
    <mh:Patient><mh:Ident><mh:Id>none</mh:Id><mh:TypeId V="XX"/></mh:Ident></mh:Patient>
  </mh:MsgInfo>
  <mh:Document>
    <mh:RefDoc>
      <mh:IssueDate V="2019-01-05T10:30:15" />
      <mh:MsgType V="XML" DN="XML-instans" />
      <mh:MimeType>text/xml</mh:MimeType>
      <mh:Content>
        <!-- the submission -->
        {PAYLOAD.decode()}
      </mh:Content>
    </mh:RefDoc>
  </mh:Document>
  <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
    <ds:SignedInfo>
      <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
      <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
      <ds:Reference URI="">
        <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
        <ds:DigestValue>AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</ds:DigestValue>
      </ds:Reference>
    </ds:SignedInfo>
    <ds:SignatureValue>AAECAwQFBgcICQoLDA0ODw==</ds:SignatureValue>
  </ds:Signature>
</mh:MsgHead>
""".encode()
