//! TTLs and write timestamps: `USING TTL`, `default_time_to_live`, `USING TTL 0`, expiry of cells and
//! of row markers, and Cassandra 5.0's limits and messages (`cql3/Attributes.java`,
//! `cql3/validation/operations/TTLTest`).

mod support;

use query::Value;
use support::{int, rows, Tester};

fn now() -> i32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i32
}

#[test]
fn cells_and_rows_expire() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int, w int)");
    let n = now();
    t.exec_at("INSERT INTO t (k, v) VALUES (0, 1) USING TTL 100", n);
    t.exec_at("UPDATE t USING TTL 50 SET w = 2 WHERE k = 0", n);
    assert_eq!(t.rows_at("SELECT v, w, ttl(v), ttl(w) FROM t", n + 10), rows(&[&["1", "2", "90", "40"]]));
    assert_eq!(t.rows_at("SELECT v, w FROM t", n + 50), rows(&[&["1", "null"]]));
    // The row marker expires with the INSERT's TTL: nothing is left.
    assert!(t.rows_at("SELECT * FROM t", n + 100).is_empty());
}

#[test]
fn updated_cells_expire_alone() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int, w int)");
    let n = now();
    t.exec_at("INSERT INTO t (k, v, w) VALUES (0, 1, 1)", n);
    t.exec_at("UPDATE t USING TTL 5 SET v = 2 WHERE k = 0", n);
    assert_eq!(t.rows_at("SELECT k, v, w FROM t", n + 5), rows(&[&["0", "null", "1"]]));
    // An UPDATE does not write a row marker: when its only cell expires the row is gone.
    t.exec_at("UPDATE t USING TTL 5 SET v = 3 WHERE k = 1", n);
    assert_eq!(t.rows_at("SELECT k, v FROM t WHERE k = 1", n + 4), rows(&[&["1", "3"]]));
    assert!(t.rows_at("SELECT k, v FROM t WHERE k = 1", n + 5).is_empty());
}

#[test]
fn default_time_to_live_and_ttl_zero() {
    // TTLTest.testTTLDefaultLimit / Attributes.getTimeToLive
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int) WITH default_time_to_live = 100");
    let n = now();
    t.exec_at("INSERT INTO t (k, v) VALUES (0, 1)", n);
    t.exec_at("INSERT INTO t (k, v) VALUES (1, 1) USING TTL 0", n);
    t.exec_at("INSERT INTO t (k, v) VALUES (2, 1) USING TTL 10", n);
    assert_eq!(
        t.rows_at("SELECT k, ttl(v) FROM t WHERE k IN (0, 1, 2)", n),
        rows(&[&["0", "100"], &["1", "null"], &["2", "10"]])
    );
    assert_eq!(t.rows_at("SELECT k FROM t WHERE k IN (0, 1, 2)", n + 100), rows(&[&["1"]]));
    // A null TTL is no TTL; an unset one is the table's default.
    t.execute("INSERT INTO t (k, v) VALUES (?, 1) USING TTL ?", vec![int(3), Value::Null]).unwrap();
    t.execute("INSERT INTO t (k, v) VALUES (?, 1) USING TTL ?", vec![int(4), Value::Unset]).unwrap();
    let r = t.rows("SELECT k, ttl(v) FROM t WHERE k IN (3, 4)");
    assert_eq!(r[0], ["3", "null"]);
    let ttl: i32 = r[1][1].parse().unwrap();
    assert!((95..=100).contains(&ttl), "{ttl}");
}

#[test]
fn ttl_limits() {
    // TTLTest.testTTLPerRequestLimit
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    assert_eq!(
        t.invalid("INSERT INTO t (k, v) VALUES (0, 0) USING TTL 630720001"),
        "ttl is too large. requested (630720001) maximum (630720000)"
    );
    assert_eq!(
        t.invalid("UPDATE t USING TTL 630720001 SET v = 1 WHERE k = 0"),
        "ttl is too large. requested (630720001) maximum (630720000)"
    );
    assert_eq!(
        t.invalid("INSERT INTO t (k, v) VALUES (0, 0) USING TTL -5"),
        "A TTL must be greater or equal to 0, but was -5"
    );
    assert_eq!(
        t.invalid("INSERT INTO t (k, v) VALUES (0, 0) USING TTL 630720000"),
        "Request on table ks.t with ttl of 630720000 seconds exceeds maximum supported expiration date of \
         2038-01-19T03:14:06+00:00. In order to avoid this use a lower TTL, change the expiration date overflow \
         policy or upgrade to a version where this limitation is fixed. See CASSANDRA-14092 and CASSANDRA-14227 \
         for more details."
    );
    assert_eq!(
        t.invalid("BEGIN BATCH USING TTL 5 INSERT INTO t (k, v) VALUES (0, 0); APPLY BATCH"),
        "Global TTL on the BATCH statement is not supported."
    );
}

#[test]
fn expiry_past_2038_is_refused_as_in_storage_compatibility_mode_cassandra_4() {
    // ExpirationDateOverflowHandling (REJECT) with Cell.MAX_DELETION_TIME_2038_LEGACY_CAP = 2^31 - 2.
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let last = i64::from(i32::MAX) - 1 - now;
    t.exec(&format!("INSERT INTO t (k, v) VALUES (0, 0) USING TTL {}", last - 60));
    let refused = t.invalid(&format!("UPDATE t USING TTL {} SET v = 1 WHERE k = 0", last + 60));
    assert!(
        refused.starts_with(&format!("Request on table ks.t with ttl of {} seconds exceeds", last + 60)),
        "{refused}"
    );
    // A null TTL means none; the table default is checked when no TTL is given.
    t.exec("INSERT INTO t (k, v) VALUES (1, 1) USING TTL 0");
    t.exec("CREATE TABLE d (k int PRIMARY KEY, v int) WITH default_time_to_live = 630720000");
    let refused = t.invalid("INSERT INTO d (k, v) VALUES (0, 0)");
    assert!(refused.starts_with("Request on table ks.d with default ttl of 630720000 seconds exceeds"), "{refused}");
    t.exec("INSERT INTO d (k, v) VALUES (0, 0) USING TTL 0");
    assert!(t.invalid("DELETE FROM d WHERE k = 0").contains("default ttl of 630720000"));
}

#[test]
fn default_ttl_above_twenty_years_is_refused() {
    let mut t = Tester::new();
    let e = t
        .try_exec_with(
            "CREATE TABLE t (k int PRIMARY KEY, v int) WITH default_time_to_live = 630720001",
            vec![],
            Default::default(),
        )
        .unwrap_err();
    assert_eq!(e.to_string(), "default_time_to_live must be less than or equal to 630720000 (got 630720001)");
}

#[test]
fn expiring_collections_and_statics() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, s int static, l list<int>, PRIMARY KEY (k, c))");
    let n = now();
    t.exec_at("INSERT INTO t (k, c, l) VALUES (0, 0, [1]) USING TTL 20", n);
    t.exec_at("UPDATE t USING TTL 10 SET l = l + [2] WHERE k = 0 AND c = 0", n);
    t.exec_at("UPDATE t USING TTL 10 SET s = 5 WHERE k = 0", n);
    assert_eq!(t.rows_at("SELECT s, l FROM t", n + 5), rows(&[&["5", "[1, 2]"]]));
    assert_eq!(t.rows_at("SELECT s, l FROM t", n + 10), rows(&[&["null", "[1]"]]));
    assert!(t.rows_at("SELECT * FROM t", n + 20).is_empty());
}
