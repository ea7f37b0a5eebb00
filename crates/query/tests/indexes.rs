//! Secondary indexes: CREATE/DROP INDEX and their checks, system_schema.indexes, DESCRIBE, queries
//! answered through legacy and storage-attached indexes (kept true under overwrites, deletes and
//! TTLs), and vector ANN ordering. Expectations are Cassandra 5.0's.

mod support;

use query::Error;
use support::{rows, Tester};

const FILTERING: &str = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING";

fn sorted(mut r: Vec<Vec<String>>) -> Vec<Vec<String>> {
    r.sort();
    r
}

fn indexed_table() -> Tester {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, v int, w int, PRIMARY KEY (k, c))");
    for k in 0..5 {
        for c in 0..3 {
            t.exec(&format!("INSERT INTO t (k, c, v, w) VALUES ({k}, {c}, {}, {})", (k + c) % 3, k));
        }
    }
    t
}

#[test]
fn create_index_takes_the_default_name_and_shows_in_system_schema() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (v)");
    assert_eq!(
        t.rows("SELECT index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = 'ks'"),
        rows(&[&["'t_v_idx'", "'COMPOSITES'", "{'target': 'v'}"]])
    );
}

#[test]
fn default_names_are_deduplicated_with_a_counter() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, m map<int, text>)");
    t.exec("CREATE INDEX ON t (keys(m))");
    t.exec("CREATE INDEX ON t (values(m))");
    t.exec("CREATE INDEX ON t (entries(m))");
    assert_eq!(
        t.rows("SELECT index_name, options FROM system_schema.indexes WHERE keyspace_name = 'ks'"),
        rows(&[
            &["'t_m_idx'", "{'target': 'keys(m)'}"],
            &["'t_m_idx_1'", "{'target': 'values(m)'}"],
            &["'t_m_idx_2'", "{'target': 'entries(m)'}"],
        ])
    );
}

#[test]
fn a_duplicate_index_is_refused_unless_if_not_exists() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX i1 ON t (v)");
    assert_eq!(t.invalid("CREATE INDEX i2 ON t (v)"), "Index i2 is a duplicate of existing index i1");
    assert_eq!(t.invalid("CREATE INDEX ON t (v)"), "Index t_v_idx is a duplicate of existing index i1");
    t.exec("CREATE INDEX IF NOT EXISTS i2 ON t (v)");
    assert_eq!(t.invalid("CREATE INDEX i1 ON t (w)"), "Index 'i1' already exists");
    t.exec("CREATE INDEX IF NOT EXISTS i1 ON t (w)");
    assert_eq!(t.rows("SELECT index_name FROM system_schema.indexes WHERE keyspace_name = 'ks'").len(), 1);
}

#[test]
fn create_index_refuses_what_cassandra_refuses() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int, l list<int>, fl frozen<list<int>>, d duration, m map<int, int>)");
    t.exec("CREATE TABLE c (k int PRIMARY KEY, n counter)");
    t.exec("CREATE TABLE p (a int, b int, v int, PRIMARY KEY ((a, b)))");
    assert_eq!(t.invalid("CREATE INDEX ON t (k)"), "Cannot create secondary index on the only partition key column k");
    assert_eq!(t.invalid("CREATE INDEX ON c (n)"), "Secondary indexes on counter tables aren't supported");
    assert_eq!(
        t.invalid("CREATE INDEX ON t (fl)"),
        "Cannot create values() index on frozen column fl. Frozen collections are immutable and must be fully indexed by using the 'full(fl)' modifier"
    );
    assert_eq!(t.invalid("CREATE INDEX ON t (full(l))"), "full() indexes can only be created on frozen collections");
    assert_eq!(
        t.invalid("CREATE INDEX ON t (keys(v))"),
        "Cannot create keys() index on v. Non-collection columns only support simple indexes"
    );
    assert_eq!(t.invalid("CREATE INDEX ON t (keys(l))"), "Cannot create index on keys of column l with non-map type");
    assert_eq!(t.invalid("CREATE INDEX ON t (d)"), "Secondary indexes are not supported on duration columns");
    assert_eq!(t.invalid("CREATE INDEX ON t (x)"), "Undefined column name x in table ks.t");
    assert_eq!(t.invalid("CREATE INDEX ON nope (v)"), "Table 'nope' doesn't exist");
    assert_eq!(t.invalid("CREATE INDEX ON t (v, m)"), "Only CUSTOM indexes support multiple columns");
    assert_eq!(
        t.invalid("CREATE INDEX ON t (v) WITH OPTIONS = {'a': 'b'}"),
        "Cannot specify options for a non-CUSTOM index"
    );
    assert_eq!(
        t.error("CREATE CUSTOM INDEX ON t (v) USING 'org.example.Nope'"),
        Error::Config("Unable to find custom indexer class 'org.example.Nope'".into())
    );
    // An index on a component of a composite partition key is allowed.
    t.exec("CREATE INDEX ON p (a)");
}

#[test]
fn sai_indexes_are_custom_and_keep_the_class_as_written() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (v) USING 'sai'");
    t.exec("CREATE CUSTOM INDEX wi ON t (w) USING 'StorageAttachedIndex'");
    assert_eq!(
        t.rows("SELECT index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = 'ks'"),
        rows(&[
            &["'t_v_idx'", "'CUSTOM'", "{'class_name': 'sai', 'target': 'v'}"],
            &["'wi'", "'CUSTOM'", "{'class_name': 'StorageAttachedIndex', 'target': 'w'}"],
        ])
    );
    assert_eq!(
        t.invalid("CREATE INDEX other ON t (v) USING 'StorageAttachedIndex'"),
        "Cannot create more than one storage-attached index on the same column: v"
    );
    assert_eq!(
        t.error("CREATE INDEX ON t (c) USING 'sai' WITH OPTIONS = {'foo': 'bar'}"),
        Error::Config("Properties specified [foo] are not understood by StorageAttachedIndex".into())
    );
}

#[test]
fn drop_index_removes_it_and_reports_a_missing_one() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX i ON t (v)");
    t.exec("DROP INDEX i");
    assert!(t.rows("SELECT index_name FROM system_schema.indexes WHERE keyspace_name = 'ks'").is_empty());
    assert_eq!(t.invalid("DROP INDEX i"), "Index 'ks.i' doesn't exist'");
    t.exec("DROP INDEX IF EXISTS i");
    assert_eq!(t.invalid("SELECT * FROM t WHERE v = 1"), FILTERING);
}

#[test]
fn an_indexed_column_cannot_be_dropped_and_dropping_the_table_drops_its_indexes() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (v)");
    assert_eq!(
        t.invalid("ALTER TABLE t DROP v"),
        "Cannot drop column v because it has dependent secondary indexes (t_v_idx)"
    );
    t.exec("ALTER TABLE t ADD x int");
    assert_eq!(t.rows("SELECT k, c FROM t WHERE k = 0 AND v = 0"), rows(&[&["0", "0"]]));
    t.exec("DROP TABLE t");
    assert!(t.rows("SELECT index_name FROM system_schema.indexes WHERE keyspace_name = 'ks'").is_empty());
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("CREATE INDEX ON t (v)");
}

#[test]
fn describe_lists_the_index_after_its_table() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (v)");
    t.exec("CREATE INDEX vec ON t (w) USING 'sai'");
    let described = t.rows("DESCRIBE TABLE t");
    let names: Vec<(String, String)> = described.iter().map(|r| (r[1].clone(), r[2].clone())).collect();
    assert_eq!(
        names,
        [
            ("'table'".to_string(), "'t'".to_string()),
            ("'index'".to_string(), "'t_v_idx'".to_string()),
            ("'index'".to_string(), "'vec'".to_string())
        ]
    );
    assert_eq!(described[1][3], "'CREATE INDEX t_v_idx ON ks.t (v);'");
    assert_eq!(described[2][3], "'CREATE CUSTOM INDEX vec ON ks.t (w) USING ''sai'';'");
    assert_eq!(t.rows("DESCRIBE INDEX t_v_idx"), vec![described[1].clone()]);
    assert_eq!(t.rows("DESCRIBE vec"), vec![described[2].clone()]);
    assert_eq!(t.rows("DESCRIBE KEYSPACE ks").len(), 4);
}

#[test]
fn an_equality_on_an_indexed_column_needs_no_filtering_and_keeps_scan_order() {
    let mut t = indexed_table();
    assert_eq!(t.invalid("SELECT k, c FROM t WHERE v = 1"), FILTERING);
    t.exec("CREATE INDEX ON t (v)");
    let indexed = t.rows("SELECT k, c, v FROM t WHERE v = 1");
    assert_eq!(indexed.len(), 5);
    assert_eq!(indexed, t.rows("SELECT k, c, v FROM t WHERE v = 1 ALLOW FILTERING"));
    let scan: Vec<Vec<String>> = t.rows("SELECT k, c, v FROM t").into_iter().filter(|r| r[2] == "1").collect();
    assert_eq!(indexed, scan);
    assert_eq!(t.rows("SELECT k, c FROM t WHERE k = 1 AND v = 1"), rows(&[&["1", "0"]]));
    assert_eq!(t.rows("SELECT count(*) FROM t WHERE v = 1"), rows(&[&["5"]]));
    assert_eq!(
        t.rows("SELECT k, c FROM t WHERE v = 1 LIMIT 2"),
        indexed[..2].iter().map(|r| r[..2].to_vec()).collect::<Vec<_>>()
    );
}

#[test]
fn the_index_is_built_from_existing_rows_and_follows_writes() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (v)");
    // overwrite: the old value no longer matches
    t.exec("UPDATE t SET v = 7 WHERE k = 0 AND c = 0");
    assert_eq!(t.rows("SELECT k, c FROM t WHERE v = 7"), rows(&[&["0", "0"]]));
    assert!(!t.rows("SELECT k, c FROM t WHERE v = 0").contains(&vec!["0".to_string(), "0".to_string()]));
    // delete a row, a cell, a partition
    t.exec("DELETE FROM t WHERE k = 0 AND c = 0");
    assert!(t.rows("SELECT k, c FROM t WHERE v = 7").is_empty());
    t.exec("INSERT INTO t (k, c, v) VALUES (9, 9, 7)");
    t.exec("DELETE v FROM t WHERE k = 9 AND c = 9");
    assert!(t.rows("SELECT k, c FROM t WHERE v = 7").is_empty());
    t.exec("INSERT INTO t (k, c, v) VALUES (9, 9, 7)");
    t.exec("DELETE FROM t WHERE k = 9");
    assert!(t.rows("SELECT k, c FROM t WHERE v = 7").is_empty());
}

#[test]
fn an_expired_value_is_no_longer_found() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("CREATE INDEX ON t (v)");
    t.exec_at("INSERT INTO t (k, v) VALUES (1, 5) USING TTL 10", 1_000_000);
    assert_eq!(t.rows_at("SELECT k FROM t WHERE v = 5", 1_000_005), rows(&[&["1"]]));
    assert!(t.rows_at("SELECT k FROM t WHERE v = 5", 1_000_011).is_empty());
}

#[test]
fn indexes_survive_a_restart() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (v)");
    let before = t.rows("SELECT k, c FROM t WHERE v = 2");
    let mut t = t.reopen();
    t.exec("USE ks");
    assert_eq!(t.rows("SELECT k, c FROM t WHERE v = 2"), before);
    t.exec("INSERT INTO t (k, c, v) VALUES (10, 0, 2)");
    assert_eq!(t.rows("SELECT k, c FROM t WHERE v = 2").len(), before.len() + 1);
}

#[test]
fn other_restrictions_with_a_legacy_index_need_allow_filtering() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (v)");
    t.exec("CREATE INDEX ON t (w)");
    assert_eq!(t.invalid("SELECT * FROM t WHERE v = 1 AND w = 2"), FILTERING);
    assert_eq!(t.invalid("SELECT * FROM t WHERE v = 1 AND c = 2"), FILTERING);
    assert_eq!(t.invalid("SELECT * FROM t WHERE v > 1"), FILTERING);
    assert_eq!(t.rows("SELECT k, c FROM t WHERE v = 1 AND w = 2 ALLOW FILTERING"), rows(&[&["2", "2"]]));
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE k IN (1, 2) AND v = 1"),
        "Select on indexed columns and with IN clause for the PRIMARY KEY are not supported"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE k = 1 AND v = 1 ORDER BY c DESC"),
        "ORDER BY with 2ndary indexes is not supported."
    );
}

#[test]
fn sai_indexes_answer_their_restrictions_together_and_ranges() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (v) USING 'sai'");
    t.exec("CREATE INDEX ON t (w) USING 'sai'");
    assert_eq!(t.rows("SELECT k, c FROM t WHERE v = 1 AND w = 2"), rows(&[&["2", "2"]]));
    let ranged = t.rows("SELECT k, c FROM t WHERE w >= 3 AND v < 1");
    assert_eq!(ranged, t.rows("SELECT k, c FROM t WHERE w >= 3 AND v < 1 ALLOW FILTERING"));
    assert_eq!(sorted(ranged), rows(&[&["3", "0"], &["4", "2"]]));
    t.exec("CREATE TABLE s (k int PRIMARY KEY, name text)");
    t.exec("CREATE INDEX ON s (name) USING 'sai'");
    t.exec("INSERT INTO s (k, name) VALUES (1, 'a')");
    assert_eq!(t.rows("SELECT k FROM s WHERE name = 'a'"), rows(&[&["1"]]));
    assert_eq!(t.invalid("SELECT k FROM s WHERE name > 'a'"), FILTERING);
}

#[test]
fn collection_indexes_answer_contains_contains_key_and_entries() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>, f frozen<list<int>>)");
    t.exec("INSERT INTO t (k, l, s, m, f) VALUES (1, [1, 2], {'a'}, {'x': 1, 'y': 2}, [1, 2])");
    t.exec("INSERT INTO t (k, l, s, m, f) VALUES (2, [2, 3], {'b'}, {'y': 3}, [2, 3])");
    t.exec("CREATE INDEX ON t (l)");
    t.exec("CREATE INDEX ON t (s)");
    t.exec("CREATE INDEX ON t (keys(m))");
    t.exec("CREATE INDEX ON t (entries(m))");
    t.exec("CREATE INDEX ON t (full(f))");
    assert_eq!(sorted(t.rows("SELECT k FROM t WHERE l CONTAINS 2")), rows(&[&["1"], &["2"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE l CONTAINS 3"), rows(&[&["2"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE s CONTAINS 'a'"), rows(&[&["1"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE m CONTAINS KEY 'x'"), rows(&[&["1"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE m['y'] = 3"), rows(&[&["2"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE f = [2, 3]"), rows(&[&["2"]]));
    assert_eq!(t.invalid("SELECT k FROM t WHERE m CONTAINS 1"), FILTERING);
    t.exec("UPDATE t SET l = l - [3] WHERE k = 2");
    assert!(t.rows("SELECT k FROM t WHERE l CONTAINS 3").is_empty());
}

#[test]
fn key_and_static_column_indexes() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (a int, b int, c int, s int static, v int, PRIMARY KEY ((a, b), c))");
    for a in 0..3 {
        for c in 0..2 {
            t.exec(&format!("INSERT INTO t (a, b, c, s, v) VALUES ({a}, {a}, {c}, {}, {c})", a * 10));
        }
    }
    t.exec("CREATE INDEX ON t (a)");
    t.exec("CREATE INDEX ON t (c)");
    t.exec("CREATE INDEX ON t (s)");
    assert_eq!(t.rows("SELECT a, c FROM t WHERE a = 1"), rows(&[&["1", "0"], &["1", "1"]]));
    assert_eq!(t.rows("SELECT a, c FROM t WHERE s = 20"), rows(&[&["2", "0"], &["2", "1"]]));
    assert_eq!(t.rows("SELECT a, c FROM t WHERE c = 1").len(), 3);
    assert_eq!(t.rows("SELECT a, c FROM t WHERE c = 1"), t.rows("SELECT a, c FROM t WHERE c = 1 ALLOW FILTERING"));
}

#[test]
fn index_queries_page_through_every_row_once() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (v)");
    let all = t.rows("SELECT k, c FROM t WHERE v = 0");
    let pages = t.pages("SELECT k, c FROM t WHERE v = 0", 2);
    assert!(pages.len() >= 3);
    assert_eq!(pages.concat(), all);
}

fn vectors() -> Tester {
    let mut t = Tester::new();
    t.exec("CREATE TABLE v (pk int PRIMARY KEY, str_val text, val vector<float, 3>)");
    t.exec("INSERT INTO v (pk, str_val, val) VALUES (0, 'A', [1.0, 2.0, 3.0])");
    t.exec("INSERT INTO v (pk, str_val, val) VALUES (1, 'B', [2.0, 3.0, 4.0])");
    t.exec("INSERT INTO v (pk, str_val, val) VALUES (2, 'C', [3.0, 4.0, 5.0])");
    t.exec("INSERT INTO v (pk, str_val, val) VALUES (3, 'D', [4.0, 5.0, 6.0])");
    t
}

#[test]
fn ann_orders_by_similarity_and_takes_the_limit() {
    let mut t = vectors();
    assert_eq!(
        t.invalid("SELECT * FROM v ORDER BY val ANN OF [2.5, 3.5, 4.5] LIMIT 5"),
        "ANN ordering by vector requires the column to be indexed"
    );
    t.exec("CREATE CUSTOM INDEX ON v (val) USING 'StorageAttachedIndex' WITH OPTIONS = {'similarity_function': 'euclidean'}");
    assert_eq!(
        t.rows("SELECT str_val FROM v ORDER BY val ANN OF [3.9, 5.0, 6.0] LIMIT 3"),
        rows(&[&["'D'"], &["'C'"], &["'B'"]])
    );
    assert_eq!(t.rows("SELECT pk FROM v ORDER BY val ANN OF [1.0, 2.0, 3.1] LIMIT 1"), rows(&[&["0"]]));
    t.exec("CREATE INDEX ON v (str_val) USING 'sai'");
    assert_eq!(
        t.rows("SELECT pk FROM v WHERE str_val = 'B' ORDER BY val ANN OF [1.0, 2.0, 3.1] LIMIT 3"),
        rows(&[&["1"]])
    );
}

#[test]
fn ann_is_refused_as_cassandra_refuses_it() {
    let mut t = vectors();
    t.exec("CREATE INDEX ON v (val) USING 'sai'");
    assert_eq!(
        t.invalid("SELECT * FROM v ORDER BY val ANN OF [2.5, 3.5, 4.5]"),
        "Top-K queries must have a limit specified and the limit must be less than the query page size"
    );
    assert_eq!(
        t.invalid("SELECT * FROM v ORDER BY val ANN OF [2.5, 3.5, 4.5] PER PARTITION LIMIT 1 LIMIT 3"),
        "Top-K queries do not support per-partition limits"
    );
    assert_eq!(
        t.invalid("SELECT count(*) FROM v ORDER BY val ANN OF [2.5, 3.5, 4.5] LIMIT 3"),
        "Top-K queries can not be run with aggregation"
    );
    assert_eq!(
        t.invalid("SELECT * FROM v ORDER BY val ANN OF [2.5, 3.5, 4.5] LIMIT 1001"),
        "Use of ANN OF in an ORDER BY clause requires a LIMIT that is not greater than 1000. LIMIT was 1001"
    );
    assert_eq!(
        t.invalid("SELECT * FROM v ORDER BY val ANN OF [2.5, 3.5, 4.5] DESC LIMIT 2"),
        "Descending ANN ordering is not supported"
    );
    assert_eq!(
        t.invalid("SELECT * FROM v ORDER BY str_val ANN OF [2.5, 3.5, 4.5] LIMIT 2"),
        "ANN ordering is only supported on float vector indexes"
    );
    assert_eq!(
        t.invalid("SELECT * FROM v WHERE str_val = 'A' ORDER BY val ANN OF [2.5, 3.5, 4.5] LIMIT 2"),
        "ANN ordering by vector requires all restricted column(s) to be indexed"
    );
    assert_eq!(t.invalid("SELECT * FROM v WHERE val = [1.0, 2.0, 3.0]"), "Vector indexes only support ANN queries");
    assert!(t.invalid("SELECT * FROM v ORDER BY val ANN OF [2.5, 3.5] LIMIT 5").contains("expected 3 elements"));
    t.exec("CREATE TABLE w (pk int, ck int, val vector<float, 3>, PRIMARY KEY (pk, ck))");
    t.exec("CREATE INDEX ON w (val) USING 'sai'");
    assert_eq!(
        t.invalid("SELECT * FROM w ORDER BY val ANN OF [2.5, 3.5, 4.5], ck ASC LIMIT 2"),
        "ANN ordering does not support secondary ordering"
    );
}

#[test]
fn truncate_empties_the_table_and_its_index() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (v)");
    t.exec("TRUNCATE t");
    assert!(t.rows("SELECT k FROM t WHERE v = 1").is_empty());
    t.exec("INSERT INTO t (k, c, v) VALUES (1, 1, 1)");
    assert_eq!(t.rows("SELECT k, c FROM t WHERE v = 1"), rows(&[&["1", "1"]]));
}

#[test]
fn an_index_on_a_clustering_column_answers_a_gap_in_the_clustering_key() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c1 int, c2 int, v int, PRIMARY KEY (k, c1, c2))");
    for c1 in 0..2 {
        for c2 in 0..2 {
            t.exec(&format!("INSERT INTO t (k, c1, c2, v) VALUES (0, {c1}, {c2}, 0)"));
        }
    }
    assert_eq!(
        t.invalid("SELECT c1 FROM t WHERE k = 0 AND c2 = 1"),
        "PRIMARY KEY column \"c2\" cannot be restricted as preceding column \"c1\" is not restricted"
    );
    t.exec("CREATE INDEX ON t (c2)");
    assert_eq!(t.rows("SELECT c1 FROM t WHERE k = 0 AND c2 = 1"), rows(&[&["0"], &["1"]]));
    assert_eq!(t.rows("SELECT c1 FROM t WHERE c2 = 1"), rows(&[&["0"], &["1"]]));
}

#[test]
fn a_partition_with_only_a_static_row_is_found_through_a_static_index() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, s int static, v int, PRIMARY KEY (k, c))");
    t.exec("CREATE INDEX ON t (s)");
    t.exec("INSERT INTO t (k, s) VALUES (1, 5)");
    assert_eq!(t.rows("SELECT k, c, s FROM t WHERE s = 5"), rows(&[&["1", "null", "5"]]));
}

#[test]
fn prepared_index_and_ann_queries_bind_their_values() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (v)");
    let bound = t.execute_rows("SELECT k, c FROM t WHERE v = ?", vec![support::int(1)]);
    assert_eq!(bound, t.rows("SELECT k, c FROM t WHERE v = 1"));
    let mut t = vectors();
    t.exec("CREATE INDEX ON v (val) USING 'sai'");
    let mut vector = Vec::new();
    for f in [4.0f32, 5.0, 6.0] {
        vector.extend_from_slice(&f.to_be_bytes());
    }
    let nearest = t.execute_rows(
        "SELECT pk FROM v ORDER BY val ANN OF ? LIMIT ?",
        vec![query::Value::Bytes(vector.into()), support::int(2)],
    );
    assert_eq!(nearest, rows(&[&["3"], &["2"]]));
}

#[test]
fn an_sai_index_that_ignores_case_matches_any_case() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, name text)");
    t.exec("INSERT INTO t (k, name) VALUES (1, 'Camel')");
    t.exec("INSERT INTO t (k, name) VALUES (2, 'camel')");
    t.exec("INSERT INTO t (k, name) VALUES (3, 'horse')");
    assert_eq!(t.rows("SELECT k FROM t WHERE name = 'CAMEL' ALLOW FILTERING"), rows(&[]));
    t.exec("CREATE INDEX ON t (name) USING 'sai' WITH OPTIONS = {'case_sensitive': false}");
    assert_eq!(sorted(t.rows("SELECT k FROM t WHERE name = 'CAMEL'")), rows(&[&["1"], &["2"]]));
    t.exec("INSERT INTO t (k, name) VALUES (4, 'CaMeL')");
    assert_eq!(t.rows("SELECT k FROM t WHERE name = 'camel'").len(), 3);
}

#[test]
fn index_pages_can_end_inside_a_partition() {
    let mut t = indexed_table();
    t.exec("CREATE INDEX ON t (w)");
    let pages = t.pages("SELECT k, c FROM t WHERE w = 2", 2);
    assert_eq!(pages, vec![rows(&[&["2", "0"], &["2", "1"]]), rows(&[&["2", "2"]])]);
    assert_eq!(t.rows("SELECT k, c FROM t WHERE w = 2 PER PARTITION LIMIT 1"), rows(&[&["2", "0"]]));
}

#[test]
fn a_qualified_index_name_must_match_the_table_keyspace() {
    let mut t = indexed_table();
    t.exec("CREATE KEYSPACE other WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    t.exec("CREATE INDEX ks.vi ON t (v)");
    assert_eq!(t.invalid("CREATE INDEX other.wi ON ks.t (w)"), "Keyspace name 'ks' doesn't match index name 'ks.t'");
    t.exec("USE other");
    t.exec("CREATE INDEX ks.wi ON t (w)");
    assert_eq!(
        t.rows("SELECT index_name FROM system_schema.indexes WHERE keyspace_name = 'ks'"),
        rows(&[&["'vi'"], &["'wi'"]])
    );
}

#[test]
fn a_clustering_index_finds_a_row_kept_alive_by_an_older_cell() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, a int, b int, PRIMARY KEY (k, c))");
    t.exec("CREATE INDEX ON t (c)");
    t.exec_at("UPDATE t USING TIMESTAMP 1 SET a = 1 WHERE k = 0 AND c = 5", 1_000_000);
    t.exec_at("INSERT INTO t (k, c, b) VALUES (0, 5, 2) USING TIMESTAMP 2 AND TTL 10", 1_000_000);
    assert_eq!(t.rows_at("SELECT k, a, b FROM t WHERE c = 5", 1_000_020), rows(&[&["0", "1", "null"]]));
}

#[test]
fn sai_ranges_read_the_value_ordered_entries_and_skip_stale_ones() {
    let mut t = Tester::new();
    // `t` is indexed, its twin `u` is not: filtering `u` gives the expected rows, in order.
    for table in ["t", "u"] {
        t.exec(&format!("CREATE TABLE {table} (k int, c int, d double, s bigint static, PRIMARY KEY (k, c))"));
        for k in 0..6 {
            t.exec(&format!("INSERT INTO {table} (k, s) VALUES ({k}, {})", k * 100 - 250));
            for c in 0..4 {
                t.exec(&format!("INSERT INTO {table} (k, c, d) VALUES ({k}, {c}, {})", (k * 4 + c) as f64 / 2.0 - 5.0));
            }
        }
        if table == "t" {
            // half the rows written before the indexes exist, half after
            t.exec("CREATE INDEX ON t (d) USING 'sai'");
            t.exec("CREATE INDEX ON t (s) USING 'sai'");
        }
        t.exec(&format!("UPDATE {table} SET d = 100.0 WHERE k = 2 AND c = 1"));
        t.exec(&format!("INSERT INTO {table} (k, c, d) VALUES (7, 0, -4.5)"));
        t.exec(&format!("DELETE FROM {table} WHERE k = 0 AND c = 0"));
    }
    for q in [
        "SELECT k, c, d FROM {} WHERE d > -1.5 AND d <= 2",
        "SELECT k, c, d FROM {} WHERE d < -4",
        "SELECT k, c, d FROM {} WHERE d >= 50",
        "SELECT k, c FROM {} WHERE s > -100 AND s < 200",
        "SELECT k, c FROM {} WHERE s >= 250",
    ] {
        let indexed = t.rows(&q.replace("{}", "t"));
        assert!(!indexed.is_empty(), "{q}");
        assert_eq!(indexed, t.rows(&format!("{} ALLOW FILTERING", q.replace("{}", "u"))), "{q}");
    }
    assert_eq!(t.rows("SELECT k, c FROM t WHERE d >= 50"), rows(&[&["2", "1"]]));
    assert_eq!(t.rows("SELECT k, c FROM t WHERE d = 100"), rows(&[&["2", "1"]]));
}

#[test]
fn ann_through_a_legacy_index_is_not_answered_by_the_index() {
    let mut t = vectors();
    t.exec("CREATE INDEX ON v (val)");
    assert_eq!(t.invalid("SELECT pk FROM v ORDER BY val ANN OF [1.0, 2.0, 3.0] LIMIT 1"), FILTERING);
}

#[test]
fn ann_warns_when_it_downgrades_the_consistency_level_or_grows_the_page() {
    let mut t = vectors();
    t.exec("CREATE INDEX ON v (val) USING 'sai'");
    let q = "SELECT pk FROM v ORDER BY val ANN OF [1.0, 2.0, 3.0] LIMIT 3";
    let run = |t: &mut Tester, consistency: u16, page_size: Option<i32>| {
        let options = query::QueryOptions { consistency, page_size, ..Default::default() };
        t.processor.query(&mut t.state, q, &options)
    };
    let outcome = run(&mut t, 4, None).unwrap();
    assert_eq!(
        outcome.warnings,
        ["Top-K queries can only be run with consistency level ONE / LOCAL_ONE / NODE_LOCAL. Consistency level QUORUM was requested. Downgrading the consistency level to ONE."]
    );
    let outcome = run(&mut t, 10, Some(2)).unwrap();
    assert_eq!(
        outcome.warnings,
        ["Top-K queries do not support paging and the page size is set to 2, which is less than LIMIT 3. The page size has been set to 3 to match the LIMIT."]
    );
    match outcome.result {
        query::QueryResult::Rows(r) => assert_eq!((r.rows.len(), r.metadata.paging_state), (3, None)),
        other => panic!("{other:?}"),
    }
    assert!(run(&mut t, 1, None).unwrap().warnings.is_empty());
    assert_eq!(
        run(&mut t, 8, None).err(),
        Some(Error::invalid(
            "Top-K queries can only be run with consistency level ONE/LOCAL_ONE. Consistency level SERIAL was used."
        ))
    );
}

/// The entries of index `index` of table `ks.table` under index partition `key` that are live now.
fn live_entries(t: &Tester, table: &str, index: &str, key: &[u8]) -> usize {
    let schema = t.processor.schema();
    let table = schema.keyspaces["ks"].tables[table].clone();
    let id = table.indexes.iter().find(|i| i.name == index).unwrap().storage_id;
    let now = i32::MAX - 1;
    let Some(p) = t.processor.storage().read_partition(id, key).unwrap() else { return 0 };
    let p = storage_model::purge::live_view(p, now);
    p.rows.iter().filter(|r| r.liveness.is_some_and(|l| l.ttl == 0)).count()
}

/// The index partition of an int value.
fn int_key(v: i32) -> Vec<u8> {
    cql_types::key::storage_key(&v.to_be_bytes())
}

#[test]
fn a_query_on_an_overwritten_value_deletes_its_stale_entry() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("CREATE INDEX vi ON t (v)");
    t.exec("INSERT INTO t (k, v) VALUES (1, 5)");
    t.exec("UPDATE t SET v = 6 WHERE k = 1");
    assert_eq!(live_entries(&t, "t", "vi", &int_key(5)), 1);
    assert!(t.rows("SELECT k FROM t WHERE v = 5").is_empty());
    assert_eq!(live_entries(&t, "t", "vi", &int_key(5)), 0);
    assert_eq!(live_entries(&t, "t", "vi", &int_key(6)), 1);
    assert_eq!(t.rows("SELECT k FROM t WHERE v = 6"), rows(&[&["1"]]));
    assert_eq!(live_entries(&t, "t", "vi", &int_key(6)), 1);
}

#[test]
fn a_value_written_again_after_its_stale_entry_was_deleted_is_found() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("CREATE INDEX vi ON t (v)");
    for _ in 0..3 {
        t.exec("UPDATE t SET v = 5 WHERE k = 1");
        assert_eq!(t.rows("SELECT k FROM t WHERE v = 5"), rows(&[&["1"]]));
        t.exec("UPDATE t SET v = 6 WHERE k = 1");
        assert!(t.rows("SELECT k FROM t WHERE v = 5").is_empty());
        assert_eq!(t.rows("SELECT k FROM t WHERE v = 6"), rows(&[&["1"]]));
    }
    assert_eq!(live_entries(&t, "t", "vi", &int_key(5)), 0);
}

#[test]
fn the_deletion_of_a_stale_entry_takes_the_entry_timestamp() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("CREATE INDEX vi ON t (v)");
    t.exec("UPDATE t USING TIMESTAMP 10 SET v = 5 WHERE k = 1");
    t.exec("UPDATE t USING TIMESTAMP 20 SET v = 6 WHERE k = 1");
    assert!(t.rows("SELECT k FROM t WHERE v = 5").is_empty());
    // Older than the value it would replace: still not the row's value.
    t.exec("UPDATE t USING TIMESTAMP 15 SET v = 5 WHERE k = 1");
    assert!(t.rows("SELECT k FROM t WHERE v = 5").is_empty());
    // Newer than the deleted entry (10) and than the value (20): found again.
    t.exec("UPDATE t USING TIMESTAMP 30 SET v = 5 WHERE k = 1");
    assert_eq!(t.rows("SELECT k FROM t WHERE v = 5"), rows(&[&["1"]]));
    assert_eq!(live_entries(&t, "t", "vi", &int_key(5)), 1);
}

#[test]
fn a_query_as_of_a_later_time_deletes_no_entry() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))");
    t.exec("CREATE INDEX ci ON t (c)");
    t.exec("INSERT INTO t (k, c, v) VALUES (1, 5, 0) USING TTL 1000");
    let later = i32::MAX - 10;
    assert!(t.rows_at("SELECT k FROM t WHERE c = 5", later).is_empty());
    assert_eq!(t.rows("SELECT k FROM t WHERE c = 5"), rows(&[&["1"]]));
}

#[test]
fn stale_entries_of_deleted_rows_and_removed_elements_are_deleted_by_reads() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, s set<int>, PRIMARY KEY (k, c))");
    t.exec("CREATE INDEX ci ON t (c)");
    t.exec("CREATE INDEX si ON t (s)");
    t.exec("INSERT INTO t (k, c, s) VALUES (1, 5, {7, 8})");
    t.exec("INSERT INTO t (k, c, s) VALUES (2, 5, {7})");
    t.exec("UPDATE t SET s = s - {7} WHERE k = 1 AND c = 5");
    assert_eq!(t.rows("SELECT k FROM t WHERE s CONTAINS 7"), rows(&[&["2"]]));
    assert_eq!(live_entries(&t, "t", "si", &int_key(7)), 1);
    assert_eq!(t.rows("SELECT k FROM t WHERE s CONTAINS 8"), rows(&[&["1"]]));
    t.exec("DELETE FROM t WHERE k = 1 AND c = 5");
    t.exec("DELETE FROM t WHERE k = 2");
    assert!(t.rows("SELECT k FROM t WHERE c = 5").is_empty());
    assert_eq!(live_entries(&t, "t", "ci", &int_key(5)), 0);
    t.exec("INSERT INTO t (k, c) VALUES (2, 5)");
    assert_eq!(t.rows("SELECT k FROM t WHERE c = 5"), rows(&[&["2"]]));
}

#[test]
fn paging_over_stale_entries_returns_every_live_row_once_and_deletes_them() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))");
    t.exec("CREATE INDEX vi ON t (v)");
    for k in 0..8 {
        for c in 0..3 {
            t.exec(&format!("INSERT INTO t (k, c, v) VALUES ({k}, {c}, 1)"));
        }
    }
    for k in 0..8 {
        for c in 0..3 {
            if (k + c) % 2 == 0 {
                t.exec(&format!("UPDATE t SET v = 2 WHERE k = {k} AND c = {c}"));
            }
        }
    }
    let expected = t.rows("SELECT k, c FROM t WHERE v = 1 ALLOW FILTERING");
    for page_size in [1, 2, 5] {
        assert_eq!(t.pages("SELECT k, c FROM t WHERE v = 1", page_size).concat(), expected, "{page_size}");
    }
    assert_eq!(live_entries(&t, "t", "vi", &int_key(1)), expected.len());
}

#[test]
fn stale_value_ordered_entries_are_deleted_by_range_reads() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("CREATE INDEX vi ON t (v) USING 'sai'");
    t.exec("INSERT INTO t (k, v) VALUES (1, 1)");
    t.exec("INSERT INTO t (k, v) VALUES (2, 2)");
    t.exec("UPDATE t SET v = 3 WHERE k = 1");
    assert_eq!(live_entries(&t, "t", "vi", &[0xFF]), 3);
    assert_eq!(sorted(t.rows("SELECT k, v FROM t WHERE v > 0")), rows(&[&["1", "3"], &["2", "2"]]));
    assert_eq!(live_entries(&t, "t", "vi", &[0xFF]), 2);
}

#[test]
fn deleted_stale_entries_stay_deleted_after_a_restart() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("CREATE INDEX vi ON t (v)");
    t.exec("INSERT INTO t (k, v) VALUES (1, 5)");
    t.exec("UPDATE t SET v = 6 WHERE k = 1");
    assert!(t.rows("SELECT k FROM t WHERE v = 5").is_empty());
    let t = t.reopen();
    assert_eq!(live_entries(&t, "t", "vi", &int_key(5)), 0);
    assert_eq!(live_entries(&t, "t", "vi", &int_key(6)), 1);
}

#[test]
fn rows_under_a_range_tombstone_are_not_found_and_their_entries_are_deleted() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))");
    t.exec("CREATE INDEX vi ON t (v)");
    for c in 0..5 {
        t.exec(&format!("INSERT INTO t (k, c, v) VALUES (0, {c}, 1)"));
    }
    t.exec("DELETE FROM t WHERE k = 0 AND c >= 2");
    assert_eq!(t.rows("SELECT c FROM t WHERE v = 1"), rows(&[&["0"], &["1"]]));
    assert_eq!(live_entries(&t, "t", "vi", &int_key(1)), 2);
    t.exec("INSERT INTO t (k, c, v) VALUES (0, 3, 1)");
    assert_eq!(t.rows("SELECT c FROM t WHERE v = 1"), rows(&[&["0"], &["1"], &["3"]]));
}

#[test]
fn key_column_indexes_of_composite_and_descending_keys_keep_their_valid_entries() {
    let mut t = Tester::new();
    t.exec(
        "CREATE TABLE t (a int, b int, c1 int, c2 int, v int, PRIMARY KEY ((a, b), c1, c2)) \
         WITH CLUSTERING ORDER BY (c1 DESC, c2 DESC)",
    );
    t.exec("CREATE INDEX bi ON t (b)");
    t.exec("CREATE INDEX c2i ON t (c2)");
    for a in 0..3 {
        for c1 in 0..2 {
            for c2 in 0..2 {
                t.exec(&format!("INSERT INTO t (a, b, c1, c2, v) VALUES ({a}, 7, {c1}, {c2}, 0)"));
            }
        }
    }
    for _ in 0..2 {
        assert_eq!(t.rows("SELECT a FROM t WHERE b = 7").len(), 12);
        let filtered = sorted(t.rows("SELECT a, c1 FROM t WHERE c2 = 1 ALLOW FILTERING"));
        assert_eq!(sorted(t.rows("SELECT a, c1 FROM t WHERE c2 = 1")), filtered);
    }
    assert_eq!(live_entries(&t, "t", "bi", &int_key(7)), 3);
    assert_eq!(live_entries(&t, "t", "c2i", &int_key(1)), 6);
    t.exec("DELETE FROM t WHERE a = 1 AND b = 7");
    t.exec("DELETE FROM t WHERE a = 2 AND b = 7 AND c1 = 0");
    assert_eq!(t.rows("SELECT a FROM t WHERE b = 7").len(), 6);
    assert_eq!(sorted(t.rows("SELECT a, c1 FROM t WHERE c2 = 1")), rows(&[&["0", "0"], &["0", "1"], &["2", "1"]]));
    assert_eq!(live_entries(&t, "t", "bi", &int_key(7)), 2);
    assert_eq!(live_entries(&t, "t", "c2i", &int_key(1)), 3);
}

#[test]
fn a_static_index_finds_the_static_row_of_a_partition_without_rows_until_the_partition_is_deleted() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, s int static, v int, PRIMARY KEY (k, c))");
    t.exec("CREATE INDEX si ON t (s)");
    t.exec("INSERT INTO t (k, c, s, v) VALUES (1, 1, 5, 0)");
    t.exec("INSERT INTO t (k, c, s, v) VALUES (2, 1, 5, 0)");
    t.exec("DELETE FROM t WHERE k = 1 AND c = 1");
    assert_eq!(
        t.rows("SELECT k, c, s FROM t WHERE s = 5"),
        t.rows("SELECT k, c, s FROM t WHERE s = 5 ALLOW FILTERING")
    );
    assert_eq!(live_entries(&t, "t", "si", &int_key(5)), 2);
    t.exec("DELETE FROM t WHERE k = 1");
    t.exec("UPDATE t SET s = 6 WHERE k = 2");
    assert!(t.rows("SELECT k FROM t WHERE s = 5").is_empty());
    assert_eq!(live_entries(&t, "t", "si", &int_key(5)), 0);
    assert_eq!(t.rows("SELECT k, c, s FROM t WHERE s = 6"), rows(&[&["2", "1", "6"]]));
}

#[test]
fn an_expired_value_overwritten_without_ttl_stays_found() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("CREATE INDEX vi ON t (v)");
    t.exec_at("INSERT INTO t (k, v) VALUES (1, 5) USING TTL 10", 1_000_000);
    t.exec_at("UPDATE t SET v = 5 WHERE k = 1", 1_000_001);
    assert_eq!(t.rows_at("SELECT k FROM t WHERE v = 5", 1_000_020), rows(&[&["1"]]));
    t.exec_at("UPDATE t USING TTL 10 SET v = 6 WHERE k = 1", 1_000_030);
    assert_eq!(t.rows_at("SELECT k FROM t WHERE v = 6", 1_000_035), rows(&[&["1"]]));
    assert!(t.rows_at("SELECT k FROM t WHERE v = 6", 1_000_045).is_empty());
    assert!(t.rows_at("SELECT k FROM t WHERE v = 5", 1_000_045).is_empty());
}

#[test]
fn map_indexes_follow_overwritten_and_removed_elements() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, m map<text, int>)");
    t.exec("CREATE INDEX ON t (keys(m))");
    t.exec("CREATE INDEX ON t (values(m))");
    t.exec("CREATE INDEX ON t (entries(m))");
    t.exec("INSERT INTO t (k, m) VALUES (1, {'x': 1, 'y': 1})");
    t.exec("UPDATE t SET m['x'] = 2 WHERE k = 1");
    assert!(t.rows("SELECT k FROM t WHERE m['x'] = 1").is_empty());
    assert_eq!(t.rows("SELECT k FROM t WHERE m['x'] = 2"), rows(&[&["1"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE m CONTAINS 1"), rows(&[&["1"]]));
    t.exec("DELETE m['y'] FROM t WHERE k = 1");
    assert!(t.rows("SELECT k FROM t WHERE m CONTAINS 1").is_empty());
    assert!(t.rows("SELECT k FROM t WHERE m CONTAINS KEY 'y'").is_empty());
    t.exec("UPDATE t SET m = {'z': 1} WHERE k = 1");
    assert!(t.rows("SELECT k FROM t WHERE m CONTAINS KEY 'x'").is_empty());
    assert_eq!(t.rows("SELECT k FROM t WHERE m CONTAINS 1"), rows(&[&["1"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE m CONTAINS KEY 'z'"), rows(&[&["1"]]));
}

#[test]
fn index_tables_keep_no_tombstones_past_compaction() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int) WITH gc_grace_seconds = 3600");
    t.exec("CREATE INDEX vi ON t (v)");
    let schema = t.processor.schema();
    let id = schema.keyspaces["ks"].tables["t"].indexes[0].storage_id;
    let storage = t.processor.storage();
    assert_eq!(storage.table_options(id).unwrap().gc_grace_seconds, 0);
    t.exec("INSERT INTO t (k, v) VALUES (1, 5)");
    t.exec("UPDATE t SET v = 6 WHERE k = 1");
    t.processor.storage().flush_table(id).unwrap();
    // Read as of a minute ago, so the deletion is already older than the (zero) grace period.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i32;
    assert!(t.rows_at("SELECT k FROM t WHERE v = 5", now - 60).is_empty());
    let storage = t.processor.storage();
    assert_eq!(storage.read_partition(id, &int_key(5)).unwrap().map(|p| p.rows.len()), Some(1));
    storage.flush_table(id).unwrap();
    storage.compact_table(id).unwrap();
    assert_eq!(storage.read_partition(id, &int_key(5)).unwrap().map(|p| p.rows.len()).unwrap_or(0), 0);
    assert_eq!(live_entries(&t, "t", "vi", &int_key(6)), 1);
}
