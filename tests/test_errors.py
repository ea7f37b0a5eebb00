"""Errors come back with Cassandra 5.0's classes and messages, and leave the connection usable."""

import re

import pytest
from cassandra import AlreadyExists, InvalidRequest
from cassandra.protocol import SyntaxException


@pytest.fixture
def users(session):
    session.execute("CREATE TABLE users (id int PRIMARY KEY, name text, email text)")
    session.execute("INSERT INTO users (id, name, email) VALUES (1, 'Ada', 'ada@example.com')")
    return session


def assert_still_usable(session):
    assert session.execute("SELECT name FROM users WHERE id = 1").one().name == "Ada"


def test_syntax_error_reports_line_and_column(users):
    with pytest.raises(SyntaxException) as error:
        users.execute("SELEC * FROM users")
    assert re.search(r"line 1:\d+", str(error.value)), str(error.value)
    assert_still_usable(users)


def test_syntax_error_in_prepare(users):
    # (Not at the end of the text: Cassandra reports errors at end of input as `line 0:-1`.)
    with pytest.raises(SyntaxException) as error:
        users.prepare("SELECT * FROM users WHER id = ?")
    assert re.search(r"line 1:\d+", str(error.value)), str(error.value)
    assert_still_usable(users)


def test_unknown_column_in_select(users):
    with pytest.raises(InvalidRequest) as error:
        users.execute("SELECT x FROM users")
    assert f"Undefined column name x in table {users.keyspace}.users" in str(error.value)
    assert_still_usable(users)


def test_unknown_column_in_where(users):
    with pytest.raises(InvalidRequest) as error:
        users.execute("SELECT name FROM users WHERE nope = 1")
    assert "Undefined column name nope" in str(error.value)
    assert_still_usable(users)


def test_unknown_keyspace(users):
    with pytest.raises(InvalidRequest) as error:
        users.execute("SELECT * FROM no_such_keyspace.users")
    assert "keyspace no_such_keyspace does not exist" in str(error.value)
    assert_still_usable(users)


def test_unknown_table(users):
    with pytest.raises(InvalidRequest) as error:
        users.execute("SELECT * FROM no_such_table")
    assert "table no_such_table does not exist" in str(error.value)
    assert_still_usable(users)


def test_use_unknown_keyspace(users):
    with pytest.raises(InvalidRequest) as error:
        users.execute("USE no_such_keyspace")
    assert "no_such_keyspace" in str(error.value)
    assert_still_usable(users)


def test_create_keyspace_twice_raises_already_exists(users):
    ks = users.keyspace
    with pytest.raises(AlreadyExists) as error:
        users.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
    assert error.value.keyspace == ks
    assert not error.value.table
    # With IF NOT EXISTS it is not an error.
    users.execute(
        f"CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
    )
    assert_still_usable(users)


def test_create_table_twice_raises_already_exists(users):
    with pytest.raises(AlreadyExists) as error:
        users.execute("CREATE TABLE users (id int PRIMARY KEY)")
    assert (error.value.keyspace, error.value.table) == (users.keyspace, "users")
    users.execute("CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY)")
    assert_still_usable(users)


def test_filtering_without_allow_filtering_is_refused(users):
    with pytest.raises(InvalidRequest) as error:
        users.execute("SELECT * FROM users WHERE name = 'Ada'")
    assert (
        "Cannot execute this query as it might involve data filtering and thus may have unpredictable "
        "performance. If you want to execute this query despite the performance unpredictability, "
        "use ALLOW FILTERING" in str(error.value)
    )
    assert_still_usable(users)


def test_value_of_the_wrong_type_is_refused(users):
    with pytest.raises(InvalidRequest) as error:
        users.execute("INSERT INTO users (id, name) VALUES ('not an int', 'x')")
    assert 'Invalid STRING constant (not an int) for "id" of type int' in str(error.value)
    assert_still_usable(users)


def test_missing_primary_key_is_refused(users):
    with pytest.raises(InvalidRequest) as error:
        users.execute("INSERT INTO users (name) VALUES ('nobody')")
    assert "Some partition key parts are missing: id" in str(error.value)
    assert_still_usable(users)


def test_many_errors_in_a_row_keep_the_connection(users):
    for _ in range(50):
        with pytest.raises((SyntaxException, InvalidRequest)):
            users.execute("SELECT x FROM users")
        with pytest.raises(SyntaxException):
            users.execute("this is not CQL")
    assert_still_usable(users)
