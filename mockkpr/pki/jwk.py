"""JSON Web Keys (RFC 7517) of HelseID clients: made for a test PKI, read for the registry.

A HelseID client authenticates with a *private JWK*: it signs its client assertion (RFC 7523)
with the private key, and HelseID holds the public half. The test PKI writes both halves as
files, the private one like the other private keys (mode 0600, ``UNENCRYPTED`` in its name).
The JOSE work is joserfc's; this module only names the files' shape and its errors.
"""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from joserfc.util import base64_to_int

from mockkpr.errors import PkiError

#: The signature algorithm of client assertions and access tokens (HelseID's RS256).
JWS_ALGORITHM = "RS256"


def new_client_key() -> RSAKey:
    """A fresh RSA-2048 signing key with ``use=sig``, ``alg=RS256`` and its thumbprint as
    ``kid`` (RFC 7638)."""
    return RSAKey.generate_key(2048, parameters={"use": "sig", "alg": JWS_ALGORITHM},
                               auto_kid=True)


def jwk_json(key: RSAKey, *, private: bool) -> bytes:
    """The key as a JWK JSON document (the private members only when ``private``)."""
    return json.dumps(key.as_dict(private=private), indent=2).encode() + b"\n"


def load_jwk(path: Path, *, private: bool) -> RSAKey:
    """The RSA JWK in ``path``; ``private`` requires the private members.

    Raises :class:`PkiError` naming the file for a missing or unreadable file, text that is
    not a JSON object, a key that is not RSA, or a public key where a private one is needed.
    """
    what = "private JWK" if private else "public JWK"
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise PkiError(f"{what} file {path} does not exist") from None
    except OSError as exc:
        raise PkiError(f"{what} file {path} cannot be read: {exc.strerror}") from None
    except ValueError:
        raise PkiError(f"{what} file {path} is not JSON") from None
    if not isinstance(data, dict):
        raise PkiError(f"{what} file {path} does not hold a JSON object")
    if data.get("kty") != "RSA":
        raise PkiError(f"{what} file {path} holds a key of type {data.get('kty')!r}, not RSA")
    try:
        key = (_import_unchecked(data) if private and data.keys() >= _PRIVATE_MEMBERS
               else RSAKey.import_key(data))
    except (JoseError, ValueError, TypeError) as exc:
        raise PkiError(f"{what} file {path} does not hold a readable RSA key: {exc}") from None
    if private and not key.is_private:
        raise PkiError(f"{what} file {path} holds only a public key")
    return key


#: The members of an RSA private JWK with its CRT parameters (RFC 7518, 6.3.2).
_PRIVATE_MEMBERS = frozenset({"n", "e", "d", "p", "q", "dp", "dq", "qi"})


def _import_unchecked(data: dict[str, object]) -> RSAKey:
    """A private JWK without cryptography's RSA consistency check (~37 ms a key, as for the
    registry's PEM keys in :func:`mockkpr.pki.files.load_private_key`): these are the
    operator's own files, and the registry checks the key against its public JWK."""
    members = {name: base64_to_int(str(data[name])) for name in _PRIVATE_MEMBERS}
    numbers = rsa.RSAPrivateNumbers(
        p=members["p"], q=members["q"], d=members["d"], dmp1=members["dp"],
        dmq1=members["dq"], iqmp=members["qi"],
        public_numbers=rsa.RSAPublicNumbers(members["e"], members["n"]))
    parameters = {name: value for name, value in data.items()
                  if name not in _PRIVATE_MEMBERS and name != "kty"}
    return RSAKey.import_key(numbers.private_key(unsafe_skip_rsa_key_validation=True),
                             parameters)  # type: ignore[arg-type]


def public_key_of(key: RSAKey) -> rsa.RSAPublicKey:
    """The key's public half as a ``cryptography`` object."""
    public = key.public_key
    if not isinstance(public, rsa.RSAPublicKey):  # pragma: no cover - RSAKey holds RSA keys
        raise PkiError("not an RSA key")
    return public


def private_key_of(key: RSAKey) -> rsa.RSAPrivateKey:
    """The key's private half as a ``cryptography`` object; :class:`PkiError` when absent."""
    private = key.private_key
    if not isinstance(private, rsa.RSAPrivateKey):
        raise PkiError("the JWK holds no private key")
    return private
