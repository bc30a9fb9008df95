"""The parties of a message: an organisation with its HER-id and an optional level-2 child."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Organisation:
    """A communication party as MsgHead and AppRec name it.

    ``her_id`` is the HER-id (address register id) and ``org_number`` the organisation number
    (Enhetsregisteret); at least one is needed to build an envelope. ``child`` is the level-2
    organisation, e.g. the municipality's "Saksbehandling" service below the municipality, or
    a department of the receiver. Parsed envelopes may lack a HER-id (``None``) and even a
    name (the standards make both optional); the builders require a name.
    """

    name: str
    her_id: int | None
    org_number: str | None = None
    child: Organisation | None = None

    @property
    def her_ids(self) -> tuple[int, ...]:
        """The HER-ids at this level and below (level 1 first)."""
        own = (self.her_id,) if self.her_id is not None else ()
        return own + (self.child.her_ids if self.child is not None else ())
