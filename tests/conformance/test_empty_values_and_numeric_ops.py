"""Empty values in JSON, decimal division, numeric casts to decimal, collection function argument
checks, and ambiguous CAST of a bind marker.

Sources:
- apache/cassandra test/unit/org/apache/cassandra/cql3/EmptyValuesTest.java (INSERT JSON of "" for
  int, bigint, uuid, inet, timestamp, ... stores an empty value; SELECT JSON writes it as "").
- apache/cassandra src/java/org/apache/cassandra/cql3/selection/Selection.java (rowToJson: an empty
  buffer is written as "") and src/java/org/apache/cassandra/db/marshal/*Type.java (fromString("")
  is the empty value).
- apache/cassandra src/java/org/apache/cassandra/db/marshal/DecimalType.java (divide: at least 32
  significant digits, scale between 32 and 1000, HALF_UP, trailing zeros stripped) and
  test/unit/org/apache/cassandra/cql3/functions/OperationFctsTest.java (testDivisionWithDecimals,
  testSingleOperations: 17 / 6 as decimal).
- apache/cassandra src/java/org/apache/cassandra/cql3/functions/CastFcts.java
  (getDecimalConversionFunction) and CastFctsTest.testNoLossOfPrecisionForCastToDecimal.
- apache/cassandra src/java/org/apache/cassandra/cql3/functions/FunctionParameter.java
  (numericSetOrList, setOrList, anyMap, anyCollection messages) and CollectionFctsTest.java.
- apache/cassandra CastFctsTest.testCastsInInsertIntoValues / testCastsInSelectWhereClause
  (CAST(? AS int) is an ambiguous call to system.castAsInt).
"""

from decimal import Decimal

import pytest
from cassandra import FunctionFailure

from .util import assert_invalid, one


@pytest.mark.parametrize(
    "cql_type,function",
    [
        ("int", "intasblob"),
        ("bigint", "bigintasblob"),
        ("uuid", "uuidasblob"),
        ("inet", "inetasblob"),
        ("timestamp", "timestampasblob"),
        ("timeuuid", "timeuuidasblob"),
        ("double", "doubleasblob"),
        ("float", "floatasblob"),
        ("decimal", "decimalasblob"),
    ],
)
def test_insert_json_empty_string_stores_an_empty_value(cql, t, cql_type, function):
    cql.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v {cql_type})")
    cql.execute(f"INSERT INTO {t} JSON '{{\"id\": 1, \"v\": \"\"}}'")
    assert one(cql, f"SELECT {function}(v) FROM {t}") == (b"",)


@pytest.mark.parametrize("cql_type", ["int", "bigint", "uuid", "timestamp", "decimal"])
def test_select_json_writes_an_empty_value_as_an_empty_string(cql, t, cql_type):
    cql.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v {cql_type})")
    cql.execute(f"INSERT INTO {t} (id, v) VALUES (1, blobas{cql_type}(0x))")
    assert one(cql, f"SELECT JSON * FROM {t}") == ('{"id": 1, "v": ""}',)


def test_select_json_of_a_null_is_still_null(cql, t):
    cql.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v int)")
    cql.execute(f"INSERT INTO {t} (id) VALUES (1)")
    assert one(cql, f"SELECT JSON * FROM {t}") == ('{"id": 1, "v": null}',)


def test_decimal_division_keeps_at_least_32_significant_digits(cql, t):
    cql.execute(f"CREATE TABLE {t} (n decimal, d decimal, PRIMARY KEY ((n, d)))")
    cql.execute(f"INSERT INTO {t} (n, d) VALUES (10000, 3)")
    assert one(cql, f"SELECT n / d FROM {t}") == (Decimal("3333.33333333333333333333333333333333"),)


def test_decimal_division_of_a_tiny_quotient_keeps_its_digits(cql, t):
    cql.execute(f"CREATE TABLE {t} (n decimal, d decimal, PRIMARY KEY ((n, d)))")
    cql.execute(f"INSERT INTO {t} (n, d) VALUES (8.5, 200000000000000000000000000000000000)")
    assert one(cql, f"SELECT n / d FROM {t}") == (Decimal("0.0000000000000000000000000000000000425"),)


def test_decimal_division_rounds_half_up_at_scale_32(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, g decimal)")
    cql.execute(f"INSERT INTO {t} (k, g) VALUES (1, 17)")
    assert one(cql, f"SELECT g / 6 FROM {t}") == (Decimal("2.83333333333333333333333333333333"),)


def test_decimal_division_by_zero_fails_with_javas_biginteger_message(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, g decimal, z tinyint)")
    cql.execute(f"INSERT INTO {t} (k, g, z) VALUES (1, 5.5, 0)")
    assert_invalid(
        cql,
        f"SELECT g / z FROM {t}",
        "the operation 'decimal / tinyint' failed: BigInteger divide by zero",
        error=FunctionFailure,
    )


def test_cast_of_bigint_and_varint_to_decimal_loses_no_precision(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, b bigint, v varint)")
    cql.execute(f"INSERT INTO {t} (k, b, v) VALUES (2, 9223372036854775807, 1234567890123456789)")
    assert one(cql, f"SELECT CAST(b AS decimal), CAST(v AS decimal) FROM {t}") == (
        Decimal("9223372036854775807"),
        Decimal("1234567890123456789"),
    )


def test_cast_of_float_to_decimal_uses_the_floats_own_digits(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, f float)")
    cql.execute(f"INSERT INTO {t} (k, f) VALUES (1, 5.2)")
    assert str(one(cql, f"SELECT CAST(f AS decimal) FROM {t}")[0]) == "5.2"


def test_collection_sum_of_a_non_numeric_argument_names_a_numeric_set_or_list(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v uuid, fl frozen<list<text>>)")
    assert_invalid(
        cql,
        f"SELECT collection_sum(v) FROM {t}",
        "Function system.collection_sum requires a numeric set/list argument, but found argument v of type uuid",
    )
    assert_invalid(
        cql,
        f"SELECT collection_avg(fl) FROM {t}",
        "Function system.collection_avg requires a numeric set/list argument, "
        "but found argument fl of type frozen<list<text>>",
    )


def test_map_keys_of_a_non_map_argument_names_a_map(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<int>)")
    assert_invalid(
        cql,
        f"SELECT map_keys(l) FROM {t}",
        "Function system.map_keys requires a map argument, but found argument l of type list<int>",
    )


def test_cast_of_an_untyped_bind_marker_is_ambiguous_at_prepare(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    for query in (f"INSERT INTO {t} (k, v) VALUES (1, CAST(? AS int))", f"SELECT k FROM {t} WHERE k = CAST(? AS int)"):
        with pytest.raises(Exception) as raised:
            cql.prepare(query)
        assert "Ambiguous call to function system.castAsInt" in str(raised.value)


def test_cast_of_a_type_hinted_bind_marker_prepares(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    insert = cql.prepare(f"INSERT INTO {t} (k, v) VALUES (1, CAST((float) ? AS int))")
    cql.execute(insert, [3.4])
    assert one(cql, f"SELECT v FROM {t}") == (3,)
