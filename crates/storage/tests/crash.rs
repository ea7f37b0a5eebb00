//! Crash safety of flushes and compactions: a child process (this test binary again, with
//! `SIBYL_CRASH_CHILD` set) writes, flushes and compacts in a loop and is SIGKILLed at a random point,
//! often in the middle of a throttled compaction. After each kill the parent reopens the data and
//! checks that
//!
//! * every acknowledged write is there, and the one in flight is there entirely or not at all;
//! * the SSTables on disk are exactly those of the manifest;
//! * a compaction that was running left either its inputs or its outputs, never both and never
//!   neither (the inputs are all live, or none is).
//!
//! The next child carries on in the same directories, so later kills hit larger compactions, under
//! size-tiered and leveled (several outputs per compaction) strategies.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::ops::Bound;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use storage::{Clock, CompactionParams, LeveledOptions, Storage, StorageConfig, Strategy, TableOptions};
use storage_model::purge::live_view;
use storage_model::{Mutation, TableId};

const CHILD_ENV: &str = "SIBYL_CRASH_CHILD";
const START_ENV: &str = "SIBYL_CRASH_START";
const STRATEGY_ENV: &str = "SIBYL_CRASH_LEVELED";
const TEST_NAME: &str = "an_interrupted_compaction_leaves_the_old_or_the_new_sstables";
const KEYS_PER_STEP: u64 = 100;
const ITERATIONS: usize = 10;

fn the_table() -> TableId {
    table(1)
}

fn crash_config(dir: &Path) -> StorageConfig {
    StorageConfig {
        // Purge every tombstone a compaction sees (gc_grace_seconds is 0 and the clock far ahead).
        clock: Clock::from_fn(|| {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i32;
            now.saturating_add(100_000)
        }),
        compaction_throughput_mib_per_sec: 1,
        ..config(dir)
    }
}

fn table_options(leveled: bool) -> TableOptions {
    let strategy = if leveled {
        Strategy::Leveled(LeveledOptions { sstable_size_bytes: 48 << 10, ..LeveledOptions::default() })
    } else {
        CompactionParams::default().strategy
    };
    // Only the compactions the child asks for run, so that it knows their inputs.
    TableOptions {
        compaction: CompactionParams { strategy, enabled: false, ..CompactionParams::default() },
        gc_grace_seconds: 0,
        ..TableOptions::default()
    }
}

fn key(step: u64, i: u64) -> String {
    format!("s{step:04}-k{i:03}")
}

fn value(step: u64, i: u64) -> String {
    let mut x = (step * 1000 + i).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..400)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

/// Step `s`: writes its keys, deletes the even keys of step `s - 1`, and sets `counter` — one atomic
/// batch.
fn step_batch(t: TableId, s: u64) -> Vec<Mutation> {
    let ts = (s as i64 + 1) * 1000;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i32;
    let mut batch: Vec<Mutation> = (0..KEYS_PER_STEP).map(|i| write(t, &key(s, i), "r", ts, &value(s, i))).collect();
    if s > 0 {
        batch.extend((0..KEYS_PER_STEP).step_by(2).map(|i| delete_partition(t, &key(s - 1, i), ts, now)));
    }
    batch.push(write(t, "counter", "r", ts, &s.to_string()));
    batch
}

/// What the table holds after steps `0..=last`.
fn expected(last: Option<u64>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(last) = last else { return out };
    for s in 0..=last {
        for i in 0..KEYS_PER_STEP {
            if s < last && i % 2 == 0 {
                continue;
            }
            out.insert(key(s, i), value(s, i));
        }
    }
    out.insert("counter".into(), last.to_string());
    out
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The child: steps from `SIBYL_CRASH_START` on, compacting everything after each step, until killed.
fn child(dir: &Path) -> ! {
    let t = the_table();
    let start: u64 = std::env::var(START_ENV).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let leveled = std::env::var(STRATEGY_ENV).is_ok();
    let s = Storage::open(crash_config(dir), &[t]).unwrap();
    s.set_table_options(t, table_options(leveled)).unwrap();
    say("ready");
    for step in start..start + 200 {
        apply(&s, &step_batch(t, step));
        say(&format!("acked {step}"));
        s.flush_table(t).unwrap();
        let inputs = s.sstable_generations(t).unwrap();
        say(&format!("compacting {}", join(&inputs)));
        s.compact_table(t).unwrap();
        say(&format!("compacted {}", join(&s.sstable_generations(t).unwrap())));
    }
    std::process::exit(0);
}

fn join(gens: &[u64]) -> String {
    gens.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(",")
}

fn parse(gens: &str) -> Vec<u64> {
    gens.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect()
}

/// A small deterministic generator of kill delays, seeded from the clock (the seed is printed).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// What the parent saw of one child.
#[derive(Default)]
struct Seen {
    last_acked: Option<u64>,
    /// The inputs of the compaction last started, and whether it finished.
    compacting: Option<(Vec<u64>, bool)>,
}

#[test]
fn an_interrupted_compaction_leaves_the_old_or_the_new_sstables() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let t = the_table();
    let exe = std::env::current_exe().unwrap();
    let mut last_acked: Option<u64> = None;
    let mut killed_mid_compaction = 0;
    let started = Instant::now();
    for iteration in 0..ITERATIONS {
        let next = last_acked.map_or(0, |s| s + 1);
        let mut cmd = Command::new(&exe);
        cmd.args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env(START_ENV, next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if iteration % 2 == 1 {
            cmd.env(STRATEGY_ENV, "1");
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Seen { last_acked, ..Seen::default() };
        let handle = |line: &str, seen: &mut Seen| {
            if let Some(step) = line.strip_prefix("acked ") {
                seen.last_acked = Some(step.parse().unwrap());
            } else if let Some(gens) = line.strip_prefix("compacting ") {
                seen.compacting = Some((parse(gens), false));
            } else if line.starts_with("compacted ") {
                if let Some((_, done)) = seen.compacting.as_mut() {
                    *done = true;
                }
            }
        };
        // Half the kills come at a random moment, half during a compaction.
        let deadline = if iteration % 2 == 0 {
            Instant::now() + Duration::from_millis(150 + rng.below(900))
        } else {
            loop {
                let line = rx.recv_timeout(Duration::from_secs(20)).expect("the child said nothing");
                handle(&line, &mut seen);
                if line.starts_with("compacting ") {
                    break Instant::now() + Duration::from_millis(rng.below(400));
                }
            }
        };
        while let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(wait) {
                Ok(line) => handle(&line, &mut seen),
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the child exited early: {:?}", child.wait()),
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        while let Ok(line) = rx.try_recv() {
            handle(&line, &mut seen);
        }
        if matches!(seen.compacting, Some((_, false))) {
            killed_mid_compaction += 1;
        }

        // Reopen and check.
        let s = Storage::open(crash_config(dir.path()), &[t]).unwrap();
        let live = s.sstable_generations(t).unwrap();
        let mut on_disk: Vec<u64> = files_ending_with(&s.table_dir(t), "-Data.db")
            .iter()
            .map(|f| f.trim_end_matches("-Data.db").parse().unwrap())
            .collect();
        on_disk.sort_unstable();
        assert_eq!(on_disk, live, "iteration {iteration}: SSTables on disk and in the manifest differ");
        if let Some((inputs, done)) = &seen.compacting {
            let still_live: Vec<u64> = inputs.iter().copied().filter(|g| live.contains(g)).collect();
            if *done {
                assert!(
                    still_live.is_empty() || inputs.len() < 2,
                    "iteration {iteration}: inputs {inputs:?} of a finished compaction are live: {live:?}"
                );
            } else {
                assert!(
                    still_live.is_empty() || still_live == *inputs,
                    "iteration {iteration}: part of the inputs {inputs:?} survived: {live:?}"
                );
                if still_live.is_empty() && inputs.len() >= 2 {
                    assert!(
                        !live.is_empty() || expected(seen.last_acked).is_empty(),
                        "iteration {iteration}: neither set is live"
                    );
                }
            }
        }
        let found: BTreeMap<String, String> = s
            .scan(t, Bound::Unbounded, Bound::Unbounded)
            .unwrap()
            .filter_map(|p| {
                let p = live_view(p.unwrap(), NOW);
                let rows = rows_of(&p);
                let key = String::from_utf8_lossy(&p.key).into_owned();
                rows.into_iter().next().map(|(_, v)| (key, v))
            })
            .collect();
        let acked = expected(seen.last_acked);
        let in_flight = expected(Some(seen.last_acked.map_or(0, |s| s + 1)));
        assert!(
            found == acked || found == in_flight,
            "iteration {iteration} (seed {seed}): after step {:?} the table holds {} keys, expected {} (or {})",
            seen.last_acked,
            found.len(),
            acked.len(),
            in_flight.len()
        );
        last_acked = if found == acked { seen.last_acked } else { Some(seen.last_acked.map_or(0, |s| s + 1)) };
        drop(s);
    }
    println!(
        "{ITERATIONS} kills ({killed_mid_compaction} during a compaction) in {:?}, {} steps",
        started.elapsed(),
        last_acked.map_or(0, |s| s + 1)
    );
    assert!(killed_mid_compaction >= 2, "too few kills landed during a compaction: {killed_mid_compaction}");
}
