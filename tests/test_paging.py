"""Paging: fetch_size pages, completeness, order, and paging_state carried to another session."""

import struct

import pytest
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.metadata import Murmur3Token
from cassandra.query import SimpleStatement

ROWS = 10_000
PAGE = 100

pytestmark = pytest.mark.timeout(300)


def fill_single_partition(session):
    session.execute("CREATE TABLE wide (p int, c int, v text, PRIMARY KEY (p, c))")
    insert = session.prepare("INSERT INTO wide (p, c, v) VALUES (?, ?, ?)")
    execute_concurrent_with_args(session, insert, [(0, c, f"v{c}") for c in range(ROWS)], concurrency=64)


def fill_many_partitions(session, partitions=1_000, per_partition=10):
    session.execute("CREATE TABLE spread (p int, c int, v int, PRIMARY KEY (p, c))")
    insert = session.prepare("INSERT INTO spread (p, c, v) VALUES (?, ?, ?)")
    args = [(p, c, p * per_partition + c) for p in range(partitions) for c in range(per_partition)]
    execute_concurrent_with_args(session, insert, args, concurrency=64)


def pages_of(session, statement, parameters=None, paging_state=None):
    """Every page of a paged query, as lists of rows."""
    result = session.execute(statement, parameters, paging_state=paging_state)
    pages = [list(result.current_rows)]
    while result.has_more_pages:
        result.fetch_next_page()
        pages.append(list(result.current_rows))
    return pages


def assert_full_pages(pages, total):
    sizes = [len(p) for p in pages]
    full, rest = divmod(total, PAGE)
    expected = [PAGE] * full + ([rest] if rest else [])
    # Cassandra may answer one trailing empty page when the last page was exactly full.
    assert sizes[: len(expected)] == expected, sizes
    assert all(s == 0 for s in sizes[len(expected):]), sizes


def token(p):
    return Murmur3Token.from_key(struct.pack(">i", p)).value


def test_single_partition_pages_return_every_row_once_in_clustering_order(session):
    fill_single_partition(session)
    pages = pages_of(session, SimpleStatement("SELECT c, v FROM wide WHERE p = 0", fetch_size=PAGE))
    assert_full_pages(pages, ROWS)
    rows = [row for page in pages for row in page]
    assert [r.c for r in rows] == list(range(ROWS))
    assert all(r.v == f"v{r.c}" for r in rows)


def test_prepared_statement_pages(session):
    fill_single_partition(session)
    select = session.prepare("SELECT c FROM wide WHERE p = ?")
    select.fetch_size = PAGE
    pages = pages_of(session, select, [0])
    assert_full_pages(pages, ROWS)
    assert [r.c for page in pages for r in page] == list(range(ROWS))


def test_iterating_a_result_fetches_every_page(session):
    fill_single_partition(session)
    result = session.execute(SimpleStatement("SELECT c FROM wide WHERE p = 0 AND c >= 5000", fetch_size=PAGE))
    assert [r.c for r in result] == list(range(5000, ROWS))


def test_full_table_scan_pages_return_every_row_once_in_token_order(session):
    fill_many_partitions(session)
    pages = pages_of(session, SimpleStatement("SELECT * FROM spread", fetch_size=PAGE))
    assert_full_pages(pages, ROWS)
    rows = [row for page in pages for row in page]
    keys = [(r.p, r.c) for r in rows]
    assert len(set(keys)) == ROWS
    assert all(r.v == r.p * 10 + r.c for r in rows)
    # Cassandra returns partitions in token order, rows within a partition in clustering order.
    assert keys == sorted(keys, key=lambda k: (token(k[0]), k[1]))


def test_limit_across_pages(session):
    fill_single_partition(session)
    pages = pages_of(session, SimpleStatement("SELECT c FROM wide WHERE p = 0 LIMIT 250", fetch_size=PAGE))
    assert [r.c for page in pages for r in page] == list(range(250))
    assert [len(p) for p in pages if p] == [100, 100, 50]


def test_paging_state_resumes_on_a_new_session(sibyl, session):
    fill_single_partition(session)
    query = f"SELECT c FROM {session.keyspace}.wide WHERE p = 0"
    first = session.execute(SimpleStatement(query, fetch_size=PAGE))
    first_page = [r.c for r in first.current_rows]
    assert first_page == list(range(PAGE))
    assert first.has_more_pages and first.paging_state

    other_cluster = sibyl.cluster()
    try:
        other = other_cluster.connect()
        pages = pages_of(other, SimpleStatement(query, fetch_size=PAGE), paging_state=first.paging_state)
        rest = [r.c for page in pages for r in page]
        assert rest == list(range(PAGE, ROWS))
    finally:
        other_cluster.shutdown()


def test_paging_state_resumes_a_full_table_scan_on_a_new_session(sibyl, session):
    fill_many_partitions(session, partitions=100, per_partition=7)
    query = f"SELECT p, c FROM {session.keyspace}.spread"
    everything = [tuple(r) for r in session.execute(SimpleStatement(query, fetch_size=PAGE))]
    first = session.execute(SimpleStatement(query, fetch_size=PAGE))
    head = [tuple(r) for r in first.current_rows]

    other_cluster = sibyl.cluster()
    try:
        other = other_cluster.connect()
        pages = pages_of(other, SimpleStatement(query, fetch_size=PAGE), paging_state=first.paging_state)
        tail = [tuple(r) for page in pages for r in page]
    finally:
        other_cluster.shutdown()
    assert head + tail == everything
    assert len(everything) == 700
