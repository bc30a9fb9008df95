"""``mockkpr certify``: run the conformance suite against a sender; ``certify verify`` a bundle.

``mockkpr certify --sender-cmd "COMMAND {file} {url}" [--cases ...] [--out DIR]`` starts an
in-process endpoint (or drives a running one: ``--amqp-url/--control-url/--registry``), runs
the cases, writes JUnit XML, the JSON summary, the HTML report and the signed evidence bundle,
and exits 0 (passed; warnings allowed), 1 (the sender failed a shall-case), 2 (usage error) or
3 (the harness could not run, or could not judge a case). docs/conformance.md has the details.
"""

from __future__ import annotations

import os
import string
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mockkpr.errors import ConfigError, InputError, MockKprError
from mockkpr.log import configure
from mockkpr.settings import Settings, load_settings

if TYPE_CHECKING:
    from mockkpr.conformance.drivers import Driver
    from mockkpr.conformance.harness import Certification
    from mockkpr.conformance.senders import Sender
    from mockkpr.conformance.signing import Identity

# The suite (generator, endpoint, proton) is imported when a subcommand runs, so that the
# rest of the command line does not load it.

PLACEHOLDERS = ("file", "url", "registry", "from", "to", "ca", "timeout")
#: The placeholders of the HTTP route only (mockkpr.conformance.senders.HTTP_PLACEHOLDERS).
HTTP_PLACEHOLDERS = ("authority", "token_url", "client_id", "jwk", "control")
OUTPUTS = ("junit.xml", "summary.json", "report.html", "evidence.zip")
EXIT_USAGE, EXIT_HARNESS = 2, 3  # as mockkpr.conformance.harness defines them


def check_template(template: str, route: str = "amqp") -> None:
    """A usage error unless ``template`` is a command with ``{placeholders}`` the route has."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise click.BadParameter(f"{exc} (write a literal brace as {{{{ or }}}})",
                                 param_hint="--sender-cmd") from None
    unknown = sorted({n for n in names if n not in PLACEHOLDERS + HTTP_PLACEHOLDERS})
    if unknown:
        raise click.BadParameter(f"unknown placeholder {{{unknown[0]}}}; known: "
                                 + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS) + "; with "
                                 "--route http also "
                                 + ", ".join(f"{{{p}}}" for p in HTTP_PLACEHOLDERS),
                                 param_hint="--sender-cmd")
    http_only = sorted({n for n in names if n in HTTP_PLACEHOLDERS})
    if http_only and route != "http":
        raise click.BadParameter(f"{{{http_only[0]}}} is a placeholder of the HTTP route: "
                                 "give --route http", param_hint="--sender-cmd")
    if "file" not in names:
        raise click.BadParameter("the command must name the file to send: {file}",
                                 param_hint="--sender-cmd")


class _Certify(click.Group):
    """The group runs the suite when no subcommand is given; errors map to exit codes."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"mockkpr certify: error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except (MockKprError, OSError) as exc:
            click.echo(f"mockkpr certify: the harness could not run: {exc}", err=True)
            sys.exit(EXIT_HARNESS)


@click.group("certify", cls=_Certify, invoke_without_command=True)
@click.option("--sender-cmd", metavar="COMMAND",
              help="The command that makes your sender send one file and wait for its receipt; "
                   "placeholders {file} {url} {registry} {from} {to} {ca} {timeout}, with "
                   "--route http also {authority} {token_url} {client_id} {jwk} {control}. "
                   "Exit code: 0 accepted (HTTP: received), 1 rejected, 2 failed "
                   "(`mockkpr docs conformance`).")
@click.option("--route", type=click.Choice(["amqp", "http"]), default="amqp", show_default=True,
              help="How the sender delivers: the service bus (AMQP) or KPR's HTTP API with a "
                   "HelseID token; each route has its own cases.")
@click.option("--manual", is_flag=True,
              help="No command: print instructions for each send and wait for a person.")
@click.option("--cases", "case_patterns", multiple=True, metavar="IDS",
              help="Case ids, patterns (KPR-CONF-03*) or groups (security), comma-separated; "
                   "default: all.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("mockkpr-certify"), show_default=True,
              help="Directory for junit.xml, summary.json, report.html, evidence.zip.")
@click.option("--timeout", type=click.FloatRange(1), default=30.0, show_default=True,
              help="Receipt timeout (seconds) given to the sender where a case names none.")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True,
              help="Seed of the generated data.")
@click.option("--from", "from_her_id", type=int, default=12345, show_default=True,
              help="The sending party's HER-id (in the registry).")
@click.option("--to", "to_her_id", type=int, default=None,
              help="KPR's HER-id (default MOCKKPR_KPR_HER_ID).")
@click.option("--harness-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Certification run: the certifying body's passphrase-protected PEM key that "
                   "signs the evidence (with --harness-cert). Without it the run is "
                   "self-attested (a key made in memory for this run).")
@click.option("--harness-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PEM certificate of --harness-key (the one verifiers pin).")
@click.option("--harness-passphrase-fd", type=click.IntRange(0), metavar="FD",
              help="Read the passphrase of --harness-key from this open file descriptor "
                   "(e.g. 3 with 3<secret); else it is asked for on the terminal.")
@click.option("--amqp-url", help="An endpoint already running: its amqps://HOST:PORT/EXCHANGE "
                                 "(with --control-url and --registry).")
@click.option("--http-url", help="An endpoint already running: its HTTP API, "
                                 "https://HOST:PORT (--route http; with --control-url and "
                                 "--registry).")
@click.option("--control-url", help="Its control API, http://HOST:PORT.")
@click.option("--registry", "registry_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Its registry.yaml with the sending party's keys.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Data directory of the in-process endpoint (test PKI, journal); default: "
                   "OUT/endpoint. Keep it to give your sender the same keys every run.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="AMQPS port of the in-process endpoint (0: any free port).")
@click.option("--http-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="HTTP API port of the in-process endpoint with --route http (0: any free "
                   "port).")
@click.option("--manual-wait", type=click.FloatRange(1), default=300.0, show_default=True,
              help="Manual mode: seconds to wait for each message to arrive.")
@click.option("--max-time", type=click.FloatRange(10), default=600.0, show_default=True,
              help="Cap on the whole run (seconds): runs not started by then are not executed "
                   "and their cases are not judged (the run fails, saying so).")
@click.option("-v", "--verbose", is_flag=True, help="Show what the harness does, step by step.")
@click.pass_context
def certify(ctx: click.Context, sender_cmd: str | None, route: str, manual: bool,
            case_patterns: tuple[str, ...], out_dir: Path, timeout: float, seed: int,
            from_her_id: int, to_her_id: int | None, harness_key: Path | None,
            harness_cert: Path | None, harness_passphrase_fd: int | None,
            amqp_url: str | None, http_url: str | None, control_url: str | None,
            registry_file: Path | None, data_dir: Path | None, port: int, http_port: int,
            manual_wait: float, max_time: float, verbose: bool) -> None:
    """Certify a sender: run the conformance suite and write the evidence.

    Exit codes: 0 passed (warnings allowed), 1 the sender failed a shall-case, 2 usage error,
    3 the harness could not run or could not judge a case.
    """
    if ctx.invoked_subcommand is not None:
        return
    from mockkpr.conformance.cases import CATALOGUE, select
    from mockkpr.conformance.harness import GRACE, Harness
    from mockkpr.conformance.manual import LineReader, ManualSender
    from mockkpr.conformance.senders import command_sender, scrubbed_environment

    if (sender_cmd is None) == (not manual):
        raise click.UsageError("give --sender-cmd COMMAND, or --manual (not both)")
    if sender_cmd is not None:
        check_template(sender_cmd, route)
    if manual and route == "http":
        raise click.UsageError("--manual is for the AMQP route; on the HTTP route give "
                               "--sender-cmd")
    url_option = "--http-url" if route == "http" else "--amqp-url"
    external = [http_url if route == "http" else amqp_url, control_url, registry_file]
    if any(v is not None for v in (amqp_url, http_url, control_url, registry_file)) \
            and not all(v is not None for v in external):
        raise click.UsageError(f"an endpoint already running needs {url_option}, "
                               "--control-url and --registry together")
    if (harness_key is None) != (harness_cert is None):
        raise click.UsageError("--harness-key and --harness-cert go together")
    cases = select([p for item in case_patterns for p in item.split(",")], route)
    settings = load_settings(log_level=None if verbose else "WARNING")
    configure(settings)
    out_dir = out_dir.resolve()  # the sender command runs in another working directory
    target = Target(amqp_url, control_url, registry_file.resolve() if registry_file else None,
                    (data_dir or out_dir / "endpoint").resolve(), port, route=route,
                    http_url=http_url, http_port=http_port)
    # the key is opened before any sender runs, and never where the sender can look
    identity = _identity(harness_key, harness_cert, harness_passphrase_fd,
                         [out_dir, target.data_dir] + ([target.registry_file.parent]
                                                        if target.registry_file else []))
    with _driver(settings, target) as driver:
        if manual:
            waiting = ManualSender(driver, click.echo, LineReader(sys.stdin),
                                   arrival_timeout=manual_wait)
            sender: Sender = waiting
            mode, name, grace = "manual", "a person (manual mode)", waiting.limit(timeout) + 10
        else:
            assert sender_cmd is not None
            sender = command_sender(sender_cmd, env=scrubbed_environment(os.environ))
            mode, name, grace = "command", sender_cmd, GRACE
        harness = Harness(driver, sender, out_dir / "work", from_her_id=from_her_id,
                          to_her_id=to_her_id or settings.kpr_her_id, seed=seed,
                          timeout=timeout, grace=grace, sender_name=name, mode=mode,
                          progress=_progress(verbose or manual), max_time=max_time)
        click.echo(f"mockkpr certify: {len(cases)} of {len(CATALOGUE)} cases (route {route});"
                   f" sender {name}; {driver.description}")
        click.echo(f"Kind of run: {identity.attestation.value}, evidence signed by "
                   f"{identity.fingerprint}")
        certification = harness.certify(cases)
        write_outputs(certification, identity, out_dir)
    sys.exit(certification.exit_code)


@dataclass(frozen=True)
class Target:
    """Which endpoint: one already running (all three set), or an in-process one."""

    amqp_url: str | None
    control_url: str | None
    registry_file: Path | None
    data_dir: Path
    port: int
    route: str = "amqp"
    http_url: str | None = None
    http_port: int = 0


def _progress(verbose: bool) -> Callable[[str], None]:
    def progress(line: str) -> None:
        if verbose or not line.startswith("  "):
            click.echo(line)

    return progress


@contextmanager
def _driver(settings: Settings, target: Target) -> Iterator[Driver]:
    from mockkpr.conformance.drivers import ControlDriver, InProcessDriver
    from mockkpr.endpoint.app import Endpoint

    if target.control_url and target.registry_file and (target.amqp_url or target.http_url):
        yield ControlDriver(target.amqp_url or "", target.control_url, target.registry_file,
                            target.http_url, control_token=settings.control_token)
        return
    local = settings.model_copy(update={
        "data_dir": target.data_dir, "amqps_port": target.port, "amqp_port": None,
        "control_port": 0, "control_host": "127.0.0.1", "scenario": None, "registry": None,
        "database_url": None,
        "http_port": target.http_port if target.route == "http" else None})
    with Endpoint(local) as endpoint:
        yield InProcessDriver(endpoint)


def _identity(key: Path | None, cert: Path | None, passphrase_fd: int | None,
              reachable: list[Path]) -> Identity:
    """The certifying body's key (certification run) or a key made for this run."""
    from mockkpr.conformance import signing

    if key is None or cert is None:
        return signing.ephemeral()
    found = signing.inside(key, reachable)
    if found is not None:
        raise ConfigError(f"--harness-key {key} lies in {found}, which the sender command is "
                          "given: keep the certifying body's key elsewhere")
    return signing.from_files(key, cert, _passphrase(passphrase_fd))


def _passphrase(fd: int | None) -> bytes | None:
    if fd is not None:
        try:
            with os.fdopen(fd, "rb", closefd=True) as stream:
                return stream.read().rstrip(b"\r\n") or None
        except OSError as exc:
            raise ConfigError(f"--harness-passphrase-fd {fd}: cannot be read ({exc.strerror})"
                              ) from None
    if sys.stdin.isatty():
        return click.prompt("Passphrase of --harness-key", hide_input=True).encode()
    return None


def write_outputs(certification: Certification, identity: Identity, out_dir: Path) -> None:
    """Write the four outputs into ``out_dir`` and print the verdict."""
    from mockkpr.conformance import report_html, report_json, report_junit
    from mockkpr.conformance.bundle import signer_info, write_bundle
    from mockkpr.conformance.coverage import of_certification
    from mockkpr.conformance.model import Status
    from mockkpr.conformance.rootcause import early_failures, root_causes

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "junit.xml").write_bytes(report_junit.render(certification))
    (out_dir / "summary.json").write_text(report_json.render(certification), "utf-8")
    (out_dir / "report.html").write_text(
        report_html.render(certification, signer=signer_info(identity)), "utf-8")
    bundle = write_bundle(certification, identity, out_dir / "evidence.zip")
    counts = certification.counts()
    verdict = {0: "PASSED", 1: "FAILED"}.get(certification.exit_code,
                                             "NOT JUDGED (the harness could not judge a case)")
    click.echo(f"\n{verdict}: {counts['pass']} passed, {counts['fail']} failed, "
               f"{counts['warn']} warnings, {counts['not-judged']} not judged, "
               f"{counts['error']} harness errors "
               f"(exit {certification.exit_code}, {certification.seconds:.1f} s)")
    if certification.capped:
        click.echo(f"The whole run reached its time cap of {certification.max_time:g} s "
                   "(--max-time): later runs were not executed, their cases are not judged.")
    for one in early_failures(certification):
        click.echo(f"Nothing arrived from {one.document} (run {one.run}): the sender "
                   f"{one.sender}"[:900])
    causes = root_causes(certification)
    if causes:
        click.echo("Root causes (by the first requirement each send failed):")
    for cause in causes:
        answers = sorted({a.split(": ", 1)[-1] for one in cause.sends for a in one.answers})
        click.echo(f"  {cause.requirement}: {len(cause.failed)} failed "
                   f"({', '.join(cause.failed) or '-'}), {len(cause.not_judged)} not judged"
                   + (f"; the endpoint answered: {' | '.join(answers)}"[:600] if answers
                      else ""))
    for result in certification.results:
        if result.status in (Status.FAIL, Status.WARN, Status.NOT_JUDGED, Status.ERROR):
            first = next((c for c in result.checks if c.passed is False), None) or next(
                (c for c in result.checks if not c.passed), None)
            why = f" - {first.name}: expected {first.expected}; actual {first.actual}" \
                if first else ""
            click.echo(f"  {result.status.value.upper():5} {result.case.id} "
                       f"{result.case.title}{why}"[:400])
    covered = of_certification(certification)
    click.echo("Coverage: " + "; ".join(f"{p.name} {len(p.seen)} exercised, {len(p.never)} never"
                                        for p in covered.parts) + " (report.html, summary.json)")
    click.echo(f"Outputs: {', '.join(str(out_dir / name) for name in OUTPUTS)}")
    click.echo(f"Evidence signed by {identity.certificate.subject.rfc4514_string()} "
               f"({identity.origin}), SHA-256 fingerprint {identity.fingerprint}")
    if identity.attestation.value == "certification":
        click.echo(f"Check it: mockkpr certify verify {bundle} --fingerprint "
                   f"{identity.fingerprint}")
    else:
        click.echo("Self-attested: the signature shows the files are as this run wrote them, "
                   "to whoever trusts this machine's word for the fingerprint above. Check it: "
                   f"mockkpr certify verify {bundle} --fingerprint {identity.fingerprint}")


@certify.command("verify")
@click.argument("bundle", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--fingerprint", help="Require this SHA-256 fingerprint of the signer: the "
                                    "certifying body's published certificate.")
@click.option("--self-attested", is_flag=True,
              help="Check a bundle without a pinned signer: proves only that the files are "
                   "as its (unknown) signer wrote them.")
def verify(bundle: Path, fingerprint: str | None, self_attested: bool) -> None:
    """Check an evidence bundle offline: signer, signature, every file's hash, suite digest.

    Exit codes: 0 intact, 1 tampered or not signed as required, 2 not a bundle or no
    --fingerprint (without --self-attested).
    """
    from mockkpr.conformance.bundle import verify_bundle

    if fingerprint is None and not self_attested:
        click.echo("mockkpr certify verify: give --fingerprint (the certifying body's "
                   "certificate): without a pinned signer anyone can re-sign a bundle. "
                   "--self-attested checks it without one.", err=True)
        sys.exit(EXIT_USAGE)

    try:
        result = verify_bundle(bundle, pin=fingerprint)
    except InputError as exc:
        click.echo(f"mockkpr certify verify: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    signer = result.signer.subject.rfc4514_string() if result.signer else "(unverified)"
    click.echo(f"Bundle {bundle}: {result.files} files, made by mockkpr {result.tool_version} "
               f"at {result.created_at}")
    click.echo(f"Signed by {signer}, SHA-256 fingerprint {result.fingerprint or '(none)'}")
    which = ("the suite of this mockkpr" if result.current_suite
             else "not the suite of this mockkpr: judge it with the version that made it")
    click.echo(f"Suite {result.suite_digest} ({which})")
    counts = result.verdict.get("counts", {})
    click.echo(f"Recorded verdict: exit {result.verdict.get('exit_code')}, {counts}")
    click.echo(f"Kind of run (as the manifest says): {result.attestation or '(not stated)'}")
    if result.valid:
        click.echo("OK: the signature verifies and every file is as signed"
                   + (" by the pinned signer." if fingerprint else
                      "; SELF-ATTESTED: no signer pinned, so this proves only that nothing "
                      "changed since whoever signed it signed it."))
        sys.exit(0)
    click.echo(f"INVALID: {len(result.problems)} problem(s):", err=True)
    for problem in result.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@certify.command("list")
def list_cases() -> None:
    """List the cases of the catalogue (id, level, group, title)."""
    from mockkpr.conformance.cases import CATALOGUE

    for case in CATALOGUE:
        click.echo(f"{case.id}  {case.level.value:6}  {case.group.value:11}  {case.title}")
