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
from cassandra.util import Date, Time

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


# Dynamic data masking (apache/cassandra cql3/functions/masking/*.java, doc dynamic-data-masking.adoc):
# mask_default gives AbstractType.getMaskedValue ('****', zero, false, the epoch, an empty blob or
# collection); mask_hash a SHA-256 digest of the serialized value unless an algorithm is named.

@pytest.fixture
def masked(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, s text, i int, b boolean, ts timestamp, d date, bl blob, "
                "l list<int>, tu frozen<tuple<int, text>>)")
    cql.execute(f"INSERT INTO {t} (k, s, i, b, ts, d, bl, l, tu) VALUES (0, 'secret', 42, true, "
                "'2020-01-01 00:00:00+0000', '2020-01-01', 0x01, [1, 2], (7, 'x'))")
    return t


def test_mask_default_replaces_values_by_the_type_default(cql, masked):
    got = one(cql, f"SELECT mask_default(s), mask_default(i), mask_default(b), mask_default(ts), mask_default(d), "
                   f"mask_default(bl), mask_default(l), mask_default(tu) FROM {masked}")
    assert got == ("****", 0, False, datetime.datetime(1970, 1, 1), Date(0), b"", [], (0, "****"))


def test_mask_default_column_name(cql, masked):
    assert cql.execute(f"SELECT mask_default(s) FROM {masked}").column_names == ["system.mask_default(s)"]


def test_mask_hash_is_a_sha_256_of_the_value_by_default(cql, masked):
    import hashlib
    got = one(cql, f"SELECT mask_hash(s), mask_hash(i), mask_hash(s, 'MD5'), mask_hash(s, 'SHA-512') FROM {masked}")
    assert got == (hashlib.sha256(b"secret").digest(), hashlib.sha256(struct.pack(">i", 42)).digest(),
                   hashlib.md5(b"secret").digest(), hashlib.sha512(b"secret").digest())


def test_mask_hash_with_an_unknown_algorithm_is_refused(cql, masked):
    assert_invalid(cql, f"SELECT mask_hash(s, 'unknown-algorithm') FROM {masked}",
                   "Hash algorithm not found: unknown-algorithm")


def test_mask_null_replace_inner_and_outer(cql, masked):
    assert one(cql, f"SELECT mask_null(s), mask_replace(s, 'redacted'), mask_inner(s, 1, 2), mask_outer(s, 1, 2), "
                    f"mask_inner(s, 1, 2, '#') FROM {masked}") == (None, "redacted", "s***et", "*ecr**", "s###et")


# floor (TimeFcts.FloorFunction, Duration.floorTimestamp/floorTime; TimeFctsTest): rounds down to a
# multiple of the duration counted from the epoch, or from the optional starting time.

@pytest.fixture
def moments(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, ts timestamp, d date, tm time, u timeuuid)")
    cql.execute(f"INSERT INTO {t} (k, ts, d, tm, u) VALUES (0, '2016-09-27 16:12:30.500+0000', '2016-09-27', "
                "'16:12:30.5', maxTimeuuid('2016-09-27 16:12:30+0000'))")
    return t


def test_floor_of_a_timestamp(cql, moments):
    got = one(cql, f"SELECT floor(ts, 5m), floor(ts, 1h), floor(ts, 1d), floor(ts, 2h, '2016-09-27 15:00:00+0000'), "
                   f"floor(ts, 1mo), floor(ts, 1y) FROM {moments}")
    assert got == (datetime.datetime(2016, 9, 27, 16, 10), datetime.datetime(2016, 9, 27, 16),
                   datetime.datetime(2016, 9, 27), datetime.datetime(2016, 9, 27, 15),
                   datetime.datetime(2016, 9, 1), datetime.datetime(2016, 1, 1))


def test_floor_of_a_timeuuid_is_a_timestamp(cql, moments):
    assert one(cql, f"SELECT floor(u, 1m) FROM {moments}") == (datetime.datetime(2016, 9, 27, 16, 12),)


def test_floor_of_a_date_and_a_time(cql, moments):
    # 1970-01-01 was a Thursday: weeks counted from the epoch start on Thursdays.
    got = one(cql, f"SELECT floor(d, 1w), floor(d, 1mo), floor(tm, 1h), floor(tm, 5m) FROM {moments}")
    assert got == (Date(datetime.date(2016, 9, 22)), Date(datetime.date(2016, 9, 1)),
                   Time("16:00:00"), Time("16:10:00"))


def test_floor_column_name(cql, moments):
    assert cql.execute(f"SELECT floor(ts, 5m) FROM {moments}").column_names == ["system.floor(ts, 5m)"]


def test_floor_refuses_durations_below_its_precision(cql, moments):
    assert_invalid(cql, f"SELECT floor(ts, 10us) FROM {moments}",
                   "The floor cannot be computed for the 10us duration as precision is below 1 millisecond")
    assert_invalid(cql, f"SELECT floor(d, 1h) FROM {moments}",
                   "The floor on date values cannot be computed for the 1h duration as precision is below 1 day")
    assert_invalid(cql, f"SELECT floor(tm, 1d) FROM {moments}",
                   "For time values, the floor can only be computed for durations smaller that a day")


def test_floor_refuses_a_starting_time_after_the_time(cql, moments):
    assert_invalid(cql, f"SELECT floor(ts, 1h, '2017-01-01 00:00:00+0000') FROM {moments}",
                   "The floor function starting time is greater than the provided time")


# Math and collection functions (MathFcts, CollectionFcts; functions.adoc): results keep the
# argument's (element's) type.

def test_math_functions(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, i int, d double)")
    cql.execute(f"INSERT INTO {t} (k, i, d) VALUES (0, -100, 2.5)")
    assert one(cql, f"SELECT abs(i), log10(abs(i)), exp(d), round(d), abs(d) FROM {t}") == (
        100, 2, pytest.approx(12.182493960703473), 3.0, 2.5)


def test_collection_functions(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<int>, m map<text, int>)")
    cql.execute(f"INSERT INTO {t} (k, l, m) VALUES (0, [3, 1, 2, 4], {{'a': 1, 'b': 2}})")
    got = one(cql, f"SELECT map_keys(m), map_values(m), collection_count(l), collection_min(l), collection_max(l), "
                   f"collection_sum(l), collection_avg(l) FROM {t}")
    assert got == ({"a", "b"}, [1, 2], 4, 1, 4, 10, 2)
