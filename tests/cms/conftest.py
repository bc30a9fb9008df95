"""Fixtures of the CMS tests: one generated test PKI for the session."""

from __future__ import annotations

import pytest

from mockkpr.pki import PartySpec, Variant, create_test_pki
from mockkpr.registry import load_registry
from tests.cms.support import RECEIVER, SENDER, Pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("cms-pki")
    made = create_test_pki(
        directory,
        [PartySpec(RECEIVER, "KPR"), PartySpec(SENDER, "Testkommune Saksbehandling")],
        variants=list(Variant),
    )
    registry = load_registry(made.registry_file)
    return Pki(directory, registry, registry.party(RECEIVER), registry.party(SENDER))
