//! An end-to-end scenario against a running Sibyl with the Rust `scylla` driver (1.x) and its
//! defaults: connect, DDL, CRUD with simple and prepared statements, paging, batches and types,
//! once per wire compression (none, lz4, snappy).
//!
//! Usage:
//! - `sibyl-rust-driver-check <host:port> [none|lz4|snappy ...]` (default: all three);
//! - `sibyl-rust-driver-check <host:port> restart`: prepares a statement, prints
//!   `ready for restart`, waits for a line on stdin (the server is restarted meanwhile, and has
//!   forgotten the statement), then executes it: the driver must get UNPREPARED, re-prepare and
//!   retry transparently.
//!
//! Exits 0 on success; prints what failed and exits 1 otherwise.

use std::error::Error;
use std::process::ExitCode;

use futures::TryStreamExt;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::client::Compression;
use scylla::response::PagingState;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::unprepared::Statement;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

fn check(cond: bool, what: impl FnOnce() -> String) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(what().into())
    }
}

async fn scenario(addr: &str, compression: Option<Compression>) -> Result<()> {
    let session: Session = SessionBuilder::new().known_node(addr).compression(compression).build().await?;
    let ks = format!("rust_driver_{}", compression.map_or("none", |c| c.as_str()));

    session.query_unpaged(format!("DROP KEYSPACE IF EXISTS {ks}"), &[]).await?;
    session
        .query_unpaged(
            format!("CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"),
            &[],
        )
        .await?;
    session.query_unpaged(format!("CREATE TABLE {ks}.items (k int, c int, v text, PRIMARY KEY (k, c))"), &[]).await?;
    session.use_keyspace(&ks, false).await?;

    // CRUD with simple statements (values bound by the driver).
    session.query_unpaged("INSERT INTO items (k, c, v) VALUES (?, ?, ?)", (1, 1, "one")).await?;
    session.query_unpaged("UPDATE items SET v = ? WHERE k = ? AND c = ?", ("uno", 1, 1)).await?;
    let rows = session.query_unpaged("SELECT c, v FROM items WHERE k = ?", (1,)).await?.into_rows_result()?;
    let got: Vec<(i32, String)> = rows.rows::<(i32, String)>()?.collect::<std::result::Result<_, _>>()?;
    check(got == vec![(1, "uno".to_string())], || format!("after UPDATE: {got:?}"))?;

    // Prepared statements, with token-aware routing information.
    let insert = session.prepare("INSERT INTO items (k, c, v) VALUES (?, ?, ?)").await?;
    check(insert.is_token_aware() && insert.get_variable_pk_indexes().len() == 1, || {
        "no partition key index in PREPARED".into()
    })?;
    for c in 0..100 {
        session.execute_unpaged(&insert, (2, c, format!("v{c}"))).await?;
    }
    let select_one = session.prepare("SELECT v FROM items WHERE k = ? AND c = ?").await?;
    let (v,): (String,) = session.execute_unpaged(&select_one, (2, 42)).await?.into_rows_result()?.single_row()?;
    check(v == "v42", || format!("prepared SELECT returned {v}"))?;

    // Skip_metadata: the rows come back without metadata and are read with the PREPARED's.
    let mut cached = select_one.clone();
    cached.set_use_cached_result_metadata(true);
    let (v,): (String,) = session.execute_unpaged(&cached, (2, 7)).await?.into_rows_result()?.single_row()?;
    check(v == "v7", || format!("SELECT with cached metadata returned {v}"))?;

    session.query_unpaged("DELETE FROM items WHERE k = ? AND c = ?", (2, 42)).await?;
    let rows = session.execute_unpaged(&select_one, (2, 42)).await?.into_rows_result()?;
    check(rows.rows_num() == 0, || "row still there after DELETE".into())?;

    // Paging: automatic (a stream over pages of 7) and manual (paging state handed back).
    let mut by_page = session.prepare("SELECT c FROM items WHERE k = ?").await?;
    by_page.set_page_size(7);
    let all: Vec<(i32,)> =
        session.execute_iter(by_page.clone(), (2,)).await?.rows_stream::<(i32,)>()?.try_collect().await?;
    let expected: Vec<(i32,)> = (0..100).filter(|c| *c != 42).map(|c| (c,)).collect();
    check(all == expected, || format!("paged SELECT returned {} rows", all.len()))?;

    let mut state = PagingState::start();
    let mut pages = 0;
    let mut seen = 0;
    loop {
        let (result, next) = session.execute_single_page(&by_page, (2,), state).await?;
        pages += 1;
        seen += result.into_rows_result()?.rows_num();
        match next.into_paging_control_flow() {
            std::ops::ControlFlow::Break(()) => break,
            std::ops::ControlFlow::Continue(s) => state = s,
        }
        check(pages < 100, || "paging does not end".into())?;
    }
    check(seen == 99 && pages == 15, || format!("manual paging: {seen} rows in {pages} pages"))?;

    let mut simple_paged = Statement::new("SELECT c, v FROM items WHERE k = 2");
    simple_paged.set_page_size(10);
    let n = session
        .query_iter(simple_paged, &[])
        .await?
        .rows_stream::<(i32, String)>()?
        .try_collect::<Vec<_>>()
        .await?
        .len();
    check(n == 99, || format!("paged simple SELECT returned {n} rows"))?;

    // A logged batch mixing a prepared and a simple statement, and an unlogged one.
    let mut batch = Batch::new(BatchType::Logged);
    batch.append_statement(insert.clone());
    batch.append_statement("INSERT INTO items (k, c, v) VALUES (?, ?, ?)");
    batch.append_statement("UPDATE items SET v = 'updated' WHERE k = 3 AND c = 1");
    session.batch(&batch, ((3, 1, "a"), (3, 2, "b"), ())).await?;
    let mut unlogged = Batch::new(BatchType::Unlogged);
    unlogged.append_statement(insert.clone());
    unlogged.append_statement(insert.clone());
    session.batch(&unlogged, ((3, 3, "c"), (3, 4, "d"))).await?;
    let rows = session.query_unpaged("SELECT c, v FROM items WHERE k = 3", &[]).await?.into_rows_result()?;
    let got: Vec<(i32, String)> = rows.rows::<(i32, String)>()?.collect::<std::result::Result<_, _>>()?;
    let want: Vec<(i32, String)> = vec![(1, "updated".into()), (2, "b".into()), (3, "c".into()), (4, "d".into())];
    check(got == want, || format!("after the batches: {got:?}"))?;

    // Types round-trip through prepared statements.
    session
        .query_unpaged(
            "CREATE TABLE typed (id int PRIMARY KEY, b bigint, d double, f boolean, l list<int>, m map<text, int>)",
            &[],
        )
        .await?;
    let typed = session.prepare("INSERT INTO typed (id, b, d, f, l, m) VALUES (?, ?, ?, ?, ?, ?)").await?;
    let map: std::collections::HashMap<String, i32> = [("x".to_string(), 1)].into();
    session.execute_unpaged(&typed, (1, 1i64 << 40, 2.5f64, true, vec![3, 2, 1], map.clone())).await?;
    type Typed = (i64, f64, bool, Vec<i32>, std::collections::HashMap<String, i32>);
    let row: Typed = session
        .query_unpaged("SELECT b, d, f, l, m FROM typed WHERE id = 1", &[])
        .await?
        .into_rows_result()?
        .single_row()?;
    check(row == (1i64 << 40, 2.5, true, vec![3, 2, 1], map), || format!("typed row: {row:?}"))?;

    session.query_unpaged(format!("DROP KEYSPACE {ks}"), &[]).await?;
    Ok(())
}

/// Prepared statements survive a server restart: the driver re-prepares on UNPREPARED.
async fn restart(addr: &str) -> Result<()> {
    let session: Session = SessionBuilder::new().known_node(addr).build().await?;
    session.query_unpaged("DROP KEYSPACE IF EXISTS rust_driver_restart", &[]).await?;
    session
        .query_unpaged(
            "CREATE KEYSPACE rust_driver_restart WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            &[],
        )
        .await?;
    session.query_unpaged("CREATE TABLE rust_driver_restart.t (k int PRIMARY KEY, v text)", &[]).await?;
    let insert = session.prepare("INSERT INTO rust_driver_restart.t (k, v) VALUES (?, ?)").await?;
    let select = session.prepare("SELECT v FROM rust_driver_restart.t WHERE k = ?").await?;
    session.execute_unpaged(&insert, (1, "before")).await?;

    println!("ready for restart");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;

    // The driver reconnects in the background; until it has, requests fail with a connection error.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        match session.execute_unpaged(&insert, (2, "after")).await {
            Ok(_) => break,
            Err(e) if std::time::Instant::now() < deadline => {
                eprintln!("not reconnected yet: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    for (k, want) in [(1, "before"), (2, "after")] {
        let (v,): (String,) = session.execute_unpaged(&select, (k,)).await?.into_rows_result()?.single_row()?;
        check(v == want, || format!("k={k}: {v}"))?;
    }
    session.query_unpaged("DROP KEYSPACE rust_driver_restart", &[]).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(addr) = args.next() else {
        eprintln!("usage: sibyl-rust-driver-check <host:port> [none|lz4|snappy ...]");
        return ExitCode::from(2);
    };
    let mut modes: Vec<String> = args.collect();
    if modes == ["restart"] {
        return match restart(&addr).await {
            Ok(()) => {
                println!("rust driver restart scenario: ok");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("rust driver restart scenario: FAILED: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if modes.is_empty() {
        modes = vec!["none".into(), "lz4".into(), "snappy".into()];
    }
    let mut failed = false;
    for mode in &modes {
        let compression = match mode.as_str() {
            "none" => None,
            "lz4" => Some(Compression::Lz4),
            "snappy" => Some(Compression::Snappy),
            other => {
                eprintln!("unknown compression {other}");
                return ExitCode::from(2);
            }
        };
        match scenario(&addr, compression).await {
            Ok(()) => println!("rust driver scenario with compression {mode}: ok"),
            Err(e) => {
                eprintln!("rust driver scenario with compression {mode}: FAILED: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
