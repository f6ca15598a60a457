"""The servers under test, each a real process: Mentori and the bare baseline (uvicorn), and
PostGraphile (Node), with the CPU time each spends and the database spends for it."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.settings import Settings

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
def server_process(
    name: str,
    argv: list[str],
    env: dict[str, str],
    *,
    ready_path: str,
    cwd: Path = ROOT,
    timeout: float = 60.0,
) -> Iterator[Server]:
    """One server process on a free loopback port (`{port}` in argv), its output in a log;
    yielded once `ready_path` answers 200, stopped on exit."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [arg.replace("{port}", str(port)) for arg in argv],
                cwd=cwd,
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


def uvicorn_process(
    name: str,
    app: str,
    env: dict[str, str],
    *,
    ready_path: str,
    tree: Path = ROOT,
    timeout: float = 60.0,
) -> AbstractContextManager[Server]:
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
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
    ]
    return server_process(name, argv, env, ready_path=ready_path, cwd=tree, timeout=timeout)


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


def postgraphile(dsn: str, settings: Settings) -> AbstractContextManager[Server]:
    """PostGraphile in one Node process (bench/postgraphile/server.js), once `npm ci` has
    installed it and bench/postgraphile_peer.py has created the search in the database. It
    verifies the students' tokens as Mentori does, with Mentori's secret."""
    folder = ROOT / "bench" / "postgraphile"
    return server_process(
        "postgraphile",
        ["node", str(folder / "server.js"), "{port}"],
        {
            "BENCH_DATABASE_URL": dsn,
            "BENCH_JWT_SECRET": settings.jwt_secret,
            "BENCH_JWT_ISSUER": settings.jwt_issuer,
            "BENCH_JWT_AUDIENCE": settings.jwt_audience,
            "NODE_ENV": "production",
        },
        ready_path="/healthz",
        cwd=folder,
    )


class DatabaseCpu:
    """CPU time of the PostgreSQL backends serving one database (their process titles name it;
    the server must be on this machine), looked at every `every` seconds from a thread: a
    backend that exits between two looks loses at most what it used since the last one."""

    def __init__(self, database: str, every: float = 0.2) -> None:
        self._needle = f" {database} ".encode()
        self._every = every
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="database-cpu", daemon=True)

    def _backends(self) -> dict[int, float]:
        found: dict[int, float] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                title = Path(entry.path, "cmdline").read_bytes()
                if title.startswith(b"postgres: ") and self._needle in title:
                    found[int(entry.name)] = cpu_seconds(int(entry.name))
            except OSError:
                continue  # gone meanwhile
        return found

    def _watch(self) -> None:
        while not self._stop.wait(self._every):
            self._last.update(self._backends())

    def __enter__(self) -> DatabaseCpu:
        self._first = self._backends()
        self._last = dict(self._first)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._last.update(self._backends())

    @property
    def seconds(self) -> float:
        return sum(cpu - self._first.get(pid, 0.0) for pid, cpu in self._last.items())

    @property
    def backends(self) -> int:
        """How many backends did some work: many more than the server's pool holds means
        connections were opened and closed, and some of their time was missed."""
        return sum(1 for pid, cpu in self._last.items() if cpu > self._first.get(pid, 0.0))
