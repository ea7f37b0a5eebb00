"""End-to-end test fixtures: a real `sibyl` process, the real Python driver, real cqlsh.

The server binary comes from $SIBYL_BIN (default: target/debug/sibyl, as `make test` builds it).
Every server runs on a free port (it is started with port 0 and the port is read back from its
ready line) with its own temporary data and commitlog directories and `--commitlog-sync batch`,
so an acknowledged write is on disk.

Fixtures:
- `sibyl`: one server shared by the whole run (for tests that only need *a* server).
- `sibyl_factory`: starts dedicated servers (for tests that restart, kill or configure them).
- `cluster`: a driver `Cluster` connected to `sibyl`.
- `session`: a driver session on a fresh keyspace (dropped afterwards), for one test.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_LINE = re.compile(r"listening for CQL clients on (\S+)")
STARTUP_TIMEOUT_S = 30
SHUTDOWN_TIMEOUT_S = 30


def sibyl_binary() -> Path:
    path = Path(os.environ.get("SIBYL_BIN", REPO_ROOT / "target" / "debug" / "sibyl"))
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.is_file():
        pytest.exit(f"sibyl binary not found at {path}: run `cargo build -p sibyl` or set SIBYL_BIN", returncode=2)
    return path


class ServerStartError(Exception):
    pass


class SibylServer:
    """One `sibyl` process over a data directory that outlives restarts."""

    def __init__(self, workdir: Path, extra_args=(), port: int = 0):
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.commitlog_dir = workdir / "commitlog"
        self.config_path = workdir / "sibyl.yaml"
        self.host = "127.0.0.1"
        self.port = port
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = None
        self.starts = 0
        self.workdir.mkdir(parents=True, exist_ok=True)
        # An empty config file, so a conf/sibyl.yaml in the working directory is never picked up.
        self.config_path.write_text("# settings come from flags (see conftest.py)\n")

    # -- process control -------------------------------------------------------------------------

    def command(self):
        return [
            str(sibyl_binary()),
            "--config", str(self.config_path),
            "--listen-address", self.host,
            "--native-transport-port", str(self.port),
            "--data-file-directories", str(self.data_dir),
            "--commitlog-directory", str(self.commitlog_dir),
            "--commitlog-sync", "batch",
            *self.extra_args,
        ]

    def start(self, timeout=STARTUP_TIMEOUT_S):
        """Starts the server and waits for its ready line. On a restart the port stays the same."""
        assert not self.running, "server already running"
        attempts = 10 if self.port else 1
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
                return self
            except ServerStartError:
                # A restart can race the old process's socket teardown; retry a busy port briefly.
                if attempt + 1 < attempts and "cannot listen" in self.log():
                    time.sleep(0.5)
                    continue
                raise

    def _start_once(self, timeout):
        self.starts += 1
        self.log_path = self.workdir / f"sibyl-{self.starts}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.workdir
            )
        deadline = time.monotonic() + timeout
        while True:
            match = READY_LINE.search(self.log())
            if match:
                self.port = int(match.group(1).rsplit(":", 1)[1])
                return
            if self.proc.poll() is not None:
                raise ServerStartError(
                    f"sibyl exited with status {self.proc.returncode} before it was ready; its log:\n{self.log()}"
                )
            if time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait()
                raise ServerStartError(f"sibyl was not ready after {timeout}s; its log:\n{self.log()}")
            time.sleep(0.05)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=SHUTDOWN_TIMEOUT_S):
        """Clean shutdown with SIGTERM; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"sibyl did not stop within {timeout}s of SIGTERM; its log:\n{self.log()}")
        return self.proc.returncode

    def kill(self):
        """Crash: SIGKILL, no chance to flush anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self, crash=False):
        """Stops (SIGTERM, or SIGKILL if `crash`) and starts again on the same data and port."""
        if crash:
            self.kill()
        else:
            status = self.stop()
            assert status == 0, f"clean shutdown exited with {status}; its log:\n{self.log()}"
        return self.start()

    def log(self):
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def all_logs(self):
        return "\n".join(
            f"----- {p.name} -----\n{p.read_text(errors='replace')}" for p in sorted(self.workdir.glob("sibyl-*.log"))
        )

    # -- clients ---------------------------------------------------------------------------------

    def cluster(self, **kwargs):
        from cassandra.cluster import Cluster

        return Cluster([self.host], port=self.port, **kwargs)

    def cqlsh(self, statement, timeout=60):
        return run_cqlsh(self.host, self.port, statement, timeout=timeout, home=self.workdir)


def run_cqlsh(host, port, statement, timeout=60, home=None):
    """Runs `cqlsh host port -e statement` from the test virtualenv; returns the CompletedProcess."""
    cqlsh = os.environ.get("CQLSH") or shutil.which("cqlsh", path=str(Path(sys.executable).parent))
    assert cqlsh, "cqlsh not found next to the test interpreter (install tests/requirements.txt)"
    home = Path(home or os.environ.get("TMPDIR", "/tmp"))
    cqlshrc = home / "cqlshrc"
    cqlshrc.touch()
    env = dict(os.environ)
    env.update({"CQLSH_NO_BUNDLED": "1", "HOME": str(home), "LC_ALL": "C.UTF-8", "TZ": "UTC"})
    env.pop("CQLSH_HOST", None)
    env.pop("CQLSH_PORT", None)
    return subprocess.run(
        [cqlsh, host, str(port), "--cqlshrc", str(cqlshrc), "--connect-timeout", "20", "--request-timeout", "30",
         "-e", statement],
        capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
    )


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request):
    report = getattr(request.node, "rep_call", None)
    return report is not None and report.failed


@pytest.fixture(scope="session")
def sibyl(tmp_path_factory):
    server = SibylServer(tmp_path_factory.mktemp("sibyl-shared"))
    server.start()
    yield server
    status = server.stop()
    if status != 0:
        print(f"shared sibyl exited with status {status}; its logs:\n{server.all_logs()}")


@pytest.fixture
def sibyl_factory(tmp_path, request):
    """`sibyl_factory(*extra_args)` starts a dedicated server; all are stopped after the test."""
    servers = []

    def start(*extra_args, **kwargs):
        server = SibylServer(tmp_path / f"server{len(servers)}", extra_args, **kwargs)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        if server.running:
            server.stop()
        if _failed(request):
            print(server.all_logs())


@pytest.fixture(scope="session")
def cluster(sibyl):
    cluster = sibyl.cluster()
    cluster.connect()
    yield cluster
    cluster.shutdown()


def keyspace_name_for(request):
    base = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())
    return f"{base[:36]}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def session(cluster, sibyl, request):
    """A session whose keyspace is fresh (SimpleStrategy, RF 1) and dropped after the test."""
    ks = keyspace_name_for(request)
    session = cluster.connect()
    session.execute(
        f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
    )
    session.set_keyspace(ks)
    yield session
    try:
        session.execute(f"DROP KEYSPACE IF EXISTS {ks}")
    except Exception as e:  # keep the test's own failure visible
        print(f"could not drop keyspace {ks}: {e!r}")
    session.shutdown()
    if _failed(request):
        log = sibyl.log()
        print("shared sibyl log (last 200 lines):\n" + "\n".join(log.splitlines()[-200:]))
