"""The Node.js driver (`cassandra-driver` 4.x) and the Rust driver (`scylla` 1.x) against a real
server, each with its defaults: a CRUD + prepared + paging + batch scenario, and prepared statements
surviving a server restart that forgot them (UNPREPARED, then a transparent re-prepare).

The scenarios live in tests/drivers/node/scenario.js and tests/drivers/rust/src/main.rs; this file
installs or builds them (cached: node_modules and rust/target next to them, both git-ignored) and
checks their exit codes. The Rust one is built in release mode (about 2 minutes from scratch on a
2-core machine, seconds afterwards).
"""

import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "node"
RUST_DIR = HERE / "rust"
RUN_TIMEOUT_S = 240


def run(cmd, cwd, timeout, env=None):
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
                            stdin=subprocess.DEVNULL)
    print(f"$ {' '.join(map(str, cmd))}  ({time.monotonic() - started:.1f}s, exit {result.returncode})")
    return result


def describe(result):
    return f"exit {result.returncode}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"


@pytest.fixture(scope="module")
def node_scenario():
    """The command that runs scenario.js, after `npm ci` if node_modules is missing or stale."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "Node.js and npm are needed for the Node.js driver test"
    installed = NODE_DIR / "node_modules" / ".package-lock.json"
    lock = NODE_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        result = run([npm, "ci", "--no-audit", "--no-fund"], NODE_DIR, timeout=600)
        assert result.returncode == 0, "npm ci failed: " + describe(result)
    return [node, str(NODE_DIR / "scenario.js")]


@pytest.fixture(scope="module")
def rust_scenario():
    """The built scenario binary (`cargo build --release`; incremental after the first time)."""
    cargo = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    target = RUST_DIR / "target"
    env = dict(os.environ, CARGO_TARGET_DIR=str(target))
    result = run([cargo, "build", "--release", "--locked", "--quiet"], RUST_DIR, timeout=1500, env=env)
    assert result.returncode == 0, "building the Rust driver scenario failed: " + describe(result)
    return [str(target / "release" / "sibyl-rust-driver-check")]


def address(server):
    return f"{server.host}:{server.port}"


@pytest.mark.timeout(900)
def test_node_driver_scenario(sibyl, node_scenario):
    result = run([*node_scenario, address(sibyl)], NODE_DIR, timeout=RUN_TIMEOUT_S)
    assert result.returncode == 0, describe(result)
    assert "node driver scenario: ok" in result.stdout


@pytest.mark.timeout(1800)
def test_rust_driver_scenario_with_each_compression(sibyl, rust_scenario):
    result = run([*rust_scenario, address(sibyl), "none", "lz4", "snappy"], RUST_DIR, timeout=RUN_TIMEOUT_S)
    assert result.returncode == 0, describe(result)
    for mode in ("none", "lz4", "snappy"):
        assert f"rust driver scenario with compression {mode}: ok" in result.stdout, describe(result)


def run_across_restart(cmd, cwd, server):
    """Runs a driver scenario that waits for a line on stdin while the server restarts."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout] + [lines.put(None)],
                     daemon=True).start()
    stdout = []
    try:
        deadline = time.monotonic() + 120
        while True:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                break
            stdout.append(line)
            if line.strip() == "ready for restart":
                # The node prepares again at start what system.prepared_statements holds (as
                # Cassandra does); forgetting those makes the restarted node answer UNPREPARED.
                truncate = server.cqlsh("TRUNCATE system.prepared_statements;")
                assert truncate.returncode == 0, truncate.stderr
                server.restart()
                proc.stdin.write("go\n")
                proc.stdin.flush()
                break
        rc = proc.wait(timeout=RUN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while True:
        line = lines.get(timeout=10)
        if line is None:
            break
        stdout.append(line)
    return rc, "".join(stdout), proc.stderr.read()


# The server logs failed requests at debug level: the UNPREPARED answer shows there.
LOG_REQUEST_ERRORS = ("--log-level", "info,protocol_server=debug")
UNPREPARED = "not found (either the query was not prepared on this host"


@pytest.mark.timeout(900)
def test_node_driver_reprepares_after_a_restart(sibyl_factory, node_scenario):
    server = sibyl_factory(*LOG_REQUEST_ERRORS)
    rc, out, err = run_across_restart([*node_scenario, address(server), "restart"], NODE_DIR, server)
    assert rc == 0 and "node driver restart scenario: ok" in out, f"exit {rc}\n{out}\n{err}"
    assert UNPREPARED in server.log(), "the driver never met UNPREPARED"


@pytest.mark.timeout(1800)
def test_rust_driver_reprepares_after_a_restart(sibyl_factory, rust_scenario):
    server = sibyl_factory(*LOG_REQUEST_ERRORS)
    rc, out, err = run_across_restart([*rust_scenario, address(server), "restart"], RUST_DIR, server)
    assert rc == 0 and "rust driver restart scenario: ok" in out, f"exit {rc}\n{out}\n{err}"
    assert UNPREPARED in server.log(), "the driver never met UNPREPARED"
