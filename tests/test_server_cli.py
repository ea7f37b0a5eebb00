"""The `sibyl` command line: flags, config file, startup and shutdown behaviour."""

import signal
import socket
import subprocess
import time

import pytest

from conftest import READY_LINE, SibylServer, sibyl_binary

CONFIG_FLAGS = [
    "--config",
    "--log-level",
    "--cluster-name",
    "--listen-address",
    "--native-transport-port",
    "--data-file-directories",
    "--commitlog-directory",
    "--commitlog-sync",
    "--commitlog-sync-period",
    "--commitlog-sync-group-window",
    "--commitlog-segment-size",
    "--memtable-flush-threshold",
    "--compaction-threshold",
]


def run_sibyl(*args, timeout=10, cwd=None):
    return subprocess.run(
        [str(sibyl_binary()), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def test_unknown_flag_exits_nonzero_at_once_with_usage(tmp_path):
    started = time.monotonic()
    result = run_sibyl("--no-such-flag", cwd=tmp_path)
    assert result.returncode != 0
    assert time.monotonic() - started < 5
    assert "--no-such-flag" in result.stderr
    assert "Usage: sibyl" in result.stderr
    assert not READY_LINE.search(result.stdout + result.stderr)
    assert not (tmp_path / "data").exists(), "a rejected command line must not touch the disk"


def test_help_exits_zero_and_lists_every_config_flag():
    result = run_sibyl("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: sibyl" in result.stdout
    for flag in CONFIG_FLAGS:
        assert flag in result.stdout, f"{flag} missing from --help"


def test_version_exits_zero():
    result = run_sibyl("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sibyl ")


@pytest.mark.parametrize(
    "args, mentioned",
    [
        (["--commitlog-sync-period", "10"], "unit"),
        (["--commitlog-segment-size", "32MB"], "MiB"),
        (["--commitlog-sync", "sometimes"], "periodic"),
        (["--native-transport-port", "70000"], "70000"),
    ],
)
def test_invalid_flag_value_exits_nonzero_with_reason(args, mentioned, tmp_path):
    result = run_sibyl(*args, cwd=tmp_path)
    assert result.returncode != 0
    assert mentioned in result.stderr


def test_invalid_config_file_value_exits_nonzero_naming_the_key(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("compaction_threshold: 1\n")
    result = run_sibyl("--config", str(config), "--native-transport-port", "0", cwd=tmp_path)
    assert result.returncode != 0
    assert "compaction_threshold" in result.stderr
    assert not READY_LINE.search(result.stderr)


def test_missing_config_file_exits_nonzero(tmp_path):
    result = run_sibyl("--config", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert result.returncode != 0
    assert "nope.yaml" in result.stderr


def test_busy_port_exits_nonzero_at_once(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        result = run_sibyl(
            "--config", "/dev/null",
            "--native-transport-port", str(port),
            "--data-file-directories", str(tmp_path / "data"),
            "--commitlog-directory", str(tmp_path / "commitlog"),
            timeout=30,
        )
    assert result.returncode != 0
    assert time.monotonic() - started < 20
    assert f"127.0.0.1:{port}" in result.stderr
    assert not READY_LINE.search(result.stderr)


def test_ready_line_is_logged_exactly_once_with_the_bound_port(sibyl_factory):
    server = sibyl_factory()
    assert server.port != 0
    lines = [line for line in server.log().splitlines() if READY_LINE.search(line)]
    assert len(lines) == 1, lines
    assert f"127.0.0.1:{server.port}" in lines[0]
    assert "INFO" in lines[0]


def test_sigterm_exits_zero_quickly_and_logs_shutdown(sibyl_factory):
    server = sibyl_factory()
    started = time.monotonic()
    assert server.stop() == 0, server.log()
    assert time.monotonic() - started < 10
    assert "Sibyl stopped" in server.log()


def test_sigint_exits_zero(sibyl_factory):
    server = sibyl_factory()
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(30) == 0, server.log()
    assert "Sibyl stopped" in server.log()


def test_flags_override_config_file(tmp_path):
    server = SibylServer(tmp_path / "srv")
    server.config_path.write_text("cluster_name: 'From File'\ncompaction_threshold: 7\n")
    server.extra_args = ["--cluster-name", "From Flag"]
    server.start()
    try:
        log = server.log()
        assert "cluster 'From Flag'" in log
        assert "compaction past 7 SSTables" in log
    finally:
        assert server.stop() == 0


def test_unknown_config_keys_are_ignored_with_a_warning(tmp_path):
    server = SibylServer(tmp_path / "srv")
    server.config_path.write_text("num_tokens: 16\nhinted_handoff_enabled: true\n")
    server.start()
    try:
        warnings = [line for line in server.log().splitlines() if "WARN" in line and "num_tokens" in line]
        assert warnings and "hinted_handoff_enabled" in warnings[0]
    finally:
        assert server.stop() == 0


def test_directories_are_created_on_start(sibyl_factory):
    server = sibyl_factory()
    assert server.data_dir.is_dir()
    assert server.commitlog_dir.is_dir()
