"""JSON: SELECT JSON, INSERT JSON (DEFAULT NULL / DEFAULT UNSET), toJson() and fromJson().

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/validation/entities/JsonTest.java (testSelectJsonSyntax,
  testInsertJsonSyntax, testInsertJsonSyntaxDefaultUnset, testCaseSensitivity,
  testInsertJsonSyntaxWithCollections, testInsertJsonSyntaxWithNonNativeMapKeys, testToJsonFct,
  testFromJsonFct, testJsonWithGroupBy): every expected JSON text below is copied from there.
- src/java/org/apache/cassandra/cql3/Json.java: the result column of SELECT JSON is "[json]".
"""

import datetime
import uuid
from decimal import Decimal

import pytest
from cassandra.util import Date, Duration, Time

from .util import assert_invalid, one, rows


@pytest.fixture
def kv(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int primary key, v int)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, 0)")
    return t


def test_select_json_star(cql, kv):
    result = cql.execute(f"SELECT JSON * FROM {kv}")
    assert result.column_names == ["[json]"]
    assert [tuple(r) for r in result] == [('{"k": 0, "v": 0}',)]


def test_select_json_keeps_the_selection_order_and_aliases(cql, kv):
    assert rows(cql, f"SELECT JSON v, k FROM {kv}") == [('{"v": 0, "k": 0}',)]
    assert rows(cql, f"SELECT JSON v as foo, k as bar FROM {kv}") == [('{"foo": 0, "bar": 0}',)]


def test_select_json_of_functions_and_aggregates(cql, kv):
    assert rows(cql, f"SELECT JSON ttl(v), k FROM {kv}") == [('{"ttl(v)": null, "k": 0}',)]
    assert rows(cql, f"SELECT JSON count(*) FROM {kv}") == [('{"count": 1}',)]
    assert rows(cql, f"SELECT JSON count(*) as foo FROM {kv}") == [('{"foo": 1}',)]
    assert rows(cql, f"SELECT JSON toJson(blobAsInt(intAsBlob(v))) FROM {kv} LIMIT 1") == [
        ('{"system.tojson(system.blobasint(system.intasblob(v)))": "0"}',)]


def test_select_json_quotes_case_sensitive_names(cql, t):
    # testCaseSensitivity.
    cql.execute(f'CREATE TABLE {t} (k int primary key, "Foo" int)')
    cql.execute(f'INSERT INTO {t} (k, "Foo") VALUES (0, 0)')
    assert rows(cql, f"SELECT JSON * FROM {t}") == [('{"k": 0, "\\"Foo\\"": 0}',)]
    assert rows(cql, f'SELECT JSON k, "Foo" as foo FROM {t}') == [('{"k": 0, "foo": 0}',)]
    assert rows(cql, f'SELECT JSON k, "Foo" as "Bar" FROM {t}') == [('{"k": 0, "\\"Bar\\"": 0}',)]


def test_select_json_with_group_by(cql, t):
    # testJsonWithGroupBy.
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, PRIMARY KEY (k, c))")
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES (0, 0, 0)")
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES (0, 1, 1)")
    assert rows(cql, f"SELECT JSON * FROM {t} WHERE k = 0 GROUP BY k") == [('{"k": 0, "c": 0, "v": 0}',)]
    assert rows(cql, f"SELECT JSON count(*) FROM {t} WHERE k = 0 GROUP BY k") == [('{"count": 2}',)]


# (type, value bound with the driver, toJson text) from JsonTest.testToJsonFct.
TO_JSON = [
    ("ascii", "ascii text", '"ascii text"'),
    ("bigint", -123123123123, "-123123123123"),
    ("blob", b"\x00\x00\x00\x01", '"0x00000001"'),
    ("blob", b"", '"0x"'),
    ("boolean", True, "true"),
    ("date", Date(datetime.date(1987, 3, 23)), '"1987-03-23"'),
    ("decimal", Decimal("123123.123123"), "123123.123123"),
    ("decimal", Decimal("-1.23E-12"), "-1.23E-12"),
    ("double", 123123.123123, "123123.123123"),
    ("double", 123123.0, "123123.0"),
    ("float", 123123.0, "123123.0"),
    ("inet", "127.0.0.1", '"127.0.0.1"'),
    ("inet", "::1", '"0:0:0:0:0:0:0:1"'),
    ("int", -123123, "-123123"),
    ("smallint", -32768, "-32768"),
    ("tinyint", 127, "127"),
    ("text", "", '""'),
    ("text", "\u8422", '"\u8422"'),
    ("text", "\u0000", '"\\u0000"'),
    ("time", Time(123), '"00:00:00.000000123"'),
    ("timestamp", datetime.datetime(2014, 1, 1), '"2014-01-01 00:00:00.000Z"'),
    ("timeuuid", uuid.UUID("6bddc89a-5644-11e4-97fc-56847afe9799"), '"6bddc89a-5644-11e4-97fc-56847afe9799"'),
    ("uuid", uuid.UUID("6bddc89a-5644-11e4-97fc-56847afe9799"), '"6bddc89a-5644-11e4-97fc-56847afe9799"'),
    ("varint", 123123123123123123123, "123123123123123123123"),
    ("list<int>", [1, 2, 3], "[1, 2, 3]"),
    ("list<int>", [], "null"),
    ("frozen<list<int>>", [1, 2, 3], "[1, 2, 3]"),
    ("set<uuid>", {uuid.UUID("6bddc89a-5644-11e4-97fc-56847afe9799"), uuid.UUID("6bddc89a-5644-11e4-97fc-56847afe9798")},
     '["6bddc89a-5644-11e4-97fc-56847afe9798", "6bddc89a-5644-11e4-97fc-56847afe9799"]'),
    ("map<ascii, int>", {"a": 1, "b": 2}, '{"a": 1, "b": 2}'),
    ("frozen<tuple<int, ascii, uuid>>", (1, "foobar", uuid.UUID("6bddc89a-5644-11e4-97fc-56847afe9799")),
     '[1, "foobar", "6bddc89a-5644-11e4-97fc-56847afe9799"]'),
    ("frozen<tuple<int, ascii, uuid>>", (1, "foobar", None), '[1, "foobar", null]'),
    ("duration", Duration(0, 0, 12000), '"12us"'),
    ("duration", Duration(13, 2, (10 * 60 + 5) * 60 * 10**9), '"1y1mo2d10h5m"'),
]


TO_JSON_GROUPS = {
    "numbers": ["bigint", "decimal", "double", "float", "int", "smallint", "tinyint", "varint"],
    "strings_and_bytes": ["ascii", "text", "blob", "boolean", "inet", "uuid", "timeuuid"],
    "dates_and_times": ["date", "time", "timestamp", "duration"],
    "collections": ["list<int>", "frozen<list<int>>", "set<uuid>", "map<ascii, int>"],
    "tuples": ["frozen<tuple<int, ascii, uuid>>"],
}


@pytest.mark.parametrize("group", list(TO_JSON_GROUPS))
def test_to_json(cql, t, group):
    cases = [c for c in TO_JSON if c[0] in TO_JSON_GROUPS[group]]
    kinds = sorted({c[0] for c in cases})
    columns = {kind: f"c{i}" for i, kind in enumerate(kinds)}
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, {', '.join(f'{columns[k]} {k}' for k in kinds)})")
    for k, (cql_type, value, text) in enumerate(cases):
        column = columns[cql_type]
        cql.execute(cql.prepare(f"INSERT INTO {t} (k, {column}) VALUES (?, ?)"), [k, value])
        assert one(cql, f"SELECT k, toJson({column}) FROM {t} WHERE k = {k}") == (k, text), (cql_type, value)


def test_insert_json(cql, t):
    # testInsertJsonSyntax.
    cql.execute(f"CREATE TABLE {t} (k int primary key, v int)")
    insert = cql.prepare(f"INSERT INTO {t} JSON ?")
    cql.execute(insert, ['{"k": 0, "v": 0}'])
    assert rows(cql, f"SELECT * FROM {t}") == [(0, 0)]
    cql.execute(insert, ['{"v": 1, "k": 0}'])
    assert rows(cql, f"SELECT * FROM {t}") == [(0, 1)]
    cql.execute(insert, ['{"k": 0}'])
    assert rows(cql, f"SELECT * FROM {t}") == [(0, None)]


def test_insert_json_default_unset_and_default_null(cql, t):
    # testInsertJsonSyntaxDefaultUnset.
    cql.execute(f"CREATE TABLE {t} (k int primary key, v1 int, v2 int)")
    cql.execute(f"INSERT INTO {t} JSON '{{\"k\": 0, \"v1\": 0, \"v2\": 0}}'")
    cql.execute(f"INSERT INTO {t} JSON '{{\"k\": 0, \"v2\": 2}}' DEFAULT UNSET")
    assert rows(cql, f"SELECT * FROM {t}") == [(0, 0, 2)]
    cql.execute(f"INSERT INTO {t} JSON '{{\"k\": 0, \"v2\": 2}}' DEFAULT NULL")
    assert rows(cql, f"SELECT * FROM {t}") == [(0, None, 2)]
    cql.execute(f"INSERT INTO {t} JSON '{{\"k\": 1, \"v1\": 1, \"v2\": 1}}'")
    cql.execute(f"INSERT INTO {t} JSON '{{\"k\": 1, \"v1\": null}}' DEFAULT UNSET")
    assert rows(cql, f"SELECT * FROM {t} WHERE k=1") == [(1, None, 1)]


def test_insert_json_collections(cql, t):
    # testInsertJsonSyntaxWithCollections.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, m map<text, boolean>, s set<int>, l list<int>)")
    cql.execute(cql.prepare(f"INSERT INTO {t} JSON ?"), ['{"k": 0, "m": {"a": true, "b": false}, "s": [3, 1, 2], "l": [1, 2, 3]}'])
    m, s, l = one(cql, f"SELECT m, s, l FROM {t}")
    assert (dict(m), list(s), l) == ({"a": True, "b": False}, [1, 2, 3], [1, 2, 3])


def test_json_map_keys_of_other_types_are_strings(cql, t):
    # testInsertJsonSyntaxWithNonNativeMapKeys.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, intmap map<int, boolean>, booleanmap map<boolean, boolean>)")
    cql.execute(cql.prepare(f"INSERT INTO {t} JSON ?"), ['{"k": 0, "intmap": {"0": true, "1": false}}'])
    assert rows(cql, f"SELECT JSON k, intmap FROM {t}") == [('{"k": 0, "intmap": {"0": true, "1": false}}',)]
    cql.execute(cql.prepare(f"INSERT INTO {t} JSON ?"), ['{"k": 0, "booleanmap": {"true": true, "false": false}}'])
    assert rows(cql, f"SELECT JSON k, booleanmap FROM {t}") == [('{"k": 0, "booleanmap": {"false": false, "true": true}}',)]


def test_insert_json_case_sensitive_names(cql, t):
    cql.execute(f'CREATE TABLE {t} (k int primary key, "Foo" int)')
    cql.execute(cql.prepare(f"INSERT INTO {t} JSON ?"), ['{"K": 0, "\\"Foo\\"": 7}'])
    assert rows(cql, f'SELECT k, "Foo" FROM {t}') == [(0, 7)]


def test_from_json_in_values_where_and_set(cql, t):
    # testFromJsonFct: fromJson() can be used wherever the receiver type is known.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, asciival ascii, bigintval bigint, listval list<int>)")
    insert = cql.prepare(f"INSERT INTO {t} (k, asciival, bigintval, listval) VALUES (?, fromJson(?), fromJson(?), fromJson(?))")
    cql.execute(insert, [0, '"ascii \\" text"', '"123123123123"', "[1, 2, 3]"])
    assert one(cql, f"SELECT asciival, bigintval, listval FROM {t} WHERE k = 0") == ('ascii " text', 123123123123, [1, 2, 3])
    assert [tuple(r) for r in cql.execute(cql.prepare(f"SELECT asciival FROM {t} WHERE k = fromJson(?)"), ["0"])] == [
        ('ascii " text',)]


def test_insert_json_of_null_is_refused(cql, kv):
    assert_invalid(cql, cql.prepare(f"INSERT INTO {kv} JSON ?"), "Got null for INSERT JSON values", params=["null"])


def test_insert_json_of_a_non_object_is_refused(cql, kv):
    assert_invalid(cql, cql.prepare(f"INSERT INTO {kv} JSON ?"), "Could not decode JSON string as a map",
                   params=['"notamap"'], exact=False)


def test_insert_json_with_an_unknown_column_is_refused(cql, kv):
    assert_invalid(cql, cql.prepare(f"INSERT INTO {kv} JSON ?"), "JSON values map contains unrecognized column",
                   params=['{"k": 0, "v": 0, "zzz": 0}'], exact=False)


def test_insert_json_with_a_wrong_value_type_is_refused(cql, kv):
    assert_invalid(cql, cql.prepare(f"INSERT INTO {kv} JSON ?"), "Unable to make int from",
                   params=['{"k": 0, "v": "notanint"}'], exact=False)


def test_from_json_in_the_selection_is_refused(cql, kv):
    assert_invalid(cql, f"SELECT fromJson(v) FROM {kv}", "fromJson() cannot be used in the selection clause", exact=False)


def test_to_json_outside_the_selection_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, asciival ascii)")
    assert_invalid(cql, f"UPDATE {t} SET asciival = toJson(0) WHERE k = 0",
                   "toJson() may only be used within the selection clause", exact=False)
    assert_invalid(cql, f"INSERT INTO {t} (k, asciival) VALUES (0, toJson(0))",
                   "toJson() may only be used within the selection clause", exact=False)
