"""The ``helseid`` entry of a party in ``registry.yaml``: its client at the fake HelseID.

Format (docs/pki-and-registry.md)::

    helseid:
      client_id: 0b5c1f0e-...            # unique in the registry
      public_jwk: parties/12345/helseid-jwk.public.json
      private_jwk: parties/12345/helseid-jwk.UNENCRYPTED.json   # optional: a test sender's
      scopes: [hdir:kneik/iplos/submit]  # optional; this is the default

The public JWK checks the client's assertions; the private one, when given, must be its other
half (a test sender's, used by ``mockkpr send --http``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from mockkpr.errors import ConfigError, PkiError
from mockkpr.pki import jwk
from mockkpr.registry.model import HelseIdClient

#: The scope that lets a client submit IPLOS messages (the demo client's custom claim).
IPLOS_SCOPE = "hdir:kneik/iplos/submit"
#: What a client may be given when its entry names no scopes.
DEFAULT_SCOPES = (IPLOS_SCOPE,)


class HelseIdSpec(BaseModel):
    """The ``helseid`` mapping of a party entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(min_length=1, max_length=200)
    public_jwk: str
    private_jwk: str | None = None
    scopes: tuple[str, ...] = Field(DEFAULT_SCOPES, min_length=1)


def load_client(spec: HelseIdSpec, resolve: Callable[[str], Path],
                fail: Callable[[str], ConfigError]) -> HelseIdClient:
    """Load the JWK files of ``spec`` (paths through ``resolve``); problems through ``fail``."""
    try:
        public = jwk.load_jwk(resolve(spec.public_jwk), private=False)
    except PkiError as exc:
        raise fail(f"helseid.public_jwk: {exc}") from None
    private_key = None
    private_path = None
    if spec.private_jwk is not None:
        private_path = resolve(spec.private_jwk)
        try:
            private = jwk.load_jwk(private_path, private=True)
        except PkiError as exc:
            raise fail(f"helseid.private_jwk: {exc}") from None
        private_key = jwk.private_key_of(private)
        if private_key.public_key() != jwk.public_key_of(public):
            raise fail("helseid.private_jwk does not belong to helseid.public_jwk")
    kid = public.kid
    return HelseIdClient(
        client_id=spec.client_id, public_key=jwk.public_key_of(public),
        key_id=kid if isinstance(kid, str) else None, scopes=tuple(spec.scopes),
        private_key=private_key, private_jwk_path=private_path)
