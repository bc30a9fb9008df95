"""The address registry: loading, lookups with inheritance, and every malformed file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockkpr.errors import ConfigError
from mockkpr.pki import PartySpec, Variant, create_test_pki
from mockkpr.registry import Queues, Registry, load_registry

RECEIVER, SENDER = 131725, 12345


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("registry-pki")
    create_test_pki(
        directory,
        [PartySpec(RECEIVER, "KPR"), PartySpec(SENDER, "Testkommune Saksbehandling")],
        variants=[Variant.EXPIRED],
    )
    return directory


@pytest.fixture(scope="module")
def base(pki_dir: Path) -> dict[str, Any]:
    data = yaml.safe_load((pki_dir / "registry.yaml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def registry(pki_dir: Path) -> Registry:
    return load_registry(pki_dir / "registry.yaml")


def _write(directory: Path, data: Any, name: str = "edited.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    return str(caught.value)


def _edited(base: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(base)


# --- lookups -------------------------------------------------------------------------------


def test_parties_and_default_queues(registry: Registry) -> None:
    receiver = registry.party(RECEIVER)
    assert receiver.name == "KPR"
    assert receiver.queues == Queues("131725_async", "131725_error", "131725_dl")
    assert registry.queues(SENDER) == Queues("12345_async", "12345_error", "12345_dl")
    assert registry.find(999) is None


def test_unknown_party_is_a_config_error(registry: Registry, pki_dir: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        registry.party(999)
    assert str(caught.value) == f"{pki_dir / 'registry.yaml'}: no party with HER-id 999"


def test_child_inherits_queues_and_account(registry: Registry) -> None:
    child = registry.party(123451)
    assert child.parent == SENDER
    assert child.queues == registry.queues(SENDER)
    assert child.sasl is None
    assert registry.account_of(123451) == "mockkpr-12345"
    assert registry.account_of(SENDER) == "mockkpr-12345"
    assert registry.account_of(999) is None
    assert registry.her_ids_of("mockkpr-12345") == frozenset({SENDER, 123451})
    assert [party.her_id for party in registry.parties_of("mockkpr-12345")] == [SENDER, 123451]
    assert registry.her_ids_of("nobody") == frozenset()


def test_passwords(registry: Registry, base: dict[str, Any]) -> None:
    password = base["parties"][1]["sasl"]["password"]
    assert registry.check_password("mockkpr-12345", password)
    assert not registry.check_password("mockkpr-12345", password + "x")
    assert not registry.check_password("mockkpr-131725", password)
    assert not registry.check_password("nobody", password)
    assert password not in repr(registry.party(SENDER))


def test_own_keys_current_first(registry: Registry) -> None:
    receiver = registry.party(RECEIVER)
    assert receiver.previous_encryption is not None
    certs = [cert for cert, _ in receiver.own_keys()]
    assert certs == [receiver.encryption_certificate, receiver.previous_encryption.certificate]
    assert receiver.signing is not None
    assert receiver.signing.certificate == receiver.signing_certificate


def test_tls_paths_are_absolute(registry: Registry, pki_dir: Path) -> None:
    assert registry.tls is not None
    assert registry.tls.certificate == (pki_dir / "tls/localhost-cert.pem").resolve()
    assert registry.tls.key == (pki_dir / "tls/localhost-key.UNENCRYPTED.pem").resolve()


def test_declared_queues_partly_inherited(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["parties"][1]["queues"] = {"async": "kommune_async", "error": "kommune_error"}
    data["parties"][2]["queues"] = {"error": "child_error"}
    registry = load_registry(_write(pki_dir, data))
    assert registry.queues(SENDER) == Queues("kommune_async", "kommune_error", "12345_dl")
    assert registry.queues(123451) == Queues("kommune_async", "child_error", "12345_dl")


def test_optional_fields(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    del data["tls"]
    data["parties"][1]["cpa_id"] = "0f3d2c1b-9a8e-4f70-8d6c-5b4a39281706"
    for key in ("signing_key", "encryption_key", "sasl"):
        del data["parties"][1][key]
    del data["parties"][2]
    registry = load_registry(_write(pki_dir, data))
    sender = registry.party(SENDER)
    assert registry.tls is None
    assert sender.cpa_id == "0f3d2c1b-9a8e-4f70-8d6c-5b4a39281706"
    assert (sender.signing, sender.own_keys(), sender.account) == (None, [], None)


# --- malformed registries -------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    assert _error(path) == f"registry file {path} does not exist"


def test_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("parties: [\n  - her_id: 1\n")
    message = _error(path)
    assert message.startswith(f"{path}: not valid YAML: ")
    assert "line" in message


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    assert _error(path) == f"{path}: expected a mapping with ca_certificate, crl and parties"


def test_unknown_keys(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["colour"] = "blue"
    data["parties"][1]["colour"] = "red"
    data["parties"][1]["sasl"]["token"] = "x"
    path = _write(pki_dir, data)
    assert _error(path) == (
        f"{path}: party 12345 (entry 2): sasl.token: unknown key; "
        "party 12345 (entry 2): colour: unknown key; colour: unknown key"
    )


def test_missing_keys(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    del data["crl"]
    del data["parties"][1]["signing_certificate"]
    del data["parties"][2]["her_id"]
    path = _write(pki_dir, data)
    assert _error(path) == (
        f"{path}: crl: missing; party 12345 (entry 2): signing_certificate: missing; "
        "party entry 3: her_id: missing"
    )


def test_wrong_types(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["parties"][1]["her_id"] = "tolv"
    data["parties"][0]["her_id"] = -5
    path = _write(pki_dir, data)
    assert _error(path) == (
        f"{path}: party -5 (entry 1): her_id: Input should be greater than 0; "
        "party tolv (entry 2): her_id: Input should be a valid integer, unable to parse string "
        "as an integer"
    )


def test_no_parties(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["parties"] = []
    path = _write(pki_dir, data)
    assert _error(path) == (
        f"{path}: parties: List should have at least 1 item after validation, not 0"
    )


def test_missing_certificate_file(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["parties"][1]["signing_certificate"] = "parties/12345/gone.pem"
    path = _write(pki_dir, data)
    missing = (pki_dir / "parties/12345/gone.pem").resolve()
    assert _error(path) == (
        f"{path}: party 12345: signing_certificate: certificate file {missing} does not exist"
    )


def test_certificate_that_does_not_parse(pki_dir: Path, base: dict[str, Any]) -> None:
    (pki_dir / "junk.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n")
    data = _edited(base)
    data["parties"][0]["encryption_certificate"] = "junk.pem"
    path = _write(pki_dir, data)
    assert _error(path) == (
        f"{path}: party 131725: encryption_certificate: certificate file "
        f"{(pki_dir / 'junk.pem').resolve()} does not hold a readable certificate"
    )


def test_key_of_another_certificate(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["parties"][1]["signing_key"] = data["parties"][1]["encryption_key"]
    path = _write(pki_dir, data)
    assert _error(path) == (
        f"{path}: party 12345: signing_key does not belong to signing_certificate"
    )


def test_key_that_does_not_parse(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["parties"][1]["encryption_key"] = data["parties"][1]["encryption_certificate"]
    path = _write(pki_dir, data)
    key_file = (pki_dir / "parties/12345/encryption-cert.pem").resolve()
    assert _error(path) == (
        f"{path}: party 12345: encryption_key: private key file {key_file} does not hold a "
        "readable private key"
    )


def test_previous_key_without_certificate(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    del data["parties"][0]["previous_encryption_certificate"]
    path = _write(pki_dir, data)
    assert _error(path) == (
        f"{path}: party 131725: previous_encryption_certificate and previous_encryption_key "
        "go together"
    )


def test_duplicate_her_id(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["parties"].append(copy.deepcopy(data["parties"][1]))
    path = _write(pki_dir, data)
    assert _error(path) == f"{path}: party 12345: HER-id listed more than once"


def test_unknown_parent(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["parties"][2]["parent"] = 777
    path = _write(pki_dir, data)
    assert _error(path) == f"{path}: party 123451: parent 777 is not in the registry"


def test_parent_cycle(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["parties"][1]["parent"] = 123451
    path = _write(pki_dir, data)
    assert _error(path) == f"{path}: party 12345: parent cycle 12345 -> 123451 -> 12345"


def test_own_parent(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["parties"][0]["parent"] = RECEIVER
    path = _write(pki_dir, data)
    assert _error(path) == f"{path}: party 131725: parent cycle 131725 -> 131725"


def test_one_user_two_passwords(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["parties"][1]["sasl"]["user"] = "mockkpr-131725"
    path = _write(pki_dir, data)
    assert _error(path) == (
        f"{path}: party 12345: sasl user 'mockkpr-131725' is also used by another party with a "
        "different password"
    )


def test_crl_of_another_ca(pki_dir: Path, base: dict[str, Any], tmp_path: Path) -> None:
    other = tmp_path / "other"
    create_test_pki(other, [PartySpec(1, "Other")])
    data = _edited(base)
    data["crl"] = str(other / "ca/crl.pem")  # absolute paths are allowed too
    path = _write(pki_dir, data)
    assert _error(path) == f"{path}: top level: crl is not signed by ca_certificate"


def test_tls_key_mismatch(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    data["tls"]["key"] = data["parties"][0]["signing_key"]
    path = _write(pki_dir, data)
    assert _error(path) == f"{path}: tls: key does not belong to certificate"


# --- HelseID clients (the HTTP route) --------------------------------------------------------


def _sender(data: dict[str, Any]) -> dict[str, Any]:
    party = next(p for p in data["parties"] if p["her_id"] == SENDER)
    assert isinstance(party, dict)
    return party


def test_a_senders_client_and_its_inheritance(registry: Registry) -> None:
    client_id = registry.party(SENDER).client_id
    assert client_id is not None
    client = registry.client(client_id)
    assert client is not None
    assert client.scopes == ("hdir:kneik/iplos/submit",)
    assert client.private_key is not None
    assert client.private_key.public_key() == client.public_key
    assert registry.party(123451).client_id == client_id  # the variant child inherits
    assert registry.party(123451).helseid is None
    assert registry.party(RECEIVER).client_id is None
    assert registry.her_ids_of_client(client_id) == frozenset({SENDER, 123451})
    assert registry.her_ids_of_client("nobody") == frozenset()


def test_a_client_without_private_jwk_and_with_own_scopes(
        pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    helseid = _sender(data)["helseid"]
    del helseid["private_jwk"]
    helseid["scopes"] = ["hdir:kneik/iplos/submit", "hdir:kneik/hst/submit"]
    registry = load_registry(_write(pki_dir, data))
    client = registry.client(helseid["client_id"])
    assert client is not None
    assert client.private_key is None
    assert client.scopes == ("hdir:kneik/iplos/submit", "hdir:kneik/hst/submit")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda h: h.update(colour="red"), "helseid.colour: unknown key"),
    (lambda h: h.pop("client_id"), "helseid.client_id: missing"),
    (lambda h: h.update(scopes=[]), "helseid.scopes"),
    (lambda h: h.update(public_jwk="parties/12345/gone.json"), "does not exist"),
    (lambda h: h.update(public_jwk="parties/12345/signing-cert.pem"), "is not JSON"),
    (lambda h: h.update(private_jwk=h["public_jwk"]), "holds only a public key"),
], ids=["unknown-key", "no-client-id", "no-scopes", "missing-file", "not-json", "not-private"])
def test_bad_helseid_entries(pki_dir: Path, base: dict[str, Any], edit: Any,
                             message: str) -> None:
    data = _edited(base)
    edit(_sender(data)["helseid"])
    error = _error(_write(pki_dir, data))
    assert "party 12345" in error
    assert message in error


def test_a_jwk_of_another_kind_or_key(pki_dir: Path, base: dict[str, Any]) -> None:
    import json

    data = _edited(base)
    (pki_dir / "ec.json").write_text(json.dumps({"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}))
    _sender(data)["helseid"]["public_jwk"] = "ec.json"
    assert "not RSA" in _error(_write(pki_dir, data))
    other = create_test_pki(pki_dir / "other", [PartySpec(1, "A"), PartySpec(2, "B")])
    data = _edited(base)
    _sender(data)["helseid"]["private_jwk"] = str(
        other.directory / "parties/2/helseid-jwk.UNENCRYPTED.json")
    assert "private_jwk does not belong to helseid.public_jwk" in _error(_write(pki_dir, data))


def test_a_private_jwk_read_without_the_rsa_check_signs_for_its_public_jwk(
        registry: Registry) -> None:
    """The private JWK is read without cryptography's slow RSA consistency check (start-up
    time): the key it gives signs what its public half verifies (RS256, RFC 7518)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    client_id = registry.party(SENDER).client_id
    client = registry.client(client_id) if client_id else None
    assert client is not None
    assert client.private_key is not None
    signature = client.private_key.sign(b"assertion", padding.PKCS1v15(), hashes.SHA256())
    client.public_key.verify(signature, b"assertion", padding.PKCS1v15(), hashes.SHA256())


def test_a_private_jwk_with_an_unreadable_member(pki_dir: Path, base: dict[str, Any]) -> None:
    import json

    data = _edited(base)
    helseid = _sender(data)["helseid"]
    jwk = json.loads((pki_dir / helseid["private_jwk"]).read_text())
    jwk["qi"] = "not base64url!"
    (pki_dir / "broken-jwk.json").write_text(json.dumps(jwk))
    helseid["private_jwk"] = "broken-jwk.json"
    error = _error(_write(pki_dir, data))
    assert "helseid.private_jwk" in error
    assert "does not hold a readable RSA key" in error


def test_one_client_id_for_two_parties(pki_dir: Path, base: dict[str, Any]) -> None:
    data = _edited(base)
    receiver = next(p for p in data["parties"] if p["her_id"] == RECEIVER)
    receiver["helseid"] = dict(_sender(data)["helseid"])
    assert "is also the client of party" in _error(_write(pki_dir, data))
