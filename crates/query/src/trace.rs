//! Request tracing, as Cassandra's `system_traces`: a request sent with the tracing flag runs inside
//! a [`Session`], which collects what the request did (parsing, reading memtables and SSTables,
//! appending to the commitlog…) as timed events. The processor then writes the session and its
//! events to `system_traces.sessions` and `system_traces.events` with the traces' TTL
//! (`QueryProcessor::write_trace`), where drivers and cqlsh read them.
//!
//! The session in progress is thread-local: the processor runs a request synchronously on one
//! thread, so code anywhere below it records with [`event`] without a handle being passed down.
//! When no session is active, [`event`] is one thread-local check and builds no string.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Instant;

use uuid::Uuid;

/// Cassandra's `trace_type_query_ttl`: query traces live one day.
pub const TRACE_TTL_SECONDS: i32 = 86_400;

/// `system_traces.sessions.command` of a query trace (Cassandra's `TraceType.QUERY`).
pub const COMMAND_QUERY: &str = "QUERY";

/// One traced step of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// A timeuuid: events sort by it.
    pub id: Uuid,
    pub activity: String,
    /// Microseconds since the session started.
    pub elapsed_micros: i32,
    pub thread: String,
}

/// A traced request: what `system_traces.sessions` holds about it, and its events.
#[derive(Debug, Clone)]
pub struct Session {
    /// The timeuuid the response carries and the rows are keyed by.
    pub id: Uuid,
    /// Milliseconds since the epoch.
    pub started_at: i64,
    /// The client's address.
    pub client: Option<IpAddr>,
    /// What the request was: `Execute CQL3 query`, `Execute CQL3 prepared query`…
    pub request: String,
    pub parameters: BTreeMap<String, String>,
    pub events: Vec<Event>,
    /// Microseconds from start to end of the request, once it ran.
    pub duration_micros: Option<i32>,
    /// When the session started: event times and the duration count from it.
    start: Instant,
}

/// What the thread records while a session runs.
struct Recorder {
    start: Instant,
    thread: String,
    events: Vec<Event>,
    parameters: Vec<(String, String)>,
}

thread_local! {
    static ACTIVE: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// True while a traced request runs on this thread.
pub fn is_active() -> bool {
    ACTIVE.with(|a| a.borrow().is_some())
}

/// Records a step of the traced request running on this thread; `activity` is only called when one
/// is.
pub fn event(activity: impl FnOnce() -> String) {
    ACTIVE.with(|a| {
        if let Some(r) = a.borrow_mut().as_mut() {
            let elapsed = micros_since(r.start);
            let thread = r.thread.clone();
            r.events.push(Event {
                id: crate::clock::timeuuid(),
                activity: activity(),
                elapsed_micros: elapsed,
                thread,
            });
        }
    })
}

/// Adds parameters to the traced request running on this thread (the processor knows some, such as
/// an EXECUTE's query text and bound values, only once it found the statement).
pub fn parameters(params: impl FnOnce() -> Vec<(String, String)>) {
    ACTIVE.with(|a| {
        if let Some(r) = a.borrow_mut().as_mut() {
            r.parameters.extend(params());
        }
    })
}

fn micros_since(start: Instant) -> i32 {
    start.elapsed().as_micros().min(i32::MAX as u128) as i32
}

/// Takes the recorder off the thread even if the traced code panics.
struct Uninstall;

impl Drop for Uninstall {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.borrow_mut().take());
    }
}

impl Session {
    /// A new session for a request (`request` as Cassandra names it) from `client`.
    pub fn new(request: &str, client: Option<IpAddr>, parameters: BTreeMap<String, String>) -> Session {
        Session {
            id: crate::clock::timeuuid(),
            started_at: crate::clock::now_millis(),
            client,
            request: request.to_string(),
            parameters,
            events: Vec::new(),
            duration_micros: None,
            start: Instant::now(),
        }
    }

    /// Runs `f` traced: events recorded on this thread until it returns belong to this session,
    /// and its duration is set. A session already running on the thread is set aside meanwhile.
    pub fn run<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let start = self.start;
        let thread = std::thread::current().name().unwrap_or("unnamed").to_string();
        let recorder = Recorder { start, thread, events: Vec::new(), parameters: Vec::new() };
        let outer = ACTIVE.with(|a| a.borrow_mut().replace(recorder));
        let result = {
            let _uninstall = Uninstall;
            let result = f();
            if let Some(r) = ACTIVE.with(|a| a.borrow_mut().take()) {
                self.events.extend(r.events);
                self.parameters.extend(r.parameters);
            }
            result
        };
        self.duration_micros = Some(micros_since(start));
        if outer.is_some() {
            ACTIVE.with(|a| *a.borrow_mut() = outer);
        }
        result
    }
}

/// A consistency level's name from its protocol code, as trace parameters spell it.
pub fn consistency_name(code: u16) -> &'static str {
    match code {
        0 => "ANY",
        1 => "ONE",
        2 => "TWO",
        3 => "THREE",
        4 => "QUORUM",
        5 => "ALL",
        6 => "LOCAL_QUORUM",
        7 => "EACH_QUORUM",
        8 => "SERIAL",
        9 => "LOCAL_SERIAL",
        10 => "LOCAL_ONE",
        11 => "NODE_LOCAL",
        _ => "UNKNOWN",
    }
}

/// The parameters Cassandra records for a QUERY or EXECUTE (its query text and bound values are
/// added by the caller or the processor).
pub fn query_parameters(options: &crate::QueryOptions) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    if let Some(size) = options.page_size.filter(|s| *s > 0) {
        p.insert("page_size".to_string(), size.to_string());
    }
    p.insert("consistency_level".to_string(), consistency_name(options.consistency).to_string());
    if let Some(serial) = options.serial_consistency {
        p.insert("serial_consistency_level".to_string(), consistency_name(serial).to_string());
    }
    p
}

/// The parameters Cassandra records for a BATCH.
pub fn batch_parameters(options: &crate::BatchOptions) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    p.insert("consistency_level".to_string(), consistency_name(options.consistency).to_string());
    if let Some(serial) = options.serial_consistency {
        p.insert("serial_consistency_level".to_string(), consistency_name(serial).to_string());
    }
    p
}

/// Tombstones a read went through in a partition: deleted cells, rows, ranges and the partition
/// deletion (what "Read N live rows and M tombstone cells" counts).
pub fn tombstones(p: &storage_model::Partition) -> usize {
    let rows = p.static_row.iter().chain(&p.rows);
    let in_rows: usize = rows
        .map(|r| {
            r.cells.iter().filter(|c| c.cell.value.is_none()).count()
                + r.complex_deletions.len()
                + usize::from(r.deletion.is_some())
        })
        .sum();
    in_rows + p.range_tombstones.len() + usize::from(p.deletion.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_outside_a_session_are_not_recorded_nor_built() {
        assert!(!is_active());
        event(|| panic!("the activity of an untraced request must not be built"));
    }

    #[test]
    fn a_session_collects_the_events_of_its_run_in_order_with_elapsed_times() {
        let mut s = Session::new("Execute CQL3 query", None, BTreeMap::new());
        let out = s.run(|| {
            assert!(is_active());
            event(|| "Parsing SELECT".to_string());
            event(|| "Preparing statement".to_string());
            7
        });
        assert_eq!(out, 7);
        assert!(!is_active());
        let names: Vec<&str> = s.events.iter().map(|e| e.activity.as_str()).collect();
        assert_eq!(names, ["Parsing SELECT", "Preparing statement"]);
        assert_ne!(s.events[0].id, s.events[1].id);
        assert!(s.events[0].elapsed_micros <= s.events[1].elapsed_micros);
        assert!(s.duration_micros.unwrap() >= s.events[1].elapsed_micros);
    }

    #[test]
    fn session_ids_are_timeuuids() {
        let s = Session::new("Execute CQL3 query", None, BTreeMap::new());
        assert_eq!(s.id.get_version_num(), 1);
    }

    #[test]
    fn parameters_added_during_the_run_join_the_session() {
        let mut p = BTreeMap::new();
        p.insert("consistency_level".to_string(), "ONE".to_string());
        let mut s = Session::new("Execute CQL3 prepared query", None, p);
        s.run(|| parameters(|| vec![("query".into(), "SELECT 1".into())]));
        assert_eq!(s.parameters.get("query").map(String::as_str), Some("SELECT 1"));
        assert_eq!(s.parameters.get("consistency_level").map(String::as_str), Some("ONE"));
    }

    #[test]
    fn a_panic_in_a_traced_run_leaves_no_session_behind() {
        let mut s = Session::new("Execute CQL3 query", None, BTreeMap::new());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.run(|| panic!("boom"))));
        assert!(r.is_err());
        assert!(!is_active());
    }

    #[test]
    fn query_parameters_name_the_consistency_and_a_positive_page_size() {
        let options = crate::QueryOptions {
            consistency: 6,
            page_size: Some(100),
            serial_consistency: Some(9),
            ..Default::default()
        };
        let p = query_parameters(&options);
        assert_eq!(p["consistency_level"], "LOCAL_QUORUM");
        assert_eq!(p["page_size"], "100");
        assert_eq!(p["serial_consistency_level"], "LOCAL_SERIAL");
        let p = query_parameters(&crate::QueryOptions { page_size: Some(-1), ..Default::default() });
        assert!(!p.contains_key("page_size"));
    }
}
