"""Native types: literal forms, bound values, byte-exact round trips, the implicit conversions of
literals that Cassandra allows, and the sort order of each type as a clustering column.

Sources (apache/cassandra unless noted):
- doc/modules/cassandra/pages/developing/cql/types.adoc: which constants each type accepts; the
  timestamp, date, time and duration input forms.
- doc/modules/cassandra/pages/developing/cql/definitions.adoc: constants (NaN/Infinity floats, 0x blobs,
  $$ strings).
- test/unit/org/apache/cassandra/cql3/validation/miscellaneous/PgStringTest.java: $$-quoted strings.
- src/java/org/apache/cassandra/cql3/Constants.java: `Invalid %s constant (%s) for "%s" of type %s`
  (the message is quoted verbatim in operations/InsertUpdateIfConditionTest.java).
- src/java/org/apache/cassandra/db/marshal/*Type.java: comparison of each type (UUIDType: version, then
  timestamp for v1 or unsigned msb, then unsigned lsb; TimeUUIDType: timestamp, then lsb as signed
  bytes (CASSANDRA-8730); InetAddressType, BytesType, UTF8Type, SimpleDateType, TimeType: byte order;
  TimestampType: signed long; numeric types: numeric value).
"""

import datetime
import math
import uuid
from decimal import Decimal

import pytest
from cassandra.query import UNSET_VALUE
from cassandra.util import Date, Duration, Time

from .util import assert_invalid, one, rows

# -- literal forms -------------------------------------------------------------------------------------


def test_integer_literals_fill_each_integer_type_to_its_limits(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, ti tinyint, si smallint, i int, bi bigint, vi varint)")
    cql.execute(
        f"INSERT INTO {t} (k, ti, si, i, bi, vi) VALUES (0, -128, -32768, -2147483648, -9223372036854775808, "
        "-123456789012345678901234567890)"
    )
    cql.execute(
        f"INSERT INTO {t} (k, ti, si, i, bi, vi) VALUES (1, 127, 32767, 2147483647, 9223372036854775807, "
        "123456789012345678901234567890)"
    )
    assert one(cql, f"SELECT ti, si, i, bi, vi FROM {t} WHERE k = 0") == (
        -128, -32768, -2147483648, -(2**63), -123456789012345678901234567890)
    assert one(cql, f"SELECT ti, si, i, bi, vi FROM {t} WHERE k = 1") == (
        127, 32767, 2147483647, 2**63 - 1, 123456789012345678901234567890)


def test_integer_literal_out_of_range_for_int_is_refused(cql, t):
    # Int32Type.fromString: "Unable to make int from '%s'" (JsonTest checks the same text for fromJson).
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    assert_invalid(cql, f"INSERT INTO {t} (k, v) VALUES (0, 2147483648)",
                   "Unable to make int from '2147483648'", exact=False)


def test_integer_literal_converts_to_float_double_decimal_and_varint(cql, t):
    # types.adoc: decimal, double and float accept `integer` constants.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, f float, d double, dec decimal, vi varint)")
    cql.execute(f"INSERT INTO {t} (k, f, d, dec, vi) VALUES (0, 3, -7, 42, 5)")
    f, d, dec, vi = one(cql, f"SELECT f, d, dec, vi FROM {t} WHERE k = 0")
    assert (f, d, vi) == (3.0, -7.0, 5) and isinstance(f, float) and isinstance(d, float)
    assert dec.as_tuple() == Decimal("42").as_tuple()


def test_float_literal_keeps_its_digits_in_a_decimal(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, dec decimal)")
    for k, literal in enumerate(["1.10", "-0.000001", "1.5e3", "123456789012345678901234567890.0123456789"]):
        cql.execute(f"INSERT INTO {t} (k, dec) VALUES ({k}, {literal})")
        got = one(cql, f"SELECT dec FROM {t} WHERE k = {k}")[0]
        assert got.as_tuple() == Decimal(literal).as_tuple(), (literal, got)


def test_float_literal_exponent_forms_in_a_double(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, d double)")
    for k, (literal, expected) in enumerate([("1.5e3", 1500.0), ("-2.5E-3", -0.0025), ("3.", 3.0), ("1e308", 1e308)]):
        cql.execute(f"INSERT INTO {t} (k, d) VALUES ({k}, {literal})")
        assert one(cql, f"SELECT d FROM {t} WHERE k = {k}") == (expected,), literal


def test_float_literal_into_an_int_column_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    assert_invalid(cql, f"INSERT INTO {t} (k, v) VALUES (0, 1.5)", 'Invalid FLOAT constant (1.5) for "v" of type int')


def test_nan_and_infinity_literals(cql, t):
    # definitions.adoc: float constants include NaN and Infinity.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, d double, f float)")
    cql.execute(f"INSERT INTO {t} (k, d, f) VALUES (0, NaN, NaN)")
    cql.execute(f"INSERT INTO {t} (k, d, f) VALUES (1, Infinity, Infinity)")
    cql.execute(f"INSERT INTO {t} (k, d, f) VALUES (2, -Infinity, -Infinity)")
    d, f = one(cql, f"SELECT d, f FROM {t} WHERE k = 0")
    assert math.isnan(d) and math.isnan(f)
    assert one(cql, f"SELECT d, f FROM {t} WHERE k = 1") == (math.inf, math.inf)
    assert one(cql, f"SELECT d, f FROM {t} WHERE k = 2") == (-math.inf, -math.inf)


def test_blob_literals_are_hex_in_any_case(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, b blob)")
    cql.execute(f"INSERT INTO {t} (k, b) VALUES (0, 0xCAFEbabe)")
    cql.execute(f"INSERT INTO {t} (k, b) VALUES (1, 0x)")
    assert one(cql, f"SELECT b FROM {t} WHERE k = 0") == (b"\xca\xfe\xba\xbe",)
    assert one(cql, f"SELECT b FROM {t} WHERE k = 1") == (b"",)


def test_string_literal_quote_escaping_and_dollar_quoting(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v text)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, 'it''s')")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (1, $$it's $ \"quoted\"$$)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (2, '')")
    assert one(cql, f"SELECT v FROM {t} WHERE k = 0") == ("it's",)
    assert one(cql, f"SELECT v FROM {t} WHERE k = 1") == ("it's $ \"quoted\"",)
    assert one(cql, f"SELECT v FROM {t} WHERE k = 2") == ("",)


def test_boolean_literals_are_case_insensitive(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v boolean)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, TRUE)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (1, False)")
    assert rows(cql, f"SELECT v FROM {t} WHERE k IN (0, 1)") == [(True,), (False,)]


def test_uuid_literals_in_upper_case(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, u uuid, tu timeuuid)")
    cql.execute(f"INSERT INTO {t} (k, u, tu) VALUES (0, 6BDDC89A-5644-11E4-97FC-56847AFE9799, "
                "6BDDC89A-5644-11E4-97FC-56847AFE9799)")
    expected = uuid.UUID("6bddc89a-5644-11e4-97fc-56847afe9799")
    assert one(cql, f"SELECT u, tu FROM {t} WHERE k = 0") == (expected, expected)


def test_timestamp_literal_forms(cql, t):
    # types.adoc, "Working with timestamps": all of these are 2011-02-03 04:05:00 GMT.
    literals = ["'2011-02-03 04:05+0000'", "'2011-02-03 04:05:00+0000'", "'2011-02-03 04:05:00.000+0000'",
                "'2011-02-03T04:05+0000'", "'2011-02-03T04:05:00+0000'", "'2011-02-03T04:05:00.000+0000'",
                str(int(datetime.datetime(2011, 2, 3, 4, 5, tzinfo=datetime.timezone.utc).timestamp() * 1000))]
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, ts timestamp)")
    for k, literal in enumerate(literals):
        cql.execute(f"INSERT INTO {t} (k, ts) VALUES ({k}, {literal})")
        assert one(cql, f"SELECT ts FROM {t} WHERE k = {k}") == (datetime.datetime(2011, 2, 3, 4, 5),), literal


def test_timestamp_literal_with_a_time_zone_offset(cql, t):
    # types.adoc: "+0000 above is an RFC 822 4-digit time zone specification"; -0800 is US Pacific.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, ts timestamp)")
    cql.execute(f"INSERT INTO {t} (k, ts) VALUES (0, '2011-02-03 04:05:00-0800')")
    cql.execute(f"INSERT INTO {t} (k, ts) VALUES (1, '2011-02-03+0000')")
    assert one(cql, f"SELECT ts FROM {t} WHERE k = 0") == (datetime.datetime(2011, 2, 3, 12, 5),)
    assert one(cql, f"SELECT ts FROM {t} WHERE k = 1") == (datetime.datetime(2011, 2, 3, 0, 0),)


def test_date_literal_forms(cql, t):
    # types.adoc: a date is a string yyyy-mm-dd, or an integer: days with the epoch at 2^31.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, d date)")
    cql.execute(f"INSERT INTO {t} (k, d) VALUES (0, '2011-02-03')")
    cql.execute(f"INSERT INTO {t} (k, d) VALUES (1, 2147483648)")
    cql.execute(f"INSERT INTO {t} (k, d) VALUES (2, 2147483649)")
    cql.execute(f"INSERT INTO {t} (k, d) VALUES (3, '1900-01-01')")
    assert one(cql, f"SELECT d FROM {t} WHERE k = 0") == (Date(datetime.date(2011, 2, 3)),)
    assert one(cql, f"SELECT d FROM {t} WHERE k = 1") == (Date(datetime.date(1970, 1, 1)),)
    assert one(cql, f"SELECT d FROM {t} WHERE k = 2") == (Date(datetime.date(1970, 1, 2)),)
    assert one(cql, f"SELECT d FROM {t} WHERE k = 3") == (Date(datetime.date(1900, 1, 1)),)


def test_time_literal_forms(cql, t):
    # types.adoc: 'hh:mm:ss[.fffffffff]' with optional sub-second precision, or an integer of nanoseconds.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v time)")
    base = (8 * 3600 + 12 * 60 + 54) * 10**9
    cases = [("'08:12:54'", base), ("'08:12:54.123'", base + 123000000), ("'08:12:54.123456'", base + 123456000),
             ("'08:12:54.123456789'", base + 123456789), ("1", 1), ("86399999999999", 86399999999999)]
    for k, (literal, nanos) in enumerate(cases):
        cql.execute(f"INSERT INTO {t} (k, v) VALUES ({k}, {literal})")
        assert one(cql, f"SELECT v FROM {t} WHERE k = {k}") == (Time(nanos),), literal


def test_duration_literal_forms(cql, t):
    # types.adoc, "Duration type": (quantity unit)+, ISO 8601 P...T... and P[n]W, and the alternative
    # P[YYYY]-[MM]-[DD]T[hh]:[mm]:[ss]; months, days and nanoseconds are kept apart.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, d duration)")
    hour = 3600 * 10**9
    cases = [
        ("12h30m", Duration(0, 0, 12 * hour + 30 * 60 * 10**9)),
        ("1y2mo3w4d", Duration(14, 25, 0)),
        ("5s6ms7us8ns", Duration(0, 0, 5 * 10**9 + 6 * 10**6 + 7000 + 8)),
        ("P1Y2M3DT4H5M6S", Duration(14, 3, 4 * hour + 5 * 60 * 10**9 + 6 * 10**9)),
        ("P2W", Duration(0, 14, 0)),
        ("P0001-02-03T04:05:06", Duration(14, 3, 4 * hour + 5 * 60 * 10**9 + 6 * 10**9)),
    ]
    for k, (literal, expected) in enumerate(cases):
        cql.execute(f"INSERT INTO {t} (k, d) VALUES ({k}, {literal})")
        assert one(cql, f"SELECT d FROM {t} WHERE k = {k}") == (expected,), literal


def test_inet_literals_are_strings(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v inet)")
    for k, address in enumerate(["127.0.0.1", "::1", "2001:db8::ff00:42:8329", "0.0.0.0"]):
        cql.execute(f"INSERT INTO {t} (k, v) VALUES ({k}, '{address}')")
        assert one(cql, f"SELECT v FROM {t} WHERE k = {k}") == (address,)


def test_string_constant_into_an_int_column_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    assert_invalid(cql, f"INSERT INTO {t} (k, v) VALUES (0, 'abc')", 'Invalid STRING constant (abc) for "v" of type int')


def test_integer_constant_into_a_text_column_is_refused(cql, t):
    # InsertUpdateIfConditionTest: 'Invalid INTEGER constant (0) for "k" of type text'.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v text)")
    assert_invalid(cql, f"INSERT INTO {t} (k, v) VALUES (0, 1)", 'Invalid INTEGER constant (1) for "v" of type text')


def test_varchar_is_an_alias_of_text(cql, t, ks):
    cql.execute(f"CREATE TABLE {t} (k varchar PRIMARY KEY, v varchar)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES ('a', 'ünï')")
    assert one(cql, f"SELECT v FROM {t} WHERE k = 'a'") == ("ünï",)
    # DescribeStatementTest.allTypesTable: a varchar column is described as text.
    kinds = {r.column_name: r.type for r in cql.execute(
        "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = %s AND table_name = %s", (ks, t))}
    assert kinds == {"k": "text", "v": "text"}


# -- bound values, byte exact ------------------------------------------------------------------------------

ROUND_TRIPS = {
    "text": ["", "\x00", "a\x00b", "😀 astral plane", "Ω≈ç√∫ 世界"],
    "ascii": ["", "\x00\x7f", "plain ascii"],
    "blob": [b"", b"\x00", bytes(range(256))],
    "varint": [0, 127, 128, -128, -129, 2**63, -(2**63) - 1, 10**40, -(10**40)],
    "decimal": [Decimal("0"), Decimal("0.00"), Decimal("1.10"), Decimal("-1E+5"),
                Decimal("123456789012345678901234567890.123456789")],
    "double": [0.1 + 0.2, 5e-324, 1.7976931348623157e308, -0.0],
    "float": [1.5, 3.4028234663852886e38, 1.401298464324817e-45, -0.0],
    "bigint": [-(2**63), 2**63 - 1, 0],
    "smallint": [-32768, 32767],
    "tinyint": [-128, 127],
    "timestamp": [datetime.datetime(1, 1, 1), datetime.datetime(9999, 12, 31, 23, 59, 59, 999000),
                  datetime.datetime(1969, 12, 31, 23, 59, 59, 999000)],
    "date": [Date(datetime.date(1, 1, 1)), Date(datetime.date(9999, 12, 31)), Date(datetime.date(1970, 1, 1))],
    "time": [Time(0), Time(86399999999999)],
    "uuid": [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), uuid.UUID("f47ac10b-58cc-4372-a567-0e02b2c3d479")],
    "timeuuid": [uuid.UUID("00000000-0000-1000-8000-000000000000"), uuid.UUID("ffffffff-ffff-1fff-bfff-ffffffffffff")],
    "inet": ["0.0.0.0", "255.255.255.255", "ffff::", "::"],
    "boolean": [True, False],
    "duration": [Duration(1, 2, 3), Duration(-1, -2, -3), Duration(0, 0, 2**63 - 1)],
}


def _millis(value):
    # The driver decodes a timestamp through a float of seconds, which can be a microsecond off far
    # from 1970; milliseconds are what the server stores, so compare those.
    return round((value - datetime.datetime(1970, 1, 1)) / datetime.timedelta(milliseconds=1))


def _same(got, expected):
    if isinstance(expected, datetime.datetime):
        return isinstance(got, datetime.datetime) and _millis(got) == _millis(expected)
    if isinstance(expected, float):
        return isinstance(got, float) and (got == expected) and math.copysign(1, got) == math.copysign(1, expected)
    if isinstance(expected, Decimal):
        return isinstance(got, Decimal) and got.as_tuple() == expected.as_tuple()
    return got == expected and type(got) is type(expected)


ROUND_TRIP_GROUPS = {
    "integers": ["varint", "bigint", "smallint", "tinyint"],
    "decimals_and_floats": ["decimal", "double", "float"],
    "text_and_bytes": ["text", "ascii", "blob"],
    "dates_and_times": ["timestamp", "date", "time", "duration"],
    "uuids_inet_boolean": ["uuid", "timeuuid", "inet", "boolean"],
}


@pytest.mark.parametrize("group", list(ROUND_TRIP_GROUPS))
def test_bound_values_round_trip_exactly(cql, t, group):
    kinds = ROUND_TRIP_GROUPS[group]
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, {', '.join(f'v_{k} {k}' for k in kinds)})")
    k = 0
    for cql_type in kinds:
        insert = cql.prepare(f"INSERT INTO {t} (k, v_{cql_type}) VALUES (?, ?)")
        select = cql.prepare(f"SELECT v_{cql_type} FROM {t} WHERE k = ?")
        for value in ROUND_TRIPS[cql_type]:
            k += 1
            cql.execute(insert, [k, value])
            got = cql.execute(select, [k]).one()[0]
            assert _same(got, value), (cql_type, value, got)


def test_float_bound_value_is_stored_in_single_precision(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v float)")
    cql.execute(cql.prepare(f"INSERT INTO {t} (k, v) VALUES (?, ?)"), [0, 1.1])
    assert one(cql, f"SELECT v FROM {t} WHERE k = 0") == (1.100000023841858,)


def test_null_and_unset_bound_values(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a int, b text)")
    insert = cql.prepare(f"INSERT INTO {t} (k, a, b) VALUES (?, ?, ?)")
    cql.execute(insert, [0, 1, "x"])
    cql.execute(insert, [0, None, UNSET_VALUE])
    assert one(cql, f"SELECT a, b FROM {t} WHERE k = 0") == (None, "x")


# -- sort order as a clustering column ---------------------------------------------------------------

def _d(s):
    return datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f")


# For each type: literals in Cassandra's ascending order, with the value the driver reads back.
SORT_ORDERS = {
    "int": [(str(v), v) for v in [-2147483648, -1000, -1, 0, 1, 7, 2147483647]],
    "bigint": [(str(v), v) for v in [-(2**63), -(2**32), -1, 0, 1, 2**32, 2**63 - 1]],
    "varint": [(str(v), v) for v in [-(2**70), -256, -129, -128, -1, 0, 1, 127, 128, 255, 256, 2**70]],
    "decimal": [(s, Decimal(s)) for s in ["-100.5", "-1", "-0.001", "0", "0.0001", "1", "1.5", "10", "1E+10"]],
    "double": [("-Infinity", -math.inf), ("-1.5e10", -1.5e10), ("-1", -1.0), ("-0.5", -0.5), ("0", 0.0),
               ("0.5", 0.5), ("1", 1.0), ("1e300", 1e300), ("Infinity", math.inf)],
    "float": [("-Infinity", -math.inf), ("-100.25", -100.25), ("-1", -1.0), ("0", 0.0), ("0.5", 0.5),
              ("3.25", 3.25), ("Infinity", math.inf)],
    # UTF8Type compares bytes: UTF-8 order is code point order.
    "text": [("''", ""), ("'A'", "A"), ("'Z'", "Z"), ("'a'", "a"), ("'ab'", "ab"), ("'b'", "b"), ("'é'", "é"),
             ("'世'", "世"), ("'😀'", "😀")],
    # BytesType: unsigned lexicographic, a prefix first.
    "blob": [("0x", b""), ("0x00", b"\x00"), ("0x0000", b"\x00\x00"), ("0x0001", b"\x00\x01"), ("0x01", b"\x01"),
             ("0x7f", b"\x7f"), ("0x80", b"\x80"), ("0xff", b"\xff"), ("0xff00", b"\xff\x00")],
    # UUIDType: version first, then (not v1) the most significant bits unsigned.
    "uuid": [(s, uuid.UUID(s)) for s in [
        "50554d6e-29bb-11e5-b345-feff819cdc9f",
        "00000000-0000-4000-8000-000000000000",
        "7fffffff-ffff-4fff-bfff-ffffffffffff",
        "80000000-0000-4000-8000-000000000000",
        "ffffffff-ffff-4fff-bfff-ffffffffffff"]],
    # TimeUUIDType: by timestamp (not by bytes), then the low 8 bytes compared as signed bytes.
    "timeuuid": [(s, uuid.UUID(s)) for s in [
        "00000000-0000-1000-8000-800000000000",
        "00000000-0000-1000-8000-000000000000",
        "00000000-0000-1000-8000-7f0000000000",
        "ffffffff-0000-1000-8000-000000000000",
        "00000000-0001-1000-8000-000000000000",
        "00000000-0000-1001-8000-000000000000"]],
    # InetAddressType: byte order of the 4 or 16 address bytes.
    "inet": [(f"'{a}'", a) for a in ["::1", "10.0.0.1", "2001:db8::1", "127.0.0.1", "255.255.255.255"]],
    "timestamp": [(f"'{s}+0000'", _d(s)) for s in [
        "1900-01-01 00:00:00.000", "1969-07-20 20:17:40.000", "1970-01-01 00:00:00.000",
        "1970-01-01 00:00:00.001", "2001-09-09 01:46:40.000", "2038-01-19 03:14:08.000"]],
    "date": [(f"'{s}'", Date(datetime.date.fromisoformat(s))) for s in [
        "1900-01-01", "1969-12-31", "1970-01-01", "1970-01-02", "2024-02-29", "9999-12-31"]],
    "time": [("'00:00:00'", Time(0)), ("'00:00:00.000000001'", Time(1)), ("'08:12:54.123'", Time("08:12:54.123")),
             ("'12:00:00'", Time("12:00:00")), ("'23:59:59.999999999'", Time("23:59:59.999999999"))],
    "boolean": [("false", False), ("true", True)],
}


@pytest.mark.parametrize("cql_type", list(SORT_ORDERS))
def test_clustering_sort_order(cql, t, cql_type):
    """One table with the column ASC, one DESC; rows come back in the type's order (and reversed)."""
    values = SORT_ORDERS[cql_type]
    expected = [value for _, value in values]
    shuffled = values[1::2] + values[::2][::-1]
    for order in ("ASC", "DESC"):
        table = f"{t}_{order.lower()}"
        cql.execute(f"CREATE TABLE {table} (p int, c {cql_type}, v int, PRIMARY KEY (p, c)) "
                    f"WITH CLUSTERING ORDER BY (c {order})")
        for i, (literal, _) in enumerate(shuffled):
            cql.execute(f"INSERT INTO {table} (p, c, v) VALUES (0, {literal}, {i})")
        got = [r[0] for r in rows(cql, f"SELECT c FROM {table} WHERE p = 0")]
        want = expected if order == "ASC" else expected[::-1]
        assert len(got) == len(want) and all(
            _same(g, e) if isinstance(e, (float, Decimal)) else g == e for g, e in zip(got, want)), (order, got, want)
        # ORDER BY the other way reverses the table's order.
        other = "DESC" if order == "ASC" else "ASC"
        back = [r[0] for r in rows(cql, f"SELECT c FROM {table} WHERE p = 0 ORDER BY c {other}")]
        assert back == got[::-1], order


def test_decimal_clustering_value_keeps_its_scale(cql, t):
    cql.execute(f"CREATE TABLE {t} (p int, c decimal, PRIMARY KEY (p, c))")
    for literal in ["1.50", "10", "0.00", "-2.0"]:
        cql.execute(f"INSERT INTO {t} (p, c) VALUES (0, {literal})")
    got = [r[0] for r in rows(cql, f"SELECT c FROM {t} WHERE p = 0")]
    assert [g.as_tuple() for g in got] == [Decimal(s).as_tuple() for s in ["-2.0", "0.00", "1.50", "10"]]


@pytest.mark.xfail(reason="Sibyl keeps decimals equal in value but not in scale (1.0, 1.00) as two clustering "
                          "values; Cassandra's DecimalType compares them equal, one row", strict=True)
def test_decimals_equal_in_value_are_one_clustering_value(cql, t):
    cql.execute(f"CREATE TABLE {t} (p int, c decimal, v int, PRIMARY KEY (p, c))")
    cql.execute(f"INSERT INTO {t} (p, c, v) VALUES (0, 1.0, 1)")
    cql.execute(f"INSERT INTO {t} (p, c, v) VALUES (0, 1.00, 2)")
    assert len(rows(cql, f"SELECT v FROM {t} WHERE p = 0")) == 1
