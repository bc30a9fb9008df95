"""Reading CMS structures with ``asn1crypto``; the only module that imports it.

``cryptography`` builds CMS but reads only DER EnvelopedData encrypted with AES (and cannot read
SignedData at all). A receiver must also read BER (indefinite lengths, constructed octet strings,
as streaming senders write them), 3DES when allowed, the embedded certificates and the signer
infos. ``asn1crypto`` parses those structures; this module turns them into small typed values
that the rest of :mod:`mockkpr.cms` works with, so that asn1crypto's untyped objects stay here.
Every structural problem is raised as :class:`Asn1Error`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from asn1crypto import cms as acms
from asn1crypto import core as acore
from asn1crypto import parser as aparser
from asn1crypto import x509 as ax509

ID_DATA = "1.2.840.113549.1.7.1"
ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
ID_ENVELOPED_DATA = "1.2.840.113549.1.7.3"
ID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"

_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


class Asn1Error(Exception):
    """The bytes are not the CMS structure that was expected."""


class NotCmsError(Asn1Error):
    """The bytes are not a CMS ContentInfo at all."""


class ContentTypeError(Asn1Error):
    """A ContentInfo of another content type than expected; ``content_type`` is its OID."""

    def __init__(self, content_type: str, expected: str) -> None:
        super().__init__(f"content type {content_type}, expected {expected}")
        self.content_type = content_type


@dataclass(frozen=True, slots=True)
class Identifier:
    """How a recipient or signer names its certificate: issuer and serial, or key identifier."""

    issuer_der: bytes | None
    serial: int | None
    key_id: bytes | None

    @property
    def kind(self) -> str:
        """``issuer-serial`` or ``subject-key-identifier`` (the two CMS choices)."""
        return "subject-key-identifier" if self.key_id is not None else "issuer-serial"

    def matches(self, issuer_der: bytes, serial: int, key_id: bytes | None) -> bool:
        """Whether a certificate with this issuer (DER), serial and key identifier is meant."""
        if self.key_id is not None:
            return key_id is not None and key_id == self.key_id
        return self.serial == serial and self.issuer_der is not None and _same_name(
            self.issuer_der, issuer_der
        )


@dataclass(frozen=True, slots=True)
class Recipient:
    """One key transport recipient (``ktri``) of an EnvelopedData."""

    rid: Identifier
    key_algorithm: str
    encrypted_key: bytes


@dataclass(frozen=True, slots=True)
class Enveloped:
    """The parts of an EnvelopedData a receiver needs."""

    content_type: str
    cipher: str
    cipher_parameters: bytes | None
    recipients: tuple[Recipient, ...]
    other_recipients: int
    encrypted_content: bytes


@dataclass(frozen=True, slots=True)
class Signer:
    """One SignerInfo: who signed, how, and what exactly the signature covers."""

    sid: Identifier
    digest_algorithm: str
    signature_algorithm: str
    signature: bytes
    signed_attributes: bytes | None
    message_digest: bytes | None
    attribute_content_type: str | None


@dataclass(frozen=True, slots=True)
class Signed:
    """The parts of a SignedData a receiver needs; certificates as DER."""

    content_type: str
    content: bytes | None
    certificates: tuple[bytes, ...]
    signers: tuple[Signer, ...]


def _same_name(first: bytes, second: bytes) -> bool:
    """Compare two DER Names as RFC 5280 does (asn1crypto prepares the strings)."""
    if first == second:
        return True
    try:
        return bool(ax509.Name.load(first) == ax509.Name.load(second))
    except _PARSE_ERRORS:
        return False


def _identifier(choice: Any) -> Identifier:
    name = choice.name
    if name == "issuer_and_serial_number":
        value = choice.chosen
        return Identifier(value["issuer"].dump(), int(value["serial_number"].native), None)
    if name == "subject_key_identifier":
        return Identifier(None, None, bytes(choice.chosen.native))
    raise Asn1Error(f"unsupported identifier choice {name}")


def _content_info(data: bytes, expected: str) -> Any:
    """The (lazily parsed) content of a ContentInfo of the ``expected`` content type."""
    try:
        info = acms.ContentInfo.load(data, strict=True)
        content_type = cast(str, info["content_type"].dotted)
    except _PARSE_ERRORS as exc:
        raise NotCmsError(f"not a CMS ContentInfo: {exc}") from None
    if content_type != expected:
        raise ContentTypeError(content_type, expected)
    try:
        return info["content"]
    except _PARSE_ERRORS as exc:
        raise Asn1Error(f"malformed content: {exc}") from None


def parse_enveloped(data: bytes) -> Enveloped:
    """Read an EnvelopedData ContentInfo (DER or BER)."""
    content = _content_info(data, ID_ENVELOPED_DATA)
    try:
        recipients: list[Recipient] = []
        others = 0
        for info in content["recipient_infos"]:
            if info.name != "ktri":
                others += 1
                continue
            ktri = info.chosen
            recipients.append(
                Recipient(
                    _identifier(ktri["rid"]),
                    cast(str, ktri["key_encryption_algorithm"]["algorithm"].dotted),
                    bytes(ktri["encrypted_key"].native),
                )
            )
        encrypted = content["encrypted_content_info"]
        algorithm = encrypted["content_encryption_algorithm"]
        parameters = algorithm["parameters"]
        raw = encrypted["encrypted_content"]
        return Enveloped(
            content_type=cast(str, encrypted["content_type"].dotted),
            cipher=cast(str, algorithm["algorithm"].dotted),
            cipher_parameters=_octets(parameters),
            recipients=tuple(recipients),
            other_recipients=others,
            encrypted_content=b"" if _absent(raw) else _octets_of(raw),
        )
    except _PARSE_ERRORS as exc:
        raise Asn1Error(f"malformed EnvelopedData: {exc}") from None


def _octets(value: Any) -> bytes | None:
    """An algorithm's parameters as the bytes of an OCTET STRING (a CBC IV), else ``None``."""
    native = value.native
    return bytes(native) if isinstance(native, bytes) else None


def parse_signed(data: bytes) -> Signed:
    """Read a SignedData ContentInfo (DER or BER)."""
    content = _content_info(data, ID_SIGNED_DATA)
    try:
        encap = content["encap_content_info"]
        inner = encap["content"]
        certificates = tuple(
            choice.chosen.dump()
            for choice in (content["certificates"] or [])
            if choice.name == "certificate"
        )
        return Signed(
            content_type=cast(str, encap["content_type"].dotted),
            content=None if _absent(inner) else _octets_of(inner),
            certificates=certificates,
            signers=tuple(_signer(info) for info in content["signer_infos"]),
        )
    except _PARSE_ERRORS as exc:
        raise Asn1Error(f"malformed SignedData: {exc}") from None


def _absent(value: Any) -> bool:
    """Whether an OPTIONAL field is missing (asn1crypto gives a Void for it)."""
    return isinstance(value, acore.Void) or value.contents is None


_OCTET_STRING = 4
_MAX_CHUNK_DEPTH = 8


def _octets_of(value: Any) -> bytes:
    """The octets of an OCTET STRING value, primitive (DER) or constructed (BER chunks).

    asn1crypto joins BER chunks with repeated ``+=``, which is quadratic: a 50 MB payload
    streamed in 4 KB chunks takes minutes. The chunks are walked here with asn1crypto's own
    header parser and joined once.
    """
    if value.method == 0:
        return bytes(value.contents)
    chunks: list[bytes] = []
    _collect_chunks(value.contents, chunks, 0)
    return b"".join(chunks)


def _collect_chunks(data: bytes, chunks: list[bytes], depth: int) -> None:
    if depth > _MAX_CHUNK_DEPTH:
        raise Asn1Error("OCTET STRING chunks nested too deeply")
    pointer, end = 0, len(data)
    while pointer < end:
        # asn1crypto.parser.parse() only reads from the start of a byte string, which would mean
        # copying the rest of the data for every chunk; _parse() takes the position instead.
        (class_, method, tag, _header, contents, _trailer), pointer = aparser._parse(
            data, end, pointer
        )
        if class_ == 0 and tag == 0 and not contents:  # end-of-contents of an indefinite length
            break
        if class_ != 0 or tag != _OCTET_STRING:
            raise Asn1Error(f"constructed OCTET STRING holds a value with tag {class_}/{tag}")
        if method == 1:
            _collect_chunks(contents, chunks, depth + 1)
        else:
            chunks.append(contents)


def resign(
    signed_data: bytes, digest_algorithm: str, signature_algorithm: str,
    sign: Callable[[bytes], bytes],
) -> bytes:
    """The SignedData ContentInfo ``signed_data`` signed again with other algorithms.

    Every signer info (without signed attributes) gets the ``digest_algorithm`` and
    ``signature_algorithm`` OIDs and the signature ``sign(content)``; the SignedData's digest
    algorithm set says the same. For producing what the profile does not allow (a SHA-1
    signature) to test receivers; ``cryptography`` builds only what is still sound.
    """
    try:
        info = acms.ContentInfo.load(signed_data, strict=True)
        content = info["content"]
        payload = _octets_of(content["encap_content_info"]["content"])
        digest = acms.DigestAlgorithm({"algorithm": digest_algorithm})
        content["digest_algorithms"] = acms.DigestAlgorithms([digest])
        for signer in content["signer_infos"]:
            if signer["signed_attrs"].native:
                raise Asn1Error("signers with signed attributes cannot be signed again here")
            signer["digest_algorithm"] = acms.DigestAlgorithm({"algorithm": digest_algorithm})
            signer["signature_algorithm"] = acms.SignedDigestAlgorithm(
                {"algorithm": signature_algorithm})
            signer["signature"] = sign(payload)
        return cast(bytes, info.dump(force=True))
    except _PARSE_ERRORS as exc:
        raise Asn1Error(f"malformed SignedData: {exc}") from None


def _signer(info: Any) -> Signer:
    attributes = info["signed_attrs"]
    signed_attributes: bytes | None = None
    message_digest: bytes | None = None
    attribute_content_type: str | None = None
    if attributes.native is not None and len(attributes) > 0:
        # The signature covers the attributes DER-encoded as a SET, not as the [0] seen here.
        signed_attributes = b"\x31" + attributes.dump()[1:]
        for attribute in attributes:
            kind = attribute["type"].dotted
            values = attribute["values"]
            if kind == ID_MESSAGE_DIGEST and len(values) == 1:
                message_digest = bytes(values[0].native)
            elif kind == ID_CONTENT_TYPE and len(values) == 1:
                attribute_content_type = values[0].dotted
    return Signer(
        sid=_identifier(info["sid"]),
        digest_algorithm=cast(str, info["digest_algorithm"]["algorithm"].dotted),
        signature_algorithm=cast(str, info["signature_algorithm"]["algorithm"].dotted),
        signature=bytes(info["signature"].native),
        signed_attributes=signed_attributes,
        message_digest=message_digest,
        attribute_content_type=attribute_content_type,
    )
