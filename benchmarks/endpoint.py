"""Benchmarks of the embedded KPR endpoint (``mockkpr serve``), with RabbitMQ as reference.

Run from the repository root::

    PYTHONPATH=. python benchmarks/endpoint.py [--pilot-sends 50] [--no-rabbitmq]

Measures, against ``mockkpr serve`` running as its own process on this machine:

- **start-up**: process start to ``/readyz`` answering 200, first start (creates the test PKI)
  and warm starts (median of several);
- **pilot round trip**: the reference sender (``KprClient``, TLS + PLAIN) sending a 1 MB
  annual IPLOS file, wrapped, signed and encrypted, until its AppRec is decrypted and verified
  (what ``mockkpr send`` does); median and p99;
- **throughput**: messages per second for 1 KB (identity message) and 100 KB (annual file)
  documents, encrypted beforehand, sent pipelined over TLS by one and by ten connections,
  from the first send until the last AppRec has arrived (every message decrypted, verified,
  validated, journaled and answered with a signed and encrypted AppRec);
- **RabbitMQ reference** (when ``rabbitmq-server`` is installed): the same client sending the
  same encrypted bodies through RabbitMQ 3 (AMQP 1.0 plugin, TLS) to a queue and receiving
  them back: the transport alone, with no processing.

The throughput cases also record the **server's CPU per answered message** (user + system time
of the ``mockkpr serve`` process and its children, read from ``/proc``, over the run, divided
by the messages answered) beside the **RSA work** a message needs at least, measured in the
same run with the endpoint's own keys (decrypting the content key, signing the AppRec), and
their ratio.

``--only throughput`` skips start-up, pilot and RabbitMQ (a short run for before/after
comparisons); ``--processes N`` sets ``MOCKKPR_PROCESSES`` for the served endpoint,
``--cpus 0`` pins it (``taskset``) to the listed CPUs and ``--client-cpus 0`` the senders
(this process): ``--cpus 0 --client-cpus 0`` is the whole test on one core.

Writes ``benchmarks/results/endpoint.json`` (``--out`` elsewhere) and prints it. Timing
figures depend on the machine and its load; the load average is recorded with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from proton import Message, SSLDomain
from proton.handlers import MessagingHandler
from proton.reactor import Container

from mockkpr import __version__
from mockkpr.client import KprClient
from mockkpr.endpoint import tls
from mockkpr.registry import Registry, load_registry

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "endpoint.json"
IDENTITY = (ROOT / "fixtures" / "valid" / "kpr-ide-1.xml").read_bytes()
ANNUAL = (ROOT / "fixtures" / "valid" / "iplos-2019.xml").read_text(encoding="utf-8")
KPR, OSLO, BERGEN = 131725, 12345, 23456
# Debian's /usr/sbin wrappers switch to the rabbitmq user and drop the environment that
# points the node at its private directories and ports; the real scripts live here.
RABBITMQ_BIN = "/usr/lib/rabbitmq/bin"
#: A throughput run that has not had every answer by then fails (--run-timeout).
RUN_TIMEOUT_S = 600.0


# ------------------------------------------------------------------ documents
def annual_document(size: int) -> bytes:
    """A valid annual 2019 file of at least ``size`` bytes: the fixture's persons repeated
    with their ids shifted (copy k adds k * 10000 to every person and row id)."""
    head, rest = ANNUAL.split("<PERSON ", 1)
    persons = re.sub(r"<!--.*?-->", "", "<PERSON " + rest.rsplit("</IPLOS>", 1)[0], flags=re.S)

    def shifted(k: int) -> str:
        return re.sub(r'(\w+ID)="(\d+)"', lambda m: m.group(0) if m.group(1) in (
            "tjVeID", "tjVeNrID") else f'{m.group(1)}="{int(m.group(2)) + k * 10000}"', persons)

    parts, length, k = [head], len(head), 0
    while length < size:
        copy = shifted(k)
        parts.append(copy)
        length += len(copy)
        k += 1
    parts.append("</IPLOS>\n")
    return "".join(parts).encode()


# ------------------------------------------------------------------ mockkpr serve
@dataclass
class Served:
    """A running ``mockkpr serve`` process."""

    process: subprocess.Popen[bytes]
    amqps: str
    control: str
    ready_seconds: float


def serve(data_dir: Path, env: dict[str, str] | None = None,
          cpus: str | None = None) -> Served:
    """Start ``python -m mockkpr serve`` on free ports; return once ``/readyz`` says 200.

    ``env`` adds variables (``MOCKKPR_PROCESSES``...); ``cpus`` pins it with ``taskset``."""
    log = data_dir.parent / f"{data_dir.name}.log"
    started = time.perf_counter()
    pin = ["taskset", "-c", cpus] if cpus else []
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*pin, sys.executable, "-m", "mockkpr", "serve", "--data-dir", str(data_dir),
             "--port", "0", "--control-port", "0"],
            stdout=output, stderr=output,
            env={**os.environ, "MOCKKPR_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
                 **(env or {})})
    amqps = control = None
    while amqps is None or control is None:
        if process.poll() is not None:
            raise RuntimeError(f"mockkpr serve ended: {log.read_text()[-2000:]}")
        text = log.read_text()
        amqps = (m := re.search(r"listening on (amqps://\S+)", text)) and m.group(1)
        control = (m := re.search(r"control API (http://\S+)", text)) and m.group(1)
        time.sleep(0.002)
    while True:
        try:
            if httpx.get(f"{control}/readyz", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.002)
    return Served(process, amqps, control, time.perf_counter() - started)


def stop(served: Served) -> None:
    served.process.terminate()
    served.process.wait(30)


def startup(work: Path, warm_runs: int) -> dict[str, Any]:
    data = work / "startup"
    cold = serve(data)
    stop(cold)
    warm = []
    for _ in range(warm_runs):
        served = serve(data)
        warm.append(served.ready_seconds)
        stop(served)
    return {"cold_with_pki_creation_s": round(cold.ready_seconds, 3),
            "warm_median_s": round(statistics.median(warm), 3),
            "warm_runs_s": [round(w, 3) for w in warm]}


# ------------------------------------------------------------------ pilot round trip
def pilot(served: Served, registry: Registry, sends: int) -> dict[str, Any]:
    document = annual_document(1_000_000)
    times = []
    with KprClient(f"{served.amqps}/NHNTESTServiceBus", registry, BERGEN) as client:
        client.send_and_wait(document, timeout=120)  # warm-up (schemas, connections)
        for _ in range(sends):
            started = time.perf_counter()
            answer = client.send_and_wait(document, timeout=120)
            times.append(time.perf_counter() - started)
            if answer.kind != "apprec" or answer.status is None or answer.status.value != "1":
                raise RuntimeError(f"pilot send not accepted: {answer}")
    ordered = sorted(times)
    return {"document_bytes": len(document), "sends": sends,
            "median_s": round(statistics.median(times), 4),
            "p99_s": round(ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))], 4),
            "mean_s": round(statistics.fmean(times), 4),
            "min_s": round(ordered[0], 4), "max_s": round(ordered[-1], 4)}


# ------------------------------------------------------------------ CPU and RSA
_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a process, from /proc/<pid>/stat."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and every live descendant (worker processes), plus what its
    ended children were charged (cutime, cstime are in the parent's figure only when waited
    for; live workers are counted directly)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _stat(entry.name)) is not None:
            stats[int(entry.name)] = found
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0.0))[1]
        todo.extend(child for child, (parent, _) in stats.items() if parent == current)
    return total


def rsa_work(registry: Registry, rounds: int = 300) -> dict[str, float]:
    """CPU milliseconds of the RSA-2048 operations a 1 KB message needs at least, with the
    endpoint's own keys: decrypt the content key (PKCS#1 v1.5) and sign the AppRec (SHA-256,
    PKCS#1 v1.5). Best of three rounds of ``rounds`` each."""
    kpr = registry.party(KPR)
    certificate, key = kpr.own_keys()[0]
    assert kpr.signing is not None
    signing = kpr.signing.key
    wrapped = certificate.public_key().encrypt(os.urandom(32), padding.PKCS1v15())  # type: ignore[union-attr]
    document = IDENTITY

    def per_op(action: Any) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            for _ in range(rounds):
                action()
            best = min(best, (time.process_time() - started) / rounds)
        return best * 1000

    decrypt_ms = per_op(lambda: key.decrypt(wrapped, padding.PKCS1v15()))
    sign_ms = per_op(lambda: signing.sign(document, padding.PKCS1v15(), hashes.SHA256()))
    return {"decrypt_ms": round(decrypt_ms, 3), "sign_ms": round(sign_ms, 3),
            "total_ms": round(decrypt_ms + sign_ms, 3)}


def _py_spy(served: Served, out: Path) -> subprocess.Popen[bytes]:
    """py-spy recording the endpoint and its worker processes until interrupted."""
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
               str(served.process.pid), "--subprocesses", "--rate", "250", "--output",
               str(out), *(["--format", "raw"] if out.suffix != ".svg" else [])]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1)  # attached before the load starts
    return process


# ------------------------------------------------------------------ throughput
class _Sender(MessagingHandler):
    """One connection: sends its messages pipelined and receives answers for the load."""

    def __init__(self, load: _Load, messages: list[Message], user: str, password: str) -> None:
        super().__init__(prefetch=100, auto_accept=True)
        self.load, self.messages = load, messages
        self.user, self.password = user, password

    def on_connection_opened(self, event: Any) -> None:
        event.container.create_receiver(event.connection, self.load.source)
        event.container.create_sender(event.connection, self.load.target)

    def on_sendable(self, event: Any) -> None:
        if self.load.started is None:
            self.load.started = time.perf_counter()
        while self.messages and event.sender.credit:
            event.sender.send(self.messages.pop(0))

    def on_message(self, event: Any) -> None:
        self.load.answered(str(event.message.correlation_id))

    def on_transport_error(self, event: Any) -> None:
        condition = event.transport.condition
        self.load.errors.append(condition.name if condition else "transport error")


class _Load(MessagingHandler):
    """``senders`` connections share the messages; done when each has its answer."""

    timeout = RUN_TIMEOUT_S

    def __init__(self, url: str, domain: SSLDomain | None, user: str, password: str,
                 target: str, source: str, messages: list[Message], senders: int) -> None:
        super().__init__()
        self.url, self.domain, self.target, self.source = url, domain, target, source
        self.expected = {str(m.correlation_id) for m in messages}
        self.shares = [messages[i::senders] for i in range(senders)]
        self.user, self.password = user, password
        self.seen: set[str] = set()
        self.started: float | None = None
        self.finished: float | None = None
        self.errors: list[str] = []
        self.connections: list[Any] = []
        self.container: Any = None
        self.timer: Any = None

    def on_start(self, event: Any) -> None:
        self.container = event.container
        self.timer = event.container.schedule(self.timeout, self)
        for share in self.shares:
            self.connections.append(event.container.connect(
                self.url, ssl_domain=self.domain, user=self.user, password=self.password,
                allowed_mechs="PLAIN", reconnect=False,
                handler=_Sender(self, share, self.user, self.password)))

    def answered(self, correlation_id: str) -> None:
        if correlation_id in self.expected:
            self.seen.add(correlation_id)
            if self.seen == self.expected:
                self.finished = time.perf_counter()
                self.timer.cancel()  # a pending timer would keep the container running
                for connection in self.connections:
                    connection.close()

    def on_timer_task(self, event: Any) -> None:
        self.errors.append("timeout")
        event.container.stop()

    def run(self) -> float:
        Container(self).run()
        if self.finished is None or self.started is None:
            raise RuntimeError(f"load run incomplete: {len(self.seen)}/{len(self.expected)} "
                               f"answers, errors {self.errors}")
        return len(self.expected) / (self.finished - self.started)


def protected(client: KprClient, document: bytes, count: int) -> list[Message]:
    """``count`` messages carrying ``document`` wrapped, signed and encrypted (own MsgIds)."""
    messages = []
    for _ in range(count):
        xml, _, function = client.envelope(document)
        _, [message] = client.messages_for(client.protect(xml), subject=function)
        messages.append(message)
    return messages


def _size(message: Message) -> int:
    body = message.body
    return len(body) if isinstance(body, bytes) else 0


def throughput(url: str, domain: SSLDomain, user: str, password: str, target: str,
               source: str, messages: list[Message], senders: int) -> float:
    return _Load(url, domain, user, password, target, source, messages, senders).run()


def _rates(label: str, senders: int, rates: list[float],
           cpu_ms: list[float] | None = None, rsa_ms: float | None = None) -> dict[str, Any]:
    """The median rate of a case (and every run), with the server's CPU per message and its
    ratio to the RSA work where measured; printed as it is measured."""
    key = f"{label.split()[1]}_{senders}_senders"
    median = round(statistics.median(rates), 1)
    shown: dict[str, Any] = {f"{label} x{senders}": median, "runs": [round(r, 1) for r in rates]}
    found: dict[str, Any] = {f"{key}_msg_per_s": median,
                             f"{key}_msg_per_s_runs": [round(r, 1) for r in rates]}
    if cpu_ms is not None:
        cpu = round(statistics.median(cpu_ms), 3)
        found[f"{key}_server_cpu_ms_per_msg"] = cpu
        found[f"{key}_server_cpu_ms_per_msg_runs"] = [round(c, 3) for c in cpu_ms]
        shown["server_cpu_ms_per_msg"] = cpu
        if rsa_ms:
            found[f"{key}_cpu_to_rsa"] = shown["cpu_to_rsa"] = round(cpu / rsa_ms, 2)
            shown["rsa_ms"] = rsa_ms
    print(json.dumps(shown), flush=True)
    return found


# ------------------------------------------------------------------ RabbitMQ reference
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def rabbitmq(work: Path, registry: Registry) -> Iterator[tuple[str, str, str]]:
    """A private RabbitMQ with the AMQP 1.0 plugin and TLS (amqp-engineering.md's recipe);
    yields (amqps URL, user, password)."""
    base = work / "rabbitmq"
    for sub in ("mnesia", "log", "home"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    assert registry.tls is not None
    port, tls_port, dist_port, epmd_port = (_free_port() for _ in range(4))
    (base / "rabbitmq.conf").write_text(
        f"listeners.tcp.1 = 127.0.0.1:{port}\n"
        f"listeners.ssl.1 = 127.0.0.1:{tls_port}\n"
        f"ssl_options.certfile = {registry.tls.certificate}\n"
        f"ssl_options.keyfile = {registry.tls.key}\n"
        "ssl_options.verify = verify_none\n"
        "ssl_options.fail_if_no_peer_cert = false\n"
        "default_user = bench\ndefault_pass = bench-secret\nloopback_users = none\n")
    node = f"bench{os.getpid()}@localhost"
    env = {**os.environ, "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
           "RABBITMQ_PID_FILE": str(base / "pid"),
           "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
           "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
           "HOME": str(base / "home"), "RABBITMQ_NODENAME": node,
           "RABBITMQ_DIST_PORT": str(dist_port), "ERL_EPMD_PORT": str(epmd_port),
           "ERL_EPMD_ADDRESS": "127.0.0.1"}
    subprocess.run([f"{RABBITMQ_BIN}/rabbitmq-plugins", "enable", "--offline",
                    "rabbitmq_amqp1_0"], env=env, check=True, capture_output=True, timeout=60)
    process = subprocess.Popen(["setsid", f"{RABBITMQ_BIN}/rabbitmq-server"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run([f"{RABBITMQ_BIN}/rabbitmqctl", "-n", node, "wait", str(base / "pid"),
                        "--timeout", "90"], env=env, check=True, capture_output=True,
                       timeout=120)
        yield f"amqps://localhost:{tls_port}", "bench", "bench-secret"
    finally:
        subprocess.run([f"{RABBITMQ_BIN}/rabbitmqctl", "-n", node, "stop"], env=env,
                       capture_output=True, timeout=60, check=False)
        process.wait(30)
        _stop_epmd(epmd_port)


def _stop_epmd(port: int) -> None:
    """End the epmd our node started (it outlives ``rabbitmqctl stop``), found by the private
    port in its environment; never another one."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() != "epmd":
                continue
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"ERL_EPMD_PORT={port}".encode() in environ:
            os.kill(int(proc.name), signal.SIGTERM)


# ------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pilot-sends", type=int, default=50)
    parser.add_argument("--small", type=int, default=600, help="1 KB messages per run")
    parser.add_argument("--large", type=int, default=150, help="100 KB messages per run")
    parser.add_argument("--warm-starts", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3,
                        help="throughput runs per case (the median is reported)")
    parser.add_argument("--no-rabbitmq", action="store_true")
    parser.add_argument("--only", choices=("all", "throughput"), default="all",
                        help="throughput: the throughput cases alone (no start-up, pilot, "
                             "RabbitMQ)")
    parser.add_argument("--sizes", default="1kb,100kb", help="throughput documents: 1kb,100kb")
    parser.add_argument("--senders", default="1,10", help="connections per case")
    parser.add_argument("--processes", type=int, default=None,
                        help="MOCKKPR_PROCESSES of the served endpoint")
    parser.add_argument("--workers", type=int, default=None,
                        help="MOCKKPR_WORKERS of the served endpoint")
    parser.add_argument("--cpus", default=None, help="pin the endpoint to these CPUs (taskset)")
    parser.add_argument("--client-cpus", default=None,
                        help="pin this benchmark (the senders) to these CPUs, e.g. 0")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--run-timeout", type=float, default=RUN_TIMEOUT_S,
                        help="seconds a throughput run may take before it fails")
    parser.add_argument("--profile", type=Path, default=None,
                        help="record the endpoint with py-spy during the throughput runs "
                             "into this file (raw format: one line per stack with its count; "
                             "an .svg name gives a flame graph); figures are then not clean")
    args = parser.parse_args()
    serve_env = {**({"MOCKKPR_PROCESSES": str(args.processes)} if args.processes is not None
                    else {}),
                 **({"MOCKKPR_WORKERS": str(args.workers)} if args.workers is not None else {})}
    _Load.timeout = args.run_timeout
    if args.client_cpus is not None:
        os.sched_setaffinity(0, {int(c) for c in args.client_cpus.split(",")})
    sizes = args.sizes.split(",")
    crowds = [int(n) for n in args.senders.split(",")]

    results: dict[str, Any] = {
        "mockkpr_version": __version__, "python": platform.python_version(),
        "cpus": os.cpu_count(), "load_average_before": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "endpoint_env": serve_env, "endpoint_cpus": args.cpus,
        "client_cpus": args.client_cpus,
    }
    with tempfile.TemporaryDirectory(prefix="mockkpr-bench-") as tmp:
        work = Path(tmp)
        full = args.only == "all"
        if full:
            results["startup"] = startup(work, args.warm_starts)
            print(json.dumps({"startup": results["startup"]}), flush=True)
        served = serve(work / "endpoint", serve_env, args.cpus)
        spy: subprocess.Popen[bytes] | None = None
        try:
            registry = load_registry(work / "endpoint" / "pki" / "registry.yaml")
            if full:
                results["pilot_round_trip_1mb"] = pilot(served, registry, args.pilot_sends)
                print(json.dumps({"pilot": results["pilot_round_trip_1mb"]}), flush=True)
            rsa = rsa_work(registry)
            results["rsa_work_ms_per_message"] = rsa
            print(json.dumps({"rsa_work_ms_per_message": rsa}), flush=True)
            domain = tls.client_domain(registry.ca_path)
            oslo = KprClient(served.amqps, registry, OSLO)
            bergen = KprClient(served.amqps, registry, BERGEN)
            small = protected(oslo, IDENTITY, args.small)
            large = protected(bergen, annual_document(100_000), args.large) \
                if "100kb" in sizes else []
            runs: dict[str, Any] = {}
            if args.profile is not None:
                spy = _py_spy(served, args.profile)
            for label, her_id, messages in (("1kb", OSLO, small), ("100kb", BERGEN, large)):
                if label not in sizes:
                    continue
                account = registry.party(her_id).sasl
                assert account is not None
                for senders in crowds:
                    rates, cpu_ms, client_ms = [], [], []
                    for run in range(args.repeat):
                        for message in messages:  # new ids: not duplicates of the last run
                            message.id = message.correlation_id = \
                                f"{label}-{senders}-{run}-{message.id!s}"
                        cpu_before = tree_cpu(served.process.pid)
                        client_before = time.process_time()
                        rates.append(throughput(
                            served.amqps, domain, account.user, account.password,
                            f"/exchange/NHNTESTServiceBus/{KPR}_async",
                            f"/amq/queue/{her_id}_async", messages, senders))
                        cpu_after = tree_cpu(served.process.pid)
                        client_ms.append((time.process_time() - client_before) * 1000
                                         / len(messages))
                        cpu_ms.append((cpu_after - cpu_before) * 1000 / len(messages))
                    runs.update(_rates(f"mockkpr {label}", senders, rates, cpu_ms,
                                       rsa["total_ms"] if label == "1kb" else None))
                    runs[f"{label}_{senders}_senders_client_cpu_ms_per_msg"] = round(
                        statistics.median(client_ms), 3)
            results["throughput"] = {
                "documents": {"1kb": len(IDENTITY), "100kb": len(annual_document(100_000))},
                "messages": {"1kb": len(small), "100kb": len(large)},
                "protected_bytes": {"1kb": _size(small[0]),
                                    "100kb": _size(large[0]) if large else None},
                "transport": "TLS + SASL PLAIN, pipelined, answers on the sender's queue",
                "runs_per_case": args.repeat,
                **runs}
        except Exception:
            log = work / "endpoint.log"
            if log.exists():  # what the endpoint said, before the directory goes
                print(log.read_text(errors="replace")[-6000:], file=sys.stderr)
            raise
        finally:
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                spy.wait(60)
            stop(served)

        if not full:
            pass
        elif args.no_rabbitmq or not Path(RABBITMQ_BIN, "rabbitmq-server").exists():
            results["rabbitmq_reference"] = {"skipped": "rabbitmq-server not run"}
        else:
            reference: dict[str, Any] = {}
            with rabbitmq(work, registry) as (url, user, password):
                version = subprocess.run(["dpkg-query", "-W", "-f=${Version}",
                                          "rabbitmq-server"], capture_output=True, text=True,
                                         check=False).stdout
                reference["rabbitmq"] = version or "unknown"
                domain = tls.client_domain(None)
                for label, messages in (("1kb", small), ("100kb", large)):
                    for senders in (1, 10):
                        queue = f"/queue/bench-{label}-{senders}"
                        rates = [throughput(url, domain, user, password, queue, queue,
                                            messages, senders) for _ in range(args.repeat)]
                        reference.update(_rates(f"rabbitmq {label}", senders, rates))
            reference["what"] = ("the same client and encrypted bodies through RabbitMQ "
                                 "(AMQP 1.0 plugin, TLS) to a queue and back: transport only, "
                                 "no decryption, validation or answer")
            results["rabbitmq_reference"] = reference
    results["load_average_after"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
