"""Native protocol features through the real Python driver and cqlsh: snappy compression, v5 result
metadata ids, UNPREPARED after a restart, TLS (required and optional), the startup timeout."""

import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cassandra import ProtocolVersion
from cassandra.cluster import NoHostAvailable
from cassandra.query import BatchStatement, SimpleStatement

KEYSPACE_DDL = "CREATE KEYSPACE {} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"


def fresh_keyspace(session, name):
    session.execute(f"DROP KEYSPACE IF EXISTS {name}")
    session.execute(KEYSPACE_DDL.format(name))
    session.set_keyspace(name)


def crud_paging_batch(session):
    """A little of everything; large enough rows that compressed frames are not trivial."""
    session.execute("CREATE TABLE t (k int, c int, v text, PRIMARY KEY (k, c))")
    insert = session.prepare("INSERT INTO t (k, c, v) VALUES (?, ?, ?)")
    for c in range(300):
        session.execute(insert, (1, c, f"value {c} " * 20))
    statement = SimpleStatement("SELECT c, v FROM t WHERE k = 1", fetch_size=37)
    rows = list(session.execute(statement))
    assert [r.c for r in rows] == list(range(300))
    assert rows[123].v == "value 123 " * 20
    batch = BatchStatement()
    batch.add(insert, (2, 1, "a"))
    batch.add("INSERT INTO t (k, c, v) VALUES (2, 2, 'b')")
    session.execute(batch)
    session.execute("UPDATE t SET v = 'c' WHERE k = 2 AND c = 1")
    session.execute("DELETE FROM t WHERE k = 2 AND c = 2")
    assert list(session.execute("SELECT c, v FROM t WHERE k = 2")) == [(1, "c")]


# -- compression ----------------------------------------------------------------------------------


def test_snappy_compression_on_v4(sibyl):
    import snappy  # noqa: F401  (python-snappy: the driver offers snappy only when it imports)

    cluster = sibyl.cluster(protocol_version=4, compression="snappy")
    try:
        session = cluster.connect()
        assert cluster.control_connection._connection._compression_type == "snappy"
        for pool in session.get_pools():
            assert pool._connection._compression_type == "snappy"
        fresh_keyspace(session, "snappy_v4")
        crud_paging_batch(session)
        session.execute("DROP KEYSPACE snappy_v4")
    finally:
        cluster.shutdown()


def test_snappy_is_not_used_with_v5_and_the_driver_goes_on_uncompressed(sibyl):
    # The server advertises snappy, but v5 compresses segments with LZ4 only: the driver drops
    # compression rather than fail, and the server would refuse snappy in a v5 STARTUP anyway.
    cluster = sibyl.cluster(compression="snappy")
    try:
        session = cluster.connect()
        assert cluster.protocol_version == 5
        assert cluster.control_connection._connection._compression_type is None
        assert session.execute("SELECT release_version FROM system.local").one() is not None
    finally:
        cluster.shutdown()


# -- v5 result metadata ids -----------------------------------------------------------------------


@pytest.fixture
def metadata_flags(monkeypatch):
    """Records the flags of every Rows metadata the driver decodes."""
    from cassandra.protocol import ResultMessage, read_int

    seen = []
    original = ResultMessage.recv_results_metadata

    def recording(self, f, user_type_map):
        position = f.tell()
        seen.append(read_int(f))
        f.seek(position)
        return original(self, f, user_type_map)

    monkeypatch.setattr(ResultMessage, "recv_results_metadata", recording)
    return seen


NO_METADATA = 0x0004
METADATA_CHANGED = 0x0008


def test_v5_execute_gets_the_new_metadata_id_once_the_table_changes(sibyl, metadata_flags):
    # The driver sends its result metadata id with every v5 EXECUTE. (3.29.2 never puts the
    # Skip_metadata flag on the wire, so full metadata always comes back; No_metadata is covered
    # by the Rust driver and the protocol-server tests.)
    cluster = sibyl.cluster()
    try:
        session = cluster.connect()
        assert cluster.protocol_version == ProtocolVersion.V5
        fresh_keyspace(session, "metadata_ids")
        session.execute("CREATE TABLE t (k int PRIMARY KEY, a text)")
        session.execute("INSERT INTO t (k, a) VALUES (1, 'x')")
        ps = session.prepare("SELECT * FROM t WHERE k = ?")
        assert ps.result_metadata_id and ps.result_metadata

        metadata_flags.clear()
        assert session.execute(ps, [1]).one() == (1, "x")
        assert len(metadata_flags) == 1
        assert not metadata_flags[0] & (METADATA_CHANGED | NO_METADATA), hex(metadata_flags[0])

        # The ALTER evicts the statement (as Cassandra's QueryProcessor.onAlterTable does); another
        # client prepares it again. The driver still holds the old id: the server sends
        # Metadata_changed, the new id and the full metadata, and the driver decodes the three
        # columns with them.
        session.execute("ALTER TABLE t ADD b int")
        session.execute("UPDATE t SET b = 7 WHERE k = 1")
        other = sibyl.cluster()
        try:
            assert other.connect("metadata_ids").prepare("SELECT * FROM t WHERE k = ?").query_id == ps.query_id
        finally:
            other.shutdown()
        metadata_flags.clear()
        row = session.execute(ps, [1]).one()
        assert row._fields == ("k", "a", "b") and row == (1, "x", 7)
        assert metadata_flags[0] & METADATA_CHANGED, hex(metadata_flags[0])

        # Re-preparing gives the current id, which the server then accepts as current.
        ps2 = session.prepare("SELECT * FROM t WHERE k = ?")
        assert ps2.result_metadata_id != ps.result_metadata_id
        metadata_flags.clear()
        assert session.execute(ps2, [1]).one() == (1, "x", 7)
        assert not metadata_flags[0] & METADATA_CHANGED, hex(metadata_flags[0])
        session.execute("DROP KEYSPACE metadata_ids")
    finally:
        cluster.shutdown()


# -- UNPREPARED after a restart -------------------------------------------------------------------


@pytest.fixture
def prepare_messages(monkeypatch):
    """Counts the PREPARE messages the driver sends."""
    from cassandra import protocol

    sent = []
    original = protocol.PrepareMessage.__init__

    def counting(self, *args, **kwargs):
        sent.append(args[0] if args else kwargs.get("query"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(protocol.PrepareMessage, "__init__", counting)
    return sent


@pytest.mark.parametrize("protocol_version", [4, 5])
def test_driver_reprepares_on_unprepared_after_a_restart(sibyl_factory, prepare_messages, protocol_version):
    server = sibyl_factory()
    # reprepare_on_up=False: the driver does not re-prepare everything when the node comes back,
    # so its first EXECUTE meets an UNPREPARED error and must re-prepare on the spot.
    cluster = server.cluster(protocol_version=protocol_version, reprepare_on_up=False)
    try:
        session = cluster.connect()
        fresh_keyspace(session, "reprepare")
        session.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
        insert = session.prepare("INSERT INTO t (k, v) VALUES (?, ?)")
        select = session.prepare("SELECT v FROM t WHERE k = ?")
        session.execute(insert, (1, "before"))

        # The node prepares again at start what system.prepared_statements holds; forgetting those
        # makes it a node that never saw the statements, which answers UNPREPARED.
        session.execute("TRUNCATE system.prepared_statements")
        server.restart()
        deadline = time.monotonic() + 30
        while True:
            try:
                before = len(prepare_messages)
                session.execute(insert, (2, "after"))
                break
            except NoHostAvailable:
                assert time.monotonic() < deadline, "the driver did not reconnect"
                time.sleep(0.2)
        assert insert.query_string in prepare_messages[before:], "the EXECUTE was not re-prepared"
        assert session.execute(select, [1]).one().v == "before"
        assert session.execute(select, [2]).one().v == "after"

        # A BATCH of prepared statements meets UNPREPARED too, and is retried after re-preparing.
        update = session.prepare("UPDATE t SET v = ? WHERE k = ?")
        session.execute("TRUNCATE system.prepared_statements")
        server.restart()
        batch = BatchStatement()
        batch.add(update, ("batched", 1))
        batch.add(insert, (3, "batched"))
        deadline = time.monotonic() + 30
        while True:
            try:
                session.execute(batch)
                break
            except NoHostAvailable:
                assert time.monotonic() < deadline, "the driver did not reconnect"
                time.sleep(0.2)
        assert [r.v for r in session.execute("SELECT v FROM t WHERE k IN (1, 3)")] == ["batched", "batched"]
    finally:
        cluster.shutdown()


# -- TLS ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost/127.0.0.1: (cert.pem, key.pem, both.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    paths = directory / "cert.pem", directory / "key.pem", directory / "both.pem"
    paths[0].write_bytes(cert_pem)
    paths[1].write_bytes(key_pem)
    paths[2].write_bytes(key_pem + cert_pem)
    return paths


def client_context(cert_path):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(str(cert_path))
    context.check_hostname = True
    return context


def cqlsh_ssl(server, statement, home: Path):
    """cqlsh --ssl, with a cqlshrc that does not validate the server certificate."""
    cqlsh = os.environ.get("CQLSH") or shutil.which("cqlsh", path=str(Path(sys.executable).parent))
    assert cqlsh, "cqlsh not found next to the test interpreter"
    home.mkdir(parents=True, exist_ok=True)
    cqlshrc = home / "cqlshrc"
    cqlshrc.write_text("[ssl]\nvalidate = false\n")
    env = dict(os.environ, HOME=str(home), LC_ALL="C.UTF-8", TZ="UTC", CQLSH_NO_BUNDLED="1")
    env.pop("SSL_CERTFILE", None)
    env.pop("SSL_VALIDATE", None)
    return subprocess.run(
        [cqlsh, server.host, str(server.port), "--ssl", "--cqlshrc", str(cqlshrc), "--connect-timeout", "20",
         "-e", statement],
        capture_output=True, text=True, timeout=90, env=env, stdin=subprocess.DEVNULL,
    )


def test_tls_required(sibyl_factory, certificate, tmp_path):
    cert, key, _ = certificate
    server = sibyl_factory(
        "--client-encryption-enabled", "--client-encryption-certificate", str(cert),
        "--client-encryption-private-key", str(key),
    )
    assert "Client encryption (TLS) required" in server.log()

    cluster = server.cluster(ssl_context=client_context(cert), ssl_options={"server_hostname": "localhost"})
    try:
        session = cluster.connect()
        fresh_keyspace(session, "tls_required")
        crud_paging_batch(session)
    finally:
        cluster.shutdown()

    plain = server.cluster(connect_timeout=3, control_connection_timeout=3)
    try:
        with pytest.raises(NoHostAvailable):
            plain.connect()
    finally:
        plain.shutdown()

    result = cqlsh_ssl(server, "SELECT c, v FROM tls_required.t WHERE k = 2;", tmp_path / "cqlsh")
    assert result.returncode == 0, result.stderr
    assert "(1 rows)" in result.stdout and " 1 | c" in result.stdout, result.stdout


def test_tls_optional_serves_tls_and_plain_clients_on_one_port(sibyl_factory, certificate, tmp_path):
    _, _, both = certificate
    server = sibyl_factory("--client-encryption-optional", "--client-encryption-keystore", str(both))
    assert "Client encryption (TLS) optional" in server.log()

    tls_cluster = server.cluster(ssl_context=client_context(both), ssl_options={"server_hostname": "127.0.0.1"})
    plain_cluster = server.cluster(protocol_version=4)
    try:
        tls = tls_cluster.connect()
        fresh_keyspace(tls, "tls_optional")
        tls.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
        tls.execute("INSERT INTO t (k, v) VALUES (1, 'over tls')")
        plain = plain_cluster.connect("tls_optional")
        assert plain.execute("SELECT v FROM t WHERE k = 1").one().v == "over tls"
        plain.execute("INSERT INTO t (k, v) VALUES (2, 'in the clear')")
        assert tls.execute("SELECT v FROM t WHERE k = 2").one().v == "in the clear"
    finally:
        tls_cluster.shutdown()
        plain_cluster.shutdown()

    result = cqlsh_ssl(server, "SELECT v FROM tls_optional.t WHERE k = 1;", tmp_path / "cqlsh")
    assert result.returncode == 0, result.stderr
    assert "over tls" in result.stdout


def test_a_bad_certificate_file_stops_the_server_at_startup(tmp_path):
    from conftest import ServerStartError, SibylServer

    server = SibylServer(
        tmp_path / "server",
        ["--client-encryption-enabled", "--client-encryption-certificate", str(tmp_path / "missing.pem")],
    )
    with pytest.raises(ServerStartError):
        server.start(timeout=20)
    assert "missing.pem" in server.log()


# -- startup timeout ------------------------------------------------------------------------------


def test_connections_that_never_start_are_closed(sibyl_factory):
    server = sibyl_factory("--native-transport-startup-timeout", "1s")
    idle = socket.create_connection((server.host, server.port))
    idle.settimeout(10)
    started = time.monotonic()
    assert idle.recv(1) == b"", "the server closes the idle connection"
    assert time.monotonic() - started < 8
    idle.close()
    # Established driver connections are not affected.
    cluster = server.cluster()
    try:
        session = cluster.connect()
        time.sleep(1.5)
        assert session.execute("SELECT release_version FROM system.local").one() is not None
    finally:
        cluster.shutdown()
