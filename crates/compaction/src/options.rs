//! Compaction settings: the strategies' options and their translation from the map a table's
//! `compaction = {...}` option holds, validated as Cassandra 5.0 validates it.

use std::collections::BTreeMap;
use std::fmt;

/// Cassandra's default `min_threshold`.
pub const DEFAULT_MIN_THRESHOLD: usize = 4;
/// Cassandra's default `max_threshold`.
pub const DEFAULT_MAX_THRESHOLD: usize = 32;
/// Cassandra's default `sstable_size_in_mb` for leveled compaction.
pub const DEFAULT_LEVELED_SSTABLE_SIZE_MIB: u64 = 160;
/// Cassandra's default `fanout_size` for leveled compaction.
pub const DEFAULT_FANOUT: u32 = 10;

const MIB: u64 = 1024 * 1024;

/// How a table's SSTables are compacted, with the options common to every strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactionParams {
    pub strategy: Strategy,
    /// Background compactions run (`enabled`, default true). Major compactions run regardless.
    pub enabled: bool,
    /// Fewest SSTables a size-tiered bucket (or the current time window) needs (`min_threshold`, 4).
    pub min_threshold: usize,
    /// Most SSTables merged at once (`max_threshold`, 32).
    pub max_threshold: usize,
    /// Sibyl's own `compaction_threshold`, size-tiered only: when a table has more than this many
    /// SSTables and no bucket qualifies, all of them are merged (bounds read amplification when sizes
    /// are too spread out to bucket). `None`: never.
    pub merge_all_above: Option<usize>,
    /// Single-SSTable tombstone compactions (`tombstone_threshold`, `tombstone_compaction_interval`,
    /// `unchecked_tombstone_compaction`).
    pub tombstones: TombstoneOptions,
}

/// When one SSTable is compacted alone to purge its tombstones (Cassandra's
/// `AbstractCompactionStrategy.worthDroppingTombstones`; see `tombstones.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct TombstoneOptions {
    /// Tombstone compactions are planned at all: true, except for time-window tables whose options
    /// name neither `tombstone_threshold` nor `tombstone_compaction_interval` (as Cassandra's TWCS).
    pub enabled: bool,
    /// An SSTable qualifies when more than this fraction of its cells are droppable tombstones
    /// (`tombstone_threshold`, 0.2).
    pub threshold: f64,
    /// Not before this many seconds after the SSTable was written (`tombstone_compaction_interval`,
    /// 86400), so that an estimate that turns out wrong does not compact the same file over and over.
    pub interval_seconds: i64,
    /// Skip the check that the tombstones do not shadow data of other SSTables
    /// (`unchecked_tombstone_compaction`, false).
    pub unchecked: bool,
}

/// Cassandra's default `tombstone_threshold`.
pub const DEFAULT_TOMBSTONE_THRESHOLD: f64 = 0.2;
/// Cassandra's default `tombstone_compaction_interval`, in seconds.
pub const DEFAULT_TOMBSTONE_COMPACTION_INTERVAL: i64 = 86_400;

impl Default for TombstoneOptions {
    fn default() -> Self {
        TombstoneOptions {
            enabled: true,
            threshold: DEFAULT_TOMBSTONE_THRESHOLD,
            interval_seconds: DEFAULT_TOMBSTONE_COMPACTION_INTERVAL,
            unchecked: false,
        }
    }
}

impl Default for CompactionParams {
    /// Size-tiered with Cassandra's defaults.
    fn default() -> Self {
        CompactionParams {
            strategy: Strategy::SizeTiered(SizeTieredOptions::default()),
            enabled: true,
            min_threshold: DEFAULT_MIN_THRESHOLD,
            max_threshold: DEFAULT_MAX_THRESHOLD,
            merge_all_above: None,
            tombstones: TombstoneOptions::default(),
        }
    }
}

/// A compaction strategy and its own options.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    /// Cassandra's `SizeTieredCompactionStrategy` (STCS).
    SizeTiered(SizeTieredOptions),
    /// Cassandra's `LeveledCompactionStrategy` (LCS).
    Leveled(LeveledOptions),
    /// Cassandra's `TimeWindowCompactionStrategy` (TWCS).
    TimeWindow(TimeWindowOptions),
}

impl Strategy {
    /// The strategy's name as Cassandra's class is named.
    pub fn class_name(&self) -> &'static str {
        match self {
            Strategy::SizeTiered(_) => "SizeTieredCompactionStrategy",
            Strategy::Leveled(_) => "LeveledCompactionStrategy",
            Strategy::TimeWindow(_) => "TimeWindowCompactionStrategy",
        }
    }
}

/// Size-tiered bucketing (Cassandra's `SizeTieredCompactionStrategyOptions`).
#[derive(Debug, Clone, PartialEq)]
pub struct SizeTieredOptions {
    /// An SSTable joins a bucket if its size is above `bucket_low` times the bucket's average (0.5)…
    pub bucket_low: f64,
    /// …and below `bucket_high` times it (1.5).
    pub bucket_high: f64,
    /// SSTables smaller than this all share one bucket (`min_sstable_size`, 50 MiB).
    pub min_sstable_size_bytes: u64,
}

impl Default for SizeTieredOptions {
    fn default() -> Self {
        SizeTieredOptions { bucket_low: 0.5, bucket_high: 1.5, min_sstable_size_bytes: 50 * MIB }
    }
}

/// Leveled compaction (Cassandra's `LeveledCompactionStrategy` options).
#[derive(Debug, Clone, PartialEq)]
pub struct LeveledOptions {
    /// Target size of the SSTables of levels 1 and up (`sstable_size_in_mb`, 160 MiB).
    pub sstable_size_bytes: u64,
    /// Level `n` (n >= 1) holds up to `fanout^n` SSTables' worth of data (`fanout_size`, 10).
    pub fanout: u32,
    /// An SSTable that overlaps nothing in the next level moves up without being rewritten
    /// (`single_sstable_uplevel`, true).
    pub single_sstable_uplevel: bool,
    /// Bucketing used when level 0 falls far behind and is compacted size-tiered.
    pub l0_size_tiered: SizeTieredOptions,
}

impl Default for LeveledOptions {
    fn default() -> Self {
        LeveledOptions {
            sstable_size_bytes: DEFAULT_LEVELED_SSTABLE_SIZE_MIB * MIB,
            fanout: DEFAULT_FANOUT,
            single_sstable_uplevel: true,
            l0_size_tiered: SizeTieredOptions::default(),
        }
    }
}

/// Unit of a time window (`compaction_window_unit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowUnit {
    Minutes,
    Hours,
    Days,
}

impl WindowUnit {
    pub fn seconds(self) -> i64 {
        match self {
            WindowUnit::Minutes => 60,
            WindowUnit::Hours => 3600,
            WindowUnit::Days => 86_400,
        }
    }
}

/// Unit of the write timestamps (`timestamp_resolution`); CQL writes microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampResolution {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl TimestampResolution {
    /// Units per second.
    pub fn per_second(self) -> i64 {
        match self {
            TimestampResolution::Seconds => 1,
            TimestampResolution::Milliseconds => 1_000,
            TimestampResolution::Microseconds => 1_000_000,
            TimestampResolution::Nanoseconds => 1_000_000_000,
        }
    }
}

/// Time-window compaction (Cassandra's `TimeWindowCompactionStrategyOptions`).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeWindowOptions {
    /// `compaction_window_unit` (DAYS).
    pub window_unit: WindowUnit,
    /// `compaction_window_size` (1).
    pub window_size: u32,
    /// `timestamp_resolution` (MICROSECONDS).
    pub timestamp_resolution: TimestampResolution,
    /// Drop fully expired SSTables without checking that they overlap no live data
    /// (`unsafe_aggressive_sstable_expiration`, false).
    pub unsafe_aggressive_sstable_expiration: bool,
    /// Bucketing used inside the current window.
    pub size_tiered: SizeTieredOptions,
}

impl Default for TimeWindowOptions {
    fn default() -> Self {
        TimeWindowOptions {
            window_unit: WindowUnit::Days,
            window_size: 1,
            timestamp_resolution: TimestampResolution::Microseconds,
            unsafe_aggressive_sstable_expiration: false,
            size_tiered: SizeTieredOptions::default(),
        }
    }
}

impl TimeWindowOptions {
    /// The window's length in seconds.
    pub fn window_seconds(&self) -> i64 {
        self.window_unit.seconds().saturating_mul(i64::from(self.window_size.max(1)))
    }
}

/// A `compaction` option Cassandra would refuse (its `ConfigurationException` message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsError(pub String);

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OptionsError {}

fn err<T>(msg: impl Into<String>) -> Result<T, OptionsError> {
    Err(OptionsError(msg.into()))
}

/// Reads options out of the map, remembering which were understood.
struct Reader<'a> {
    map: &'a BTreeMap<String, String>,
    understood: Vec<&'static str>,
}

impl<'a> Reader<'a> {
    fn get(&mut self, key: &'static str) -> Option<&'a str> {
        self.understood.push(key);
        self.map.get(key).map(|s| s.trim())
    }

    fn bool(&mut self, key: &'static str, default: bool) -> Result<bool, OptionsError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => err(format!("'{key}' should be either 'true' or 'false', not '{v}'")),
        }
    }

    fn int(&mut self, key: &'static str) -> Result<Option<i64>, OptionsError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.parse::<i64>() {
                Ok(n) => Ok(Some(n)),
                Err(_) => err(format!("{v} is not a parsable int (base10) for {key}")),
            },
        }
    }

    fn double(&mut self, key: &'static str) -> Result<Option<f64>, OptionsError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Some(n)),
                _ => err(format!("{v} is not a parsable float for {key}")),
            },
        }
    }

    /// The options present in the map that nothing asked for (`class` aside).
    fn not_understood(&self) -> Vec<&'a str> {
        self.map.keys().map(String::as_str).filter(|k| *k != "class" && !self.understood.contains(k)).collect()
    }
}

/// `min_threshold`/`max_threshold`: present, numeric, `2 <= min <= max`.
fn thresholds(r: &mut Reader<'_>) -> Result<(usize, usize), OptionsError> {
    let mut parse = |key: &'static str, default: usize| -> Result<usize, OptionsError> {
        match r.get(key) {
            None => Ok(default),
            Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => match v.parse::<usize>() {
                Ok(n) => Ok(n),
                Err(_) => err(format!("Invalid value {v} for '{key}' compaction sub-option - must be an integer")),
            },
            Some(v) => err(format!("Invalid value {v} for '{key}' compaction sub-option - must be an integer")),
        }
    };
    let min = parse("min_threshold", DEFAULT_MIN_THRESHOLD)?;
    let max = parse("max_threshold", DEFAULT_MAX_THRESHOLD)?;
    if min == 0 || max == 0 {
        return err("Disabling compaction by setting compaction thresholds to 0 has been removed, set the \
                    compaction option 'enabled' to false instead.");
    }
    if min < 2 {
        return err(format!("Min compaction threshold cannot be less than 2 (got {min})"));
    }
    if min > max {
        return err(format!(
            "Min compaction threshold (got {min}) cannot be greater than max compaction threshold (got {max})"
        ));
    }
    Ok((min, max))
}

/// The options every strategy accepts about single-SSTable tombstone compactions (`enabled` is left
/// true: the caller knows the strategy).
fn tombstone_options(r: &mut Reader<'_>) -> Result<TombstoneOptions, OptionsError> {
    let threshold = r.double("tombstone_threshold")?;
    if let Some(t) = threshold {
        if t < 0.0 {
            return err(format!("tombstone_threshold must be greater than 0, but was {t}"));
        }
    }
    let interval = r.int("tombstone_compaction_interval")?;
    if let Some(i) = interval {
        if i < 0 {
            return err(format!("tombstone_compaction_interval must be greater than 0, but was {i}"));
        }
    }
    let unchecked = r.bool("unchecked_tombstone_compaction", false)?;
    r.bool("only_purge_repaired_tombstones", false)?;
    r.bool("log_all", false)?;
    if let Some(v) = r.get("provide_overlapping_tombstones") {
        if !["NONE", "ROW", "CELL"].contains(&v.to_ascii_uppercase().as_str()) {
            return err(format!(
                "Invalid value {} for 'provide_overlapping_tombstones' compaction sub-option - must be one of the \
                 following [NONE, ROW, CELL].",
                v.to_ascii_uppercase()
            ));
        }
    }
    Ok(TombstoneOptions {
        enabled: true,
        threshold: threshold.unwrap_or(DEFAULT_TOMBSTONE_THRESHOLD),
        interval_seconds: interval.unwrap_or(DEFAULT_TOMBSTONE_COMPACTION_INTERVAL),
        unchecked,
    })
}

fn size_tiered_options(r: &mut Reader<'_>) -> Result<SizeTieredOptions, OptionsError> {
    let defaults = SizeTieredOptions::default();
    let min_sstable_size_bytes = match r.int("min_sstable_size")? {
        None => defaults.min_sstable_size_bytes,
        Some(n) if n < 0 => return err(format!("min_sstable_size must be non negative: {n}")),
        Some(n) => n as u64,
    };
    let bucket_low = r.double("bucket_low")?.unwrap_or(defaults.bucket_low);
    let bucket_high = r.double("bucket_high")?.unwrap_or(defaults.bucket_high);
    if bucket_high <= bucket_low {
        return err(format!(
            "bucket_high value ({bucket_high}) is less than or equal to the bucket_low value ({bucket_low})"
        ));
    }
    Ok(SizeTieredOptions { bucket_low, bucket_high, min_sstable_size_bytes })
}

fn leveled_options(r: &mut Reader<'_>) -> Result<LeveledOptions, OptionsError> {
    let defaults = LeveledOptions::default();
    let sstable_size_bytes = match r.int("sstable_size_in_mb")? {
        None => defaults.sstable_size_bytes,
        Some(n) if n <= 0 => return err(format!("sstable_size_in_mb must be larger than 0, but was {n}")),
        Some(n) if n >= 2048 => {
            return err(format!("sstable_size_in_mb must be less than 2048 MiB (2 GiB), but was {n} MiB"))
        }
        Some(n) => n as u64 * MIB,
    };
    let fanout = match r.int("fanout_size")? {
        None => defaults.fanout,
        Some(n) if n < 1 => return err(format!("fanout_size must be larger than 0, but was {n}")),
        Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
    };
    let single_sstable_uplevel = r.bool("single_sstable_uplevel", defaults.single_sstable_uplevel)?;
    let l0_size_tiered = size_tiered_options(r)?;
    Ok(LeveledOptions { sstable_size_bytes, fanout, single_sstable_uplevel, l0_size_tiered })
}

fn time_window_options(r: &mut Reader<'_>) -> Result<TimeWindowOptions, OptionsError> {
    let defaults = TimeWindowOptions::default();
    let window_unit = match r.get("compaction_window_unit").map(str::to_ascii_uppercase).as_deref() {
        None => defaults.window_unit,
        Some("MINUTES") => WindowUnit::Minutes,
        Some("HOURS") => WindowUnit::Hours,
        Some("DAYS") => WindowUnit::Days,
        Some(v) => {
            return err(format!(
                "{v} is not valid for compaction_window_unit: it must be one of MINUTES, HOURS or DAYS"
            ))
        }
    };
    let window_size = match r.int("compaction_window_size")? {
        None => defaults.window_size,
        Some(n) if n < 1 => return err(format!("compaction_window_size must be greater than 1, but was {n}")),
        Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
    };
    let timestamp_resolution = match r.get("timestamp_resolution").map(str::to_ascii_uppercase).as_deref() {
        None => defaults.timestamp_resolution,
        Some("SECONDS") => TimestampResolution::Seconds,
        Some("MILLISECONDS") => TimestampResolution::Milliseconds,
        Some("MICROSECONDS") => TimestampResolution::Microseconds,
        Some("NANOSECONDS") => TimestampResolution::Nanoseconds,
        Some(v) => return err(format!("{v} is not valid for timestamp_resolution")),
    };
    if let Some(n) = r.int("expired_sstable_check_frequency_seconds")? {
        if n < 0 {
            return err(format!("expired_sstable_check_frequency_seconds must not be negative, but was {n}"));
        }
    }
    let unsafe_aggressive_sstable_expiration = r.bool("unsafe_aggressive_sstable_expiration", false)?;
    let size_tiered = size_tiered_options(r)?;
    Ok(TimeWindowOptions {
        window_unit,
        window_size,
        timestamp_resolution,
        unsafe_aggressive_sstable_expiration,
        size_tiered,
    })
}

impl CompactionParams {
    /// Translates a table's `compaction` map (as `system_schema.tables.compaction` holds it: `class`
    /// plus string options) into settings, refusing what Cassandra 5.0 refuses.
    ///
    /// The class may be fully qualified (`org.apache.cassandra.db.compaction.LeveledCompactionStrategy`)
    /// or not. `UnifiedCompactionStrategy` (Cassandra 5.0's newest) is accepted with any options and
    /// runs as size-tiered: Sibyl does not implement it. `merge_all_above` is left `None`.
    pub fn from_cassandra_options(map: &BTreeMap<String, String>) -> Result<CompactionParams, OptionsError> {
        let Some(class) = map.get("class") else {
            return err("Missing sub-option 'class' for the 'compaction' option");
        };
        let simple = class.rsplit('.').next().unwrap_or(class);
        let mut r = Reader { map, understood: Vec::new() };
        let enabled = r.bool("enabled", true)?;
        if simple == "UnifiedCompactionStrategy" {
            return Ok(CompactionParams { enabled, ..CompactionParams::default() });
        }
        let (min_threshold, max_threshold) = thresholds(&mut r)?;
        let mut tombstones = tombstone_options(&mut r)?;
        let strategy = match simple {
            "SizeTieredCompactionStrategy" => Strategy::SizeTiered(size_tiered_options(&mut r)?),
            "LeveledCompactionStrategy" => Strategy::Leveled(leveled_options(&mut r)?),
            "TimeWindowCompactionStrategy" => Strategy::TimeWindow(time_window_options(&mut r)?),
            _ => return err(format!("Unable to find compaction strategy class '{class}'")),
        };
        let unknown = r.not_understood();
        if !unknown.is_empty() {
            return err(format!(
                "Properties specified [{}] are not understood by {}",
                unknown.join(", "),
                strategy.class_name()
            ));
        }
        if matches!(strategy, Strategy::TimeWindow(_))
            && !map.contains_key("tombstone_threshold")
            && !map.contains_key("tombstone_compaction_interval")
        {
            // Cassandra's TWCS: expired windows are dropped whole; tombstone compactions only on request.
            tombstones.enabled = false;
        }
        Ok(CompactionParams { strategy, enabled, min_threshold, max_threshold, merge_all_above: None, tombstones })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_default_table_options_are_size_tiered_with_cassandras_thresholds() {
        let p = CompactionParams::from_cassandra_options(&map(&[
            ("class", "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"),
            ("max_threshold", "32"),
            ("min_threshold", "4"),
        ]))
        .unwrap();
        assert_eq!(p, CompactionParams::default());
    }

    #[test]
    fn leveled_options_are_read_in_mebibytes() {
        let p = CompactionParams::from_cassandra_options(&map(&[
            ("class", "LeveledCompactionStrategy"),
            ("sstable_size_in_mb", "1"),
            ("fanout_size", "4"),
            ("single_sstable_uplevel", "false"),
        ]))
        .unwrap();
        match p.strategy {
            Strategy::Leveled(o) => {
                assert_eq!(o.sstable_size_bytes, MIB);
                assert_eq!(o.fanout, 4);
                assert!(!o.single_sstable_uplevel);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn time_window_options_are_read() {
        let p = CompactionParams::from_cassandra_options(&map(&[
            ("class", "org.apache.cassandra.db.compaction.TimeWindowCompactionStrategy"),
            ("compaction_window_unit", "hours"),
            ("compaction_window_size", "6"),
            ("min_threshold", "2"),
        ]))
        .unwrap();
        assert_eq!(p.min_threshold, 2);
        match p.strategy {
            Strategy::TimeWindow(o) => {
                assert_eq!(o.window_unit, WindowUnit::Hours);
                assert_eq!(o.window_seconds(), 6 * 3600);
                assert_eq!(o.timestamp_resolution, TimestampResolution::Microseconds);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn enabled_false_turns_background_compaction_off() {
        let p = CompactionParams::from_cassandra_options(&map(&[
            ("class", "SizeTieredCompactionStrategy"),
            ("enabled", "false"),
        ]))
        .unwrap();
        assert!(!p.enabled);
    }

    #[test]
    fn unified_compaction_runs_size_tiered() {
        let p = CompactionParams::from_cassandra_options(&map(&[
            ("class", "UnifiedCompactionStrategy"),
            ("scaling_parameters", "T4"),
        ]))
        .unwrap();
        assert!(matches!(p.strategy, Strategy::SizeTiered(_)));
    }

    #[test]
    fn invalid_options_are_refused_with_cassandras_messages() {
        let e = |entries: &[(&str, &str)]| CompactionParams::from_cassandra_options(&map(entries)).unwrap_err().0;
        assert_eq!(e(&[("min_threshold", "4")]), "Missing sub-option 'class' for the 'compaction' option");
        assert_eq!(
            e(&[("class", "SizeTieredCompactionStrategy"), ("min_threshold", "1")]),
            "Min compaction threshold cannot be less than 2 (got 1)"
        );
        assert_eq!(
            e(&[("class", "SizeTieredCompactionStrategy"), ("min_threshold", "8"), ("max_threshold", "4")]),
            "Min compaction threshold (got 8) cannot be greater than max compaction threshold (got 4)"
        );
        assert_eq!(
            e(&[("class", "SizeTieredCompactionStrategy"), ("min_threshold", "x")]),
            "Invalid value x for 'min_threshold' compaction sub-option - must be an integer"
        );
        assert_eq!(
            e(&[("class", "LeveledCompactionStrategy"), ("sstable_size_in_mb", "0")]),
            "sstable_size_in_mb must be larger than 0, but was 0"
        );
        assert_eq!(
            e(&[("class", "SizeTieredCompactionStrategy"), ("sstable_size_in_mb", "10")]),
            "Properties specified [sstable_size_in_mb] are not understood by SizeTieredCompactionStrategy"
        );
        assert_eq!(
            e(&[("class", "SizeTieredCompactionStrategy"), ("bucket_low", "2")]),
            "bucket_high value (1.5) is less than or equal to the bucket_low value (2)"
        );
        assert!(e(&[("class", "TimeWindowCompactionStrategy"), ("compaction_window_unit", "WEEKS")])
            .contains("compaction_window_unit"));
        assert_eq!(
            e(&[("class", "DateTieredCompactionStrategy")]),
            "Unable to find compaction strategy class 'DateTieredCompactionStrategy'"
        );
    }
}
