"""A private RabbitMQ node from Debian's ``rabbitmq-server`` package, for tests and benchmarks.

The node gets its own configuration, database, log and cookie directory, listens on loopback
only on free (non-default) ports, has the ``rabbitmq_amqp1_0`` plugin (AMQP 1.0 on the AMQP
ports) and ``rabbitmq_management`` (the HTTP API ``mockkpr broker setup`` creates users with)
enabled offline, and its own ``epmd`` on a private port, which :meth:`RabbitNode.stop` ends by
process id. Facts: /work/shared/reference/amqp-engineering.md, "RabbitMQ from Debian".

>>> node = RabbitNode.start(Path(tmp), tls=(cert, key, ca))   # doctest: +SKIP
>>> node.amqps_url("admin", "admin")                          # doctest: +SKIP
'amqps://admin:admin@localhost:40123'
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

#: Where Debian puts the scripts that do not switch to the ``rabbitmq`` user.
RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
ADMIN_USER = "mockkpr-admin"
ADMIN_PASSWORD = "admin-secret-for-tests"
PLUGINS = ("rabbitmq_amqp1_0", "rabbitmq_management")


def available() -> str | None:
    """None when a node can be started here, else the reason it cannot."""
    if not (RABBIT_BIN / "rabbitmq-server").exists():
        return "RabbitMQ is not installed (apt-get install rabbitmq-server; " \
               "scripts/setup.d/20-rabbitmq.sh does it)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RabbitNode:
    """A running node; ``env`` is what ``rabbitmqctl`` needs to reach it."""

    base: Path
    amqp_port: int
    amqps_port: int
    management_port: int
    epmd_port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    nodename: str
    stopped: bool = field(default=False)

    # ------------------------------------------------------------------ urls
    def amqp_url(self, user: str = ADMIN_USER, password: str = ADMIN_PASSWORD,
                 exchange: str = "NHNTESTServiceBus") -> str:
        return f"amqp://{quote(user)}:{quote(password)}@localhost:{self.amqp_port}/{exchange}"

    def amqps_url(self, user: str = ADMIN_USER, password: str = ADMIN_PASSWORD,
                  exchange: str = "NHNTESTServiceBus") -> str:
        return f"amqps://{quote(user)}:{quote(password)}@localhost:{self.amqps_port}/{exchange}"

    @property
    def management_url(self) -> str:
        return f"http://{ADMIN_USER}:{ADMIN_PASSWORD}@127.0.0.1:{self.management_port}"

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def start(cls, base: Path, *, tls: tuple[Path, Path, Path], timeout: float = 60,
              attempts: int = 2) -> RabbitNode:
        """Start a node in ``base`` with TLS files (certificate, key, CA) for ``localhost``.

        A failed start (a free port taken meanwhile by another process, say) is tried again
        with new ports; the last failure says what the node's log said.
        """
        for attempt in range(1, attempts + 1):
            try:
                return cls._start(base / f"node{attempt}", tls=tls, timeout=timeout)
            except RuntimeError:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _start(cls, base: Path, *, tls: tuple[Path, Path, Path], timeout: float) -> RabbitNode:
        base.mkdir(parents=True, exist_ok=True)
        amqp_port, amqps_port, management_port, epmd_port, dist_port = (
            free_port() for _ in range(5))
        certificate, key, ca = tls
        (base / "rabbitmq.conf").write_text("\n".join([
            "loopback_users = none",
            f"listeners.tcp.1 = 127.0.0.1:{amqp_port}",
            f"listeners.ssl.1 = 127.0.0.1:{amqps_port}",
            f"ssl_options.certfile = {certificate}",
            f"ssl_options.keyfile = {key}",
            f"ssl_options.cacertfile = {ca}",
            "ssl_options.verify = verify_none",
            "ssl_options.fail_if_no_peer_cert = false",
            f"default_user = {ADMIN_USER}",
            f"default_pass = {ADMIN_PASSWORD}",
            "default_user_tags.administrator = true",
            f"management.tcp.port = {management_port}",
            "management.tcp.ip = 127.0.0.1",
            "log.console = false",
            "log.file.level = info",
            "",
        ]))
        (base / "rabbitmq-env.conf").write_text("")
        home = base / "home"
        home.mkdir(exist_ok=True)
        nodename = f"mockkpr{os.getpid()}x{amqp_port}@localhost"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")},
            "HOME": str(home),
            "RABBITMQ_NODENAME": nodename,
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_PID_FILE": str(base / "rabbit.pid"),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(epmd_port),
        }
        subprocess.run([str(RABBIT_BIN / "rabbitmq-plugins"), "--offline", "enable", *PLUGINS],
                       env=env, check=True, capture_output=True)
        log = (base / "server.out").open("wb")
        process = subprocess.Popen([str(RABBIT_BIN / "rabbitmq-server")], env=env,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        node = cls(base, amqp_port, amqps_port, management_port, epmd_port, env, process,
                   nodename)
        try:
            # `wait` waits for the pid file (the node may not be registered yet), then startup
            node.ctl("wait", str(base / "rabbit.pid"), "--timeout", str(int(timeout)),
                     timeout=timeout + 5)
        except Exception as exc:
            logs = [*sorted((base / "log").glob("*.log")), base / "server.out"]
            tail = "".join(path.read_text(errors="replace")[-3000:] for path in logs
                           if path.exists())
            node.stop()
            raise RuntimeError(f"RabbitMQ did not start: {exc}\n--- its log:\n{tail}") from None
        return node

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """Run ``rabbitmqctl ARGS`` against this node; its standard output."""
        done = subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "-n", self.nodename, *args],
                              env=self.env, capture_output=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed ({done.returncode}): "
                               f"{done.stderr.decode(errors='replace')}"
                               f"{done.stdout.decode(errors='replace')}")
        return done.stdout.decode()

    def stop_app(self) -> None:
        """Stop the RabbitMQ application (listeners close, connections drop); the VM stays."""
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.ctl("await_startup")

    def stop(self) -> None:
        """Stop the node, then its ``epmd`` (by process id), then remove its files."""
        if self.stopped:
            return
        self.stopped = True
        try:
            if self.process.poll() is None:
                subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "-n", self.nodename, "stop"],
                               env=self.env, capture_output=True, timeout=60, check=False)
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        for pid in _epmd_pids(self.epmd_port):
            os.kill(pid, signal.SIGTERM)
        shutil.rmtree(self.base, ignore_errors=True)


def _epmd_pids(port: int) -> list[int]:
    """Process ids of the ``epmd`` serving ``port`` (the node started its own)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"epmd") and \
                f"ERL_EPMD_PORT={port}".encode() in environ:
            found.append(int(proc.name))
    return found


def wait_for(condition: object, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``condition()`` until it is true or ``timeout`` passes."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
