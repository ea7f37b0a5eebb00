//! Random sequences of writes, deletions, flushes, compactions, truncations and reopens, checked after
//! every step against a simple in-memory model of what a read must return.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use common::*;
use proptest::prelude::*;
use storage::{Storage, SyncMode};
use storage_model::purge::live_view;
use storage_model::TableId;

#[derive(Debug, Clone)]
enum Op {
    Write {
        key: u8,
        row: u8,
        ts: i64,
        value: u8,
    },
    DeleteRow {
        key: u8,
        row: u8,
        ts: i64,
    },
    DeletePartition {
        key: u8,
        ts: i64,
    },
    Flush,
    Compact,
    Truncate,
    /// Reopen after a clean shutdown, or after dropping the engine as a crash would.
    Reopen {
        clean: bool,
    },
}

const KEYS: u8 = 4;

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (0..KEYS, 0u8..3, 1i64..20, 0u8..4).prop_map(|(key, row, ts, value)| Op::Write { key, row, ts, value }),
        3 => (0..KEYS, 0u8..3, 1i64..20).prop_map(|(key, row, ts)| Op::DeleteRow { key, row, ts }),
        2 => (0..KEYS, 1i64..20).prop_map(|(key, ts)| Op::DeletePartition { key, ts }),
        3 => Just(Op::Flush),
        1 => Just(Op::Compact),
        1 => Just(Op::Truncate),
        2 => any::<bool>().prop_map(|clean| Op::Reopen { clean }),
    ]
}

/// What a read must see: the newest cell per row unless a newer-or-equal deletion covers it.
#[derive(Default)]
struct Model {
    partition_deletions: HashMap<u8, i64>,
    row_deletions: HashMap<(u8, u8), i64>,
    cells: BTreeMap<(u8, u8), (i64, u8)>,
}

impl Model {
    fn write(&mut self, key: u8, row: u8, ts: i64, value: u8) {
        let cell = self.cells.entry((key, row)).or_insert((ts, value));
        *cell = (*cell).max((ts, value));
    }

    fn delete_row(&mut self, key: u8, row: u8, ts: i64) {
        let d = self.row_deletions.entry((key, row)).or_insert(ts);
        *d = (*d).max(ts);
    }

    fn delete_partition(&mut self, key: u8, ts: i64) {
        let d = self.partition_deletions.entry(key).or_insert(ts);
        *d = (*d).max(ts);
    }

    fn visible(&self, key: u8) -> Vec<(String, String)> {
        self.cells
            .range((key, 0)..(key + 1, 0))
            .filter(|((k, r), (ts, _))| {
                let deleted = self
                    .partition_deletions
                    .get(k)
                    .copied()
                    .max(self.row_deletions.get(&(*k, *r)).copied())
                    .unwrap_or(i64::MIN);
                *ts > deleted
            })
            .map(|((_, r), (_, v))| (format!("r{r}"), format!("v{v}")))
            .collect()
    }
}

fn key_name(key: u8) -> String {
    format!("key{key}")
}

fn open(dir: &std::path::Path, t: TableId, purging: bool) -> Storage {
    let mut cfg = config(dir);
    cfg.sync = SyncMode::Periodic { period: std::time::Duration::from_secs(60) };
    cfg.memtable_flush_threshold_bytes = 1500;
    cfg.compaction_threshold = 3;
    let s = Storage::open(cfg, &[t]).unwrap();
    if purging {
        s.set_gc_grace_seconds(t, 0).unwrap();
    }
    s
}

fn check(s: &Storage, t: TableId, model: &Model, step: usize, op: &Op) -> Result<(), TestCaseError> {
    for key in 0..KEYS {
        prop_assert_eq!(read(s, t, &key_name(key)), model.visible(key), "key {} after step {}: {:?}", key, step, op);
    }
    Ok(())
}

fn run(ops: Vec<Op>, purging: bool) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let mut s = open(dir.path(), t, purging);
    let mut model = Model::default();
    // When purging, deletions are written long ago so that compaction may drop them at once;
    // otherwise now, so that they stay within gc_grace_seconds for the whole test.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i32;
    let deleted_at = if purging { 1000 } else { now };
    for (step, op) in ops.iter().enumerate() {
        // When purging, timestamps only grow: a write older than a purged tombstone would rightly
        // reappear, which this model does not describe.
        let ts = |ts: i64| if purging { step as i64 + 1 } else { ts };
        match op.clone() {
            Op::Write { key, row, ts: t0, value } => {
                apply(&s, &[write(t, &key_name(key), &format!("r{row}"), ts(t0), &format!("v{value}"))]);
                model.write(key, row, ts(t0), value);
            }
            Op::DeleteRow { key, row, ts: t0 } => {
                apply(&s, &[delete_row(t, &key_name(key), &format!("r{row}"), ts(t0), deleted_at)]);
                model.delete_row(key, row, ts(t0));
            }
            Op::DeletePartition { key, ts: t0 } => {
                apply(&s, &[delete_partition(t, &key_name(key), ts(t0), deleted_at)]);
                model.delete_partition(key, ts(t0));
            }
            Op::Flush => s.flush_table(t).unwrap(),
            Op::Compact => s.compact_table(t).unwrap(),
            Op::Truncate => {
                s.truncate_table(t).unwrap();
                model = Model::default();
            }
            Op::Reopen { clean } => {
                if clean {
                    s.shutdown().unwrap();
                }
                drop(s);
                s = open(dir.path(), t, purging);
            }
        }
        check(&s, t, &model, step, op)?;
    }
    s.wait_for_background_work();
    s.health().unwrap();
    let scanned: Vec<(String, Vec<(String, String)>)> = s
        .scan(t, Bound::Unbounded, Bound::Unbounded)
        .unwrap()
        .map(|p| {
            let p = live_view(p.unwrap(), NOW);
            (String::from_utf8_lossy(&p.key).into_owned(), rows_of(&p))
        })
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    let expected: Vec<(String, Vec<(String, String)>)> =
        (0..KEYS).map(|k| (key_name(k), model.visible(k))).filter(|(_, rows)| !rows.is_empty()).collect();
    prop_assert_eq!(scanned, expected);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_reads_what_the_model_predicts(ops in proptest::collection::vec(arb_op(), 1..40)) {
        run(ops, false)?;
    }

    #[test]
    fn the_engine_reads_what_the_model_predicts_while_compaction_purges_tombstones(
        ops in proptest::collection::vec(arb_op(), 1..40)
    ) {
        run(ops, true)?;
    }
}
