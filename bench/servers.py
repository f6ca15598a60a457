"""The servers under test, each a real uvicorn process: Mentori and the bare baseline."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# 10,000 sockets need more than the usual 1,024 descriptors, in every bench process.
WANTED_FILES = 65_536


def raise_open_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(WANTED_FILES, hard) if hard != resource.RLIM_INFINITY else WANTED_FILES
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS in /proc/<pid>/status), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(slots=True)
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _wait_ready(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited at start-up:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.http + path, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} was not ready within {timeout:.0f} s:\n{server.log_tail()}")


@contextmanager
def uvicorn_process(
    name: str,
    app: str,
    env: dict[str, str],
    *,
    ready_path: str,
    tree: Path = ROOT,
    timeout: float = 60.0,
) -> Iterator[Server]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    app,
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                    # As `mentori serve` runs it (app/cli.py): wsproto, no per-message compression.
                    "--ws",
                    "wsproto",
                    "--ws-per-message-deflate",
                    "false",
                    # Extra uvicorn options for both servers, to try settings side by side.
                    *os.environ.get("BENCH_UVICORN_ARGS", "").split(),
                ],
                cwd=tree,
                env={**os.environ, **env, "MAIL_DIR": str(Path(tmp) / "mail")},
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=raise_open_file_limit,
            )
        server = Server(name, port, process, log_path)
        try:
            _wait_ready(server, ready_path, timeout)
            yield server
        finally:
            stop(server)


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def mentori(
    database_url: str, *, broker_url: str = "memory://", tree: Path = ROOT
) -> AbstractContextManager[Server]:
    """Mentori from this source tree, or from another (`git archive` of an older commit, to
    measure before and after a change on the same machine)."""
    return uvicorn_process(
        "mentori",
        "app.main:create_app",
        {"DATABASE_URL": database_url, "BROKER_URL": broker_url, "PYTHONPATH": str(tree)},
        ready_path="/readyz",
        tree=tree,
    )


def baseline(dsn: str, programme_id: int) -> AbstractContextManager[Server]:
    return uvicorn_process(
        "baseline",
        "bench.baseline_server:create_app",
        {"BENCH_DSN": dsn, "BENCH_PROGRAMME_ID": str(programme_id)},
        ready_path="/healthz",
    )
