"""Native scalar functions: now, uuid, date/time conversions, timeuuid bounds, blob conversions,
token, CAST.

Sources:
- apache/cassandra doc/modules/cassandra/pages/developing/cql/functions.adoc (the function table;
  bigint_as_blob(3) is 0x0000000000000003; min/max timeuuid; cast conversions, double 1 -> '1.0').
- apache/cassandra test/unit/org/apache/cassandra/cql3/functions/CastFctsTest.java (values and
  column names of CAST).
- apache/cassandra src/java/org/apache/cassandra/utils/UUIDGen.java / TimeUUID.java: the fake
  timeuuids use the clock-seq-and-node 0x8080808080808080 (min) and 0x7f7f7f7f7f7f7f7f (max).
- apache/cassandra test/unit/org/apache/cassandra/cql3/validation/entities/JsonTest.java (function
  result column names such as system.tojson(...)).
- datastax/python-driver tests/unit/test_metadata.py (Murmur3TokensTest._verify_hash): Murmur3 of
  b'123' is -7468325962851647638, of b'\\x00\\xff\\x10\\xfa\\x99' * 10 is 5837342703291459765, of
  b'\\xfe' * 8 is -8927430733708461935, of b'\\x10' * 8 is 1446172840243228796.
"""

import datetime
import struct
import time
import uuid
from decimal import Decimal

import pytest
from cassandra.metadata import Murmur3Token
from cassandra.util import Date

from .util import assert_invalid, one, rows


def test_now_is_a_fresh_version_1_timeuuid(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c timeuuid, PRIMARY KEY (k, c))")
    before = time.time()
    for _ in range(3):
        cql.execute(f"INSERT INTO {t} (k, c) VALUES (0, now())")
    got = [r[0] for r in rows(cql, f"SELECT c FROM {t} WHERE k = 0")]
    assert len(set(got)) == 3 and all(u.version == 1 for u in got)
    millis = (got[0].time - 0x01B21DD213814000) / 10000
    assert abs(millis / 1000 - before) < 60


def test_uuid_is_a_random_version_4_uuid(cql, t):
    cql.execute(f"CREATE TABLE {t} (k uuid PRIMARY KEY, v int)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (uuid(), 1)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (uuid(), 2)")
    keys = [r[0] for r in rows(cql, f"SELECT k FROM {t}")]
    assert len(set(keys)) == 2 and all(k.version == 4 for k in keys)


@pytest.fixture
def times(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, ts timestamp, d date, tu timeuuid)")
    # 6bddc89a-5644-11e4-... is 2014-10-20 21:32:36.541 UTC (its 60-bit timestamp).
    cql.execute(f"INSERT INTO {t} (k, ts, d, tu) VALUES (0, '2015-05-21 11:03:02+0000', '2015-05-21', "
                "6bddc89a-5644-11e4-97fc-56847afe9799)")
    return t


def _timeuuid_millis(u):
    return (u.time - 0x01B21DD213814000) // 10000


def test_to_date(cql, times):
    assert one(cql, f"SELECT toDate(ts), to_date(ts) FROM {times}") == (Date(datetime.date(2015, 5, 21)),) * 2
    expected = datetime.datetime.fromtimestamp(_timeuuid_millis(uuid.UUID("6bddc89a-5644-11e4-97fc-56847afe9799")) / 1000,
                                               tz=datetime.timezone.utc).date()
    assert one(cql, f"SELECT toDate(tu) FROM {times}") == (Date(expected),)


def test_to_timestamp(cql, times):
    millis = _timeuuid_millis(uuid.UUID("6bddc89a-5644-11e4-97fc-56847afe9799"))
    expected = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=millis)
    assert one(cql, f"SELECT toTimestamp(tu), to_timestamp(d) FROM {times}") == (
        expected, datetime.datetime(2015, 5, 21))


def test_to_unix_timestamp(cql, times):
    millis = int(datetime.datetime(2015, 5, 21, 11, 3, 2, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    day = int(datetime.datetime(2015, 5, 21, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    assert one(cql, f"SELECT toUnixTimestamp(ts), to_unix_timestamp(d), toUnixTimestamp(tu) FROM {times}") == (
        millis, day, _timeuuid_millis(uuid.UUID("6bddc89a-5644-11e4-97fc-56847afe9799")))


def test_min_and_max_timeuuid_of_the_epoch(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, lo timeuuid, hi timeuuid)")
    cql.execute(f"INSERT INTO {t} (k, lo, hi) VALUES (0, minTimeuuid(0), maxTimeuuid('1970-01-01 00:00+0000'))")
    assert one(cql, f"SELECT lo, hi FROM {t}") == (
        uuid.UUID("13814000-1dd2-11b2-8080-808080808080"), uuid.UUID("1381670f-1dd2-11b2-7f7f-7f7f7f7f7f7f"))


def test_timeuuid_range_with_min_and_max_timeuuid(cql, t):
    # functions.adoc: "t > maxTimeuuid(a) AND t < minTimeuuid(b)" selects the timeuuids strictly between.
    cql.execute(f"CREATE TABLE {t} (k int, t timeuuid, PRIMARY KEY (k, t))")
    for u in ["13814000-1dd2-11b2-8080-808080808080",   # 1970-01-01 00:00:00.000, lowest
              "13816710-1dd2-11b2-8000-000000000000",   # 1970-01-01 00:00:00.001
              "13818e20-1dd2-11b2-8000-000000000000"]:  # 1970-01-01 00:00:00.002
        cql.execute(f"INSERT INTO {t} (k, t) VALUES (0, {u})")
    got = rows(cql, f"SELECT t FROM {t} WHERE k = 0 AND t > maxTimeuuid(0) AND t < minTimeuuid(2)")
    assert got == [(uuid.UUID("13816710-1dd2-11b2-8000-000000000000"),)]
    got = rows(cql, f"SELECT t FROM {t} WHERE k = 0 AND t >= minTimeuuid(0) AND t <= maxTimeuuid(1)")
    assert len(got) == 2


def test_blob_conversion_functions(cql, t):
    # functions.adoc: bigint_as_blob(3) is 0x0000000000000003 and blob_as_bigint of it is 3.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, 1)")
    assert one(cql, f"SELECT bigintAsBlob(3), blobAsBigint(0x0000000000000003), bigint_as_blob(3) FROM {t}") == (
        b"\x00\x00\x00\x00\x00\x00\x00\x03", 3, b"\x00\x00\x00\x00\x00\x00\x00\x03")
    assert one(cql, f"SELECT intAsBlob(v), textAsBlob('abc'), blobAsText(0x616263), blobAsInt(0x00000001) FROM {t}") == (
        b"\x00\x00\x00\x01", b"abc", "abc", 1)


def test_blob_conversions_in_writes(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, b blob, i int)")
    cql.execute(f"INSERT INTO {t} (k, b, i) VALUES (0, textAsBlob('hi'), blobAsInt(0x0000002a))")
    assert one(cql, f"SELECT b, i FROM {t}") == (b"hi", 42)


def test_function_column_names(cql, t):
    # JsonTest.testSelectJsonSyntax: "system.tojson(system.blobasint(system.intasblob(v)))".
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, 0)")
    assert cql.execute(f"SELECT blobAsInt(intAsBlob(v)) FROM {t}").column_names == [
        "system.blobasint(system.intasblob(v))"]


def _token(key_bytes):
    return Murmur3Token.from_key(key_bytes).value


@pytest.mark.parametrize("cql_type, literal, key_bytes, token", [
    ("text", "'123'", b"123", -7468325962851647638),
    ("text", "'9223372036854775807'", b"9223372036854775807", 7162290910810015547),
    ("blob", "0x" + "00ff10fa99" * 10, b"\x00\xff\x10\xfa\x99" * 10, 5837342703291459765),
    ("blob", "0xfefefefefefefefe", b"\xfe" * 8, -8927430733708461935),
    ("bigint", str(0x1010101010101010), b"\x10" * 8, 1446172840243228796),
])
def test_token_of_known_keys(cql, t, cql_type, literal, key_bytes, token):
    assert _token(key_bytes) == token
    cql.execute(f"CREATE TABLE {t} (k {cql_type} PRIMARY KEY, v int)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES ({literal}, 1)")
    result = cql.execute(f"SELECT token(k) FROM {t}")
    assert result.column_names == ["system.token(k)"]
    assert [tuple(r) for r in result] == [(token,)]


def test_token_of_int_keys_matches_murmur3(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    keys = [0, 1, -1, 42, 2147483647, -2147483648]
    for k in keys:
        cql.execute(f"INSERT INTO {t} (k, v) VALUES ({k}, 0)")
    got = dict(rows(cql, f"SELECT k, token(k) FROM {t}"))
    assert got == {k: _token(struct.pack(">i", k)) for k in keys}


def test_token_of_a_composite_partition_key(cql, t):
    # A composite key is hashed in CompositeType form: per component, 2-byte length, bytes, 0x00.
    cql.execute(f"CREATE TABLE {t} (a int, b text, v int, PRIMARY KEY ((a, b)))")
    cql.execute(f"INSERT INTO {t} (a, b, v) VALUES (7, 'x', 0)")
    key = b"".join(struct.pack(">H", len(c)) + c + b"\x00" for c in [struct.pack(">i", 7), b"x"])
    assert one(cql, f"SELECT token(a, b) FROM {t}") == (_token(key),)


def test_cast_between_numeric_types(cql, t):
    # CastFctsTest.testNumericCastsInSelectionClause.
    cql.execute(f"CREATE TABLE {t} (a tinyint primary key, b smallint, c int, d bigint, e float, f double, "
                "g decimal, h varint, i int)")
    cql.execute(cql.prepare(f"INSERT INTO {t} (a, b, c, d, e, f, g, h) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                [1, 2, 3, 4, 5.2, 6.3, Decimal("6.3"), 4])
    cols = "abcdefghi"
    assert one(cql, f"SELECT {', '.join(f'CAST({c} AS int)' for c in cols)} FROM {t}") == (1, 2, 3, 4, 5, 6, 6, 4, None)
    assert one(cql, f"SELECT {', '.join(f'CAST({c} AS bigint)' for c in cols)} FROM {t}") == (1, 2, 3, 4, 5, 6, 6, 4, None)
    assert one(cql, f"SELECT {', '.join(f'CAST({c} AS double)' for c in cols)} FROM {t}") == (
        1.0, 2.0, 3.0, 4.0, struct.unpack(">f", struct.pack(">f", 5.2))[0], 6.3, 6.3, 4.0, None)
    assert one(cql, f"SELECT {', '.join(f'CAST({c} AS text)' for c in cols)} FROM {t}") == (
        "1", "2", "3", "4", "5.2", "6.3", "6.3", "4", None)


def test_cast_column_names(cql, t):
    # CastFctsTest: "cast(b as int)", and a cast to the column's own type is ignored ("c").
    cql.execute(f"CREATE TABLE {t} (a int primary key, b smallint, c int, d bigint)")
    assert cql.execute(f"SELECT CAST(b AS int), CAST(c AS int), CAST(d AS double) FROM {t}").column_names == [
        "cast(b as int)", "c", "cast(d as double)"]


def test_cast_of_time_types(cql, t):
    # CastFctsTest.testTimeCastsInSelectionClause.
    cql.execute(f"CREATE TABLE {t} (a timeuuid primary key, b timestamp, c date, d time)")
    cql.execute(f"INSERT INTO {t} (a, b, c, d) VALUES (now(), '2015-05-21 11:03:02+00', '2015-05-21', '11:03:02')")
    assert one(cql, f"SELECT CAST(b AS text), CAST(c AS text), CAST(d AS text) FROM {t}") == (
        "2015-05-21T11:03:02.000Z", "2015-05-21", "11:03:02.000000000")
    assert one(cql, f"SELECT CAST(b AS date), CAST(c AS timestamp) FROM {t}") == (
        Date(datetime.date(2015, 5, 21)), datetime.datetime(2015, 5, 21))


def test_cast_of_other_types_to_text(cql, t):
    # CastFctsTest.testOtherTypeCastsInSelectionClause; functions.adoc: double 1 -> '1.0'.
    cql.execute(f"CREATE TABLE {t} (a ascii primary key, b inet, c boolean, d double)")
    cql.execute(f"INSERT INTO {t} (a, b, c, d) VALUES ('test', '127.0.0.1', true, 1)")
    assert one(cql, f"SELECT CAST(a AS text), CAST(b AS text), CAST(c AS text), CAST(d AS text) FROM {t}") == (
        "test", "127.0.0.1", "true", "1.0")


def test_cast_in_writes(cql, t):
    # CastFctsTest.testCastsInInsertIntoValues.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (1, CAST(1.3 AS int))")
    assert one(cql, f"SELECT v FROM {t}") == (1,)
    cql.execute(f"UPDATE {t} SET v = CAST(CAST(CAST(2.3 AS int) AS float) AS int) WHERE k = 1")
    assert one(cql, f"SELECT v FROM {t}") == (2,)


def test_invalid_cast_is_refused(cql, t):
    # CastFctsTest.testInvalidQueries (assertInvalidMessage: a part of the message).
    cql.execute(f"CREATE TABLE {t} (a int primary key, b text, c double)")
    assert_invalid(cql, f"SELECT CAST(a AS boolean) FROM {t}", "a cannot be cast to boolean", exact=False)


def test_unknown_function_is_refused(cql, t):
    from cassandra import InvalidRequest
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    with pytest.raises(InvalidRequest):
        cql.execute(f"SELECT nosuchfunction(v) FROM {t}")
