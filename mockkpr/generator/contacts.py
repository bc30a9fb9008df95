"""Contact persons of the sending kommune: Faker ``no_NO`` names, phones and e-mail addresses.

Faker is seeded from the spec's seed (its own ``seed_instance``), so contacts are reproducible
for one Faker version; Faker's data may change between versions, which is why pyproject pins a
compatible range (docs/generator.md). E-mail addresses use Faker's ``safe`` domains
(example.com/.net/.org), which can never reach a real mailbox. Phone numbers come from Faker's
Norwegian formats and are normalised to what the 56.0.0 rule accepts
(``^(\\+47|0047|)( *\\d *){8}$``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from faker import Faker

from mockkpr.generator.model import derive_seed

PHONE_PATTERN = re.compile(r"^(\+47|0047|)( *\d *){8}$")

IPLOS_CONTACT = 16
SUBMISSION_RESPONSIBLE = 17
EPJ_VENDOR = 15


@dataclass(frozen=True)
class Contact:
    """One contact: code list 8471 type, name, phone and e-mail."""

    type: int
    name: str
    phone: str
    email: str


def make_contacts(seed: int, types: tuple[int, ...]) -> list[Contact]:
    """One synthetic contact per type in ``types``, reproducible for ``seed``."""
    fake = Faker("no_NO")
    fake.seed_instance(derive_seed(seed, "contacts"))
    contacts = []
    for contact_type in types:
        name = f"{fake.first_name()} {fake.last_name()}"
        contacts.append(Contact(contact_type, name, _phone(fake), fake.email(safe=True)))
    return contacts


def _phone(fake: Faker) -> str:
    for _ in range(20):
        number = str(fake.phone_number())
        if PHONE_PATTERN.match(number):
            return number
    digits = "".join(ch for ch in str(fake.phone_number()) if ch.isdigit())[-8:]
    return f"+47 {digits.rjust(8, '9')}"
