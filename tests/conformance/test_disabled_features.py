"""Materialized views, user-defined functions and aggregates, and triggers: what Cassandra 5.0 answers
with its default cassandra.yaml (materialized_views_enabled: false, user_defined_functions_enabled:
false) and no trigger class installed. The statements parse; they fail as Cassandra's do, at the same
step (PREPARE or execution), or do nothing with IF EXISTS.

Sources (apache/cassandra, src/java/org/apache/cassandra/cql3/statements/schema/):
- CreateViewStatement.java (apply: "Materialized views are disabled. Enable in cassandra.yaml to use."
  before any keyspace or table lookup; Raw.prepare: different keyspace, bind variables),
  AlterViewStatement.java and DropViewStatement.java ("Materialized view '%s.%s' doesn't exist").
- CreateFunctionStatement.java and functions/UDFunction.assertUdfsEnabled ("User-defined functions are
  disabled in cassandra.yaml - set user_defined_functions_enabled=true to enable"),
  DropFunctionStatement.java ("Function '%s' doesn't exist").
- CreateAggregateStatement.java ("State function %s doesn't exist"), DropAggregateStatement.java.
- CreateTriggerStatement.java ("Trigger class '%s' couldn't be loaded"), DropTriggerStatement.java
  ("Trigger '%s' on '%s.%s' doesn't exist").
- AlterSchemaStatement.java ("System keyspace '%s' is not user-modifiable"), ClientState.java
  (preventSystemKSSchemaModification: "%s keyspace is not user-modifiable.").
- conf/cassandra.yaml (5.0): the defaults above.
"""

import pytest
from cassandra import InvalidRequest, Unauthorized

from .util import assert_invalid, rows

VIEWS_DISABLED = "Materialized views are disabled. Enable in cassandra.yaml to use."
UDFS_DISABLED = (
    "User-defined functions are disabled in cassandra.yaml - set user_defined_functions_enabled=true to enable")
NO_KEYSPACE = "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename"


@pytest.fixture
def kv(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, PRIMARY KEY (k, c))")
    return t


def test_create_materialized_view_is_disabled(cql, kv):
    assert_invalid(
        cql,
        f"CREATE MATERIALIZED VIEW {kv}_by_v AS SELECT * FROM {kv} "
        "WHERE k IS NOT NULL AND c IS NOT NULL AND v IS NOT NULL PRIMARY KEY (v, k, c) "
        "WITH CLUSTERING ORDER BY (k DESC) AND comment = 'by v'",
        VIEWS_DISABLED)


def test_create_materialized_view_if_not_exists_is_disabled_too(cql, kv):
    assert_invalid(
        cql, f"CREATE MATERIALIZED VIEW IF NOT EXISTS v1 AS SELECT k, c FROM {kv} PRIMARY KEY (k, c)", VIEWS_DISABLED)


def test_views_being_disabled_wins_over_an_unknown_keyspace_or_table(cql):
    assert_invalid(
        cql, "CREATE MATERIALIZED VIEW no_such_ks.v AS SELECT * FROM t WHERE k IS NOT NULL PRIMARY KEY (k)",
        VIEWS_DISABLED)
    assert_invalid(cql, "CREATE MATERIALIZED VIEW v AS SELECT * FROM no_such_table PRIMARY KEY (k)", VIEWS_DISABLED)


def test_a_view_on_a_table_of_another_keyspace_is_refused_at_prepare(cql, ks):
    query = f"CREATE MATERIALIZED VIEW {ks}.v AS SELECT * FROM system.local PRIMARY KEY (key)"
    message = "Cannot create a materialized view on a table in a different keyspace"
    assert_invalid(cql, query, message)
    with pytest.raises(InvalidRequest, match="different keyspace"):
        cql.prepare(query)


def test_a_view_with_bind_markers_is_refused_at_prepare(cql, kv):
    query = f"CREATE MATERIALIZED VIEW v AS SELECT * FROM {kv} WHERE k = ? AND c IS NOT NULL PRIMARY KEY (k, c)"
    with pytest.raises(InvalidRequest, match="Bind variables are not allowed in CREATE MATERIALIZED VIEW statements"):
        cql.prepare(query)


def test_a_view_in_a_system_keyspace_is_unauthorized(cql):
    assert_invalid(
        cql, "CREATE MATERIALIZED VIEW system.v AS SELECT * FROM system.local PRIMARY KEY (key)",
        "system keyspace is not user-modifiable.", error=Unauthorized)


def test_a_view_in_a_replicated_system_keyspace_is_unauthorized(cql):
    assert_invalid(
        cql, "CREATE MATERIALIZED VIEW system_auth.v AS SELECT * FROM system_auth.roles PRIMARY KEY (role)",
        "Cannot ALTER <table system_auth.roles>", error=Unauthorized)


def test_views_of_a_virtual_keyspace_are_system_ones(cql):
    assert_invalid(cql, "DROP MATERIALIZED VIEW system_views.v", "System keyspace 'system_views' is not user-modifiable")


def test_a_view_with_compact_storage_is_a_syntax_error(cql, kv):
    from cassandra.protocol import SyntaxException
    assert_invalid(
        cql, f"CREATE MATERIALIZED VIEW v AS SELECT * FROM {kv} PRIMARY KEY (k, c) WITH COMPACT STORAGE",
        "COMPACT STORAGE tables are not allowed starting with version 4.0", error=SyntaxException, exact=False)


def test_drop_materialized_view_of_a_missing_view(cql, ks):
    assert_invalid(cql, "DROP MATERIALIZED VIEW no_view", f"Materialized view '{ks}.no_view' doesn't exist")
    assert_invalid(cql, "DROP MATERIALIZED VIEW other.no_view", "Materialized view 'other.no_view' doesn't exist")


def test_drop_materialized_view_if_exists_does_nothing(cql):
    assert rows(cql, "DROP MATERIALIZED VIEW IF EXISTS no_view") == []


def test_alter_materialized_view_of_a_missing_view(cql, ks):
    assert_invalid(
        cql, "ALTER MATERIALIZED VIEW no_view WITH comment = 'x'", f"Materialized view '{ks}.no_view' doesn't exist")
    assert rows(cql, "ALTER MATERIALIZED VIEW IF EXISTS no_view WITH comment = 'x'") == []


def test_create_function_is_disabled(cql):
    assert_invalid(
        cql,
        "CREATE FUNCTION plus_one(a int) CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'return a + 1;'",
        UDFS_DISABLED)
    assert_invalid(
        cql,
        "CREATE OR REPLACE FUNCTION f(a text) RETURNS NULL ON NULL INPUT RETURNS text "
        "LANGUAGE javascript AS $$ a $$",
        UDFS_DISABLED)


def test_create_function_with_or_replace_and_if_not_exists(cql):
    assert_invalid(
        cql, "CREATE OR REPLACE FUNCTION IF NOT EXISTS f() CALLED ON NULL INPUT RETURNS int LANGUAGE java AS ''",
        "Cannot use both 'OR REPLACE' and 'IF NOT EXISTS' directives")


def test_drop_function_of_a_missing_function(cql, ks):
    assert_invalid(cql, "DROP FUNCTION no_fn", f"Function '{ks}.no_fn' doesn't exist")
    assert_invalid(cql, "DROP FUNCTION no_fn(int, text)", f"Function '{ks}.no_fn(int, text)' doesn't exist")
    assert rows(cql, "DROP FUNCTION IF EXISTS no_fn(int)") == []


def test_native_functions_cannot_be_dropped(cql):
    assert_invalid(cql, "DROP FUNCTION system.now", "System keyspace 'system' is not user-modifiable")
    assert_invalid(cql, "DROP FUNCTION system.token(int)", "System keyspace 'system' is not user-modifiable")


def test_create_aggregate_without_its_state_function(cql, ks):
    assert_invalid(
        cql, "CREATE AGGREGATE my_sum(int) SFUNC acc STYPE bigint FINALFUNC fin INITCOND 0",
        f"State function {ks}.acc(bigint, int) doesn't exist")


def test_create_aggregate_in_an_unknown_keyspace(cql):
    assert_invalid(cql, "CREATE AGGREGATE no_such_ks.a(int) SFUNC s STYPE int", "Keyspace 'no_such_ks' doesn't exist")


def test_drop_aggregate_of_a_missing_aggregate(cql, ks):
    assert_invalid(cql, "DROP AGGREGATE no_agg", f"Aggregate '{ks}.no_agg' doesn't exist")
    assert_invalid(cql, "DROP AGGREGATE no_agg(int)", f"Aggregate '{ks}.no_agg(int)' doesn't exist")
    assert rows(cql, "DROP AGGREGATE IF EXISTS no_agg") == []


def test_create_trigger_class_cannot_be_loaded(cql, kv):
    assert_invalid(
        cql, f"CREATE TRIGGER audit ON {kv} USING 'org.apache.cassandra.triggers.AuditTrigger'",
        "Trigger class 'org.apache.cassandra.triggers.AuditTrigger' couldn't be loaded")


def test_create_trigger_on_a_missing_table(cql):
    assert_invalid(cql, "CREATE TRIGGER tr ON no_table USING 'x'", "Table 'no_table' doesn't exist")


def test_drop_trigger_of_a_missing_trigger(cql, ks, kv):
    assert_invalid(cql, f"DROP TRIGGER tr ON {kv}", f"Trigger 'tr' on '{ks}.{kv}' doesn't exist")
    assert rows(cql, f"DROP TRIGGER IF EXISTS tr ON {kv}") == []


def test_without_a_keyspace_these_statements_fail_at_prepare(conformance_cluster):
    session = conformance_cluster.connect()
    try:
        for query in ["DROP FUNCTION f", "DROP TRIGGER tr ON t", "DROP MATERIALIZED VIEW v",
                      "CREATE FUNCTION f() CALLED ON NULL INPUT RETURNS int LANGUAGE java AS ''"]:
            with pytest.raises(InvalidRequest) as raised:
                session.prepare(query)
            assert NO_KEYSPACE in str(raised.value), query
    finally:
        session.shutdown()


def test_prepared_drop_answers_when_executed(cql, ks):
    prepared = cql.prepare("DROP FUNCTION no_fn")
    assert_invalid(cql, prepared, f"Function '{ks}.no_fn' doesn't exist")


def test_schema_tables_of_these_objects_are_empty(cql, ks):
    for table in ["views", "functions", "aggregates", "triggers"]:
        assert rows(cql, f"SELECT * FROM system_schema.{table} WHERE keyspace_name = %s", [ks]) == []


def test_describe_functions_and_aggregates_list_nothing(cql):
    assert rows(cql, "DESCRIBE FUNCTIONS") == []
    assert rows(cql, "DESCRIBE AGGREGATES") == []
