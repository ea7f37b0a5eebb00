//! Per-table settings the engine enforces ([`TableOptions`]), their translation from the table options
//! Cassandra's schema holds, and the engine's clock ([`Clock`]).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use compaction::{CompactionParams, OptionsError};
use sstable::Compression;

/// Cassandra's default `gc_grace_seconds` (10 days).
pub const DEFAULT_GC_GRACE_SECONDS: i32 = 864_000;
/// Cassandra's default `chunk_length_in_kb` (16).
pub const DEFAULT_CHUNK_LENGTH_BYTES: usize = 16 << 10;

/// What the engine needs to know about one table. Set with [`crate::Storage::set_table_options`];
/// changes apply to SSTables written (and compactions planned) from then on.
#[derive(Debug, Clone, PartialEq)]
pub struct TableOptions {
    /// The compaction strategy and its options (`compaction = {...}`).
    pub compaction: CompactionParams,
    /// How SSTable blocks are compressed (`compression = {'class': ...}`).
    pub compression: Compression,
    /// Uncompressed size of an SSTable block, the unit of compression and of reads
    /// (`compression = {'chunk_length_in_kb': ...}`).
    pub chunk_length_bytes: usize,
    /// Target false-positive chance of each SSTable's bloom filter.
    pub bloom_filter_fp_chance: f64,
    /// How long compaction keeps tombstones (and expired cells) before purging them.
    pub gc_grace_seconds: i32,
    /// Whether TRUNCATE and DROP snapshot the table first when the engine's `auto_snapshot` is on.
    pub allow_auto_snapshot: bool,
}

impl Default for TableOptions {
    /// Cassandra's defaults: size-tiered compaction, LZ4 in 16 KiB chunks, 1% bloom filter false
    /// positives, 10 days of gc grace.
    fn default() -> Self {
        TableOptions {
            compaction: CompactionParams::default(),
            compression: Compression::Lz4,
            chunk_length_bytes: DEFAULT_CHUNK_LENGTH_BYTES,
            bloom_filter_fp_chance: 0.01,
            gc_grace_seconds: DEFAULT_GC_GRACE_SECONDS,
            allow_auto_snapshot: true,
        }
    }
}

impl TableOptions {
    /// Translates a table's `compaction` and `compression` maps, as `system_schema.tables` holds them
    /// (string options, `class` possibly fully qualified), refusing what Cassandra 5.0 refuses. The
    /// other fields keep their defaults: set them with struct update syntax.
    ///
    /// Compression classes: `LZ4Compressor`, `SnappyCompressor` and `ZstdCompressor` are themselves;
    /// `NoopCompressor`, an empty class and `enabled: false` store blocks uncompressed;
    /// `DeflateCompressor`, which the `sstable` crate does not implement, is written as Zstandard.
    pub fn from_cassandra_maps(
        compaction: &BTreeMap<String, String>,
        compression: &BTreeMap<String, String>,
    ) -> Result<TableOptions, OptionsError> {
        let compaction = CompactionParams::from_cassandra_options(compaction)?;
        let (compression, chunk_length_bytes) = compression_from_map(compression)?;
        Ok(TableOptions { compaction, compression, chunk_length_bytes, ..TableOptions::default() })
    }
}

fn compression_from_map(map: &BTreeMap<String, String>) -> Result<(Compression, usize), OptionsError> {
    let bad = |msg: String| Err(OptionsError(msg));
    if map.get("enabled").is_some_and(|e| e.trim().eq_ignore_ascii_case("false")) {
        return Ok((Compression::None, DEFAULT_CHUNK_LENGTH_BYTES));
    }
    let chunk_kb = map.get("chunk_length_in_kb").or_else(|| map.get("chunk_length_kb"));
    let chunk_length_bytes = match chunk_kb {
        None => DEFAULT_CHUNK_LENGTH_BYTES,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(kb) if kb == 0 => return bad(format!("Invalid negative or null chunk_length_in_kb: {kb}")),
            Ok(kb) if !kb.is_power_of_two() => return bad(format!("chunk_length_in_kb must be a power of 2: {kb}")),
            Ok(kb) if kb > (1 << 20) => return bad(format!("chunk_length_in_kb is too large: {kb}")),
            Ok(kb) => kb as usize * 1024,
            Err(_) => return bad(format!("Invalid value for chunk_length_in_kb: {v}")),
        },
    };
    let Some(class) = map.get("class").or_else(|| map.get("sstable_compression")) else {
        return bad("Missing sub-option 'class' for the 'compression' option.".into());
    };
    let short = class.rsplit('.').next().unwrap_or(class);
    let compression = match (Compression::from_name(class), short) {
        (Some(c), _) => c,
        (None, "NoopCompressor") => Compression::None,
        // Not implemented by the sstable crate: the closest codec it has.
        (None, "DeflateCompressor") => Compression::Zstd,
        (None, other) => {
            return bad(format!("Could not create Compression for type org.apache.cassandra.io.compress.{other}"))
        }
    };
    Ok((compression, chunk_length_bytes))
}

/// The server time the engine uses for purging (seconds since the epoch). Tests substitute a
/// controllable one; reads take their `now` from the caller.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i32 + Send + Sync>);

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Clock {
        Clock(Arc::new(|| {
            let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            i32::try_from(secs).unwrap_or(i32::MAX)
        }))
    }

    /// A clock reading `now()`.
    pub fn from_fn(now: impl Fn() -> i32 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    pub fn now_seconds(&self) -> i32 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clock(now = {})", self.now_seconds())
    }
}

#[cfg(test)]
mod tests {
    use compaction::Strategy;

    use super::*;

    fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn cassandras_default_table_options_translate_to_the_defaults() {
        let o = TableOptions::from_cassandra_maps(
            &map(&[
                ("class", "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"),
                ("max_threshold", "32"),
                ("min_threshold", "4"),
            ]),
            &map(&[("chunk_length_in_kb", "16"), ("class", "org.apache.cassandra.io.compress.LZ4Compressor")]),
        )
        .unwrap();
        assert_eq!(o, TableOptions::default());
    }

    #[test]
    fn leveled_compaction_and_uncompressed_chunks_translate() {
        let o = TableOptions::from_cassandra_maps(
            &map(&[
                ("class", "org.apache.cassandra.db.compaction.LeveledCompactionStrategy"),
                ("sstable_size_in_mb", "160"),
            ]),
            &map(&[("enabled", "false")]),
        )
        .unwrap();
        assert!(matches!(o.compaction.strategy, Strategy::Leveled(_)));
        assert_eq!(o.compression, Compression::None);
        let o = TableOptions::from_cassandra_maps(
            &map(&[("class", "SizeTieredCompactionStrategy")]),
            &map(&[("class", "org.apache.cassandra.io.compress.ZstdCompressor"), ("chunk_length_in_kb", "64")]),
        )
        .unwrap();
        assert_eq!((o.compression, o.chunk_length_bytes), (Compression::Zstd, 64 << 10));
    }

    #[test]
    fn invalid_compression_options_are_refused() {
        let stcs = map(&[("class", "SizeTieredCompactionStrategy")]);
        let e = |m: &[(&str, &str)]| TableOptions::from_cassandra_maps(&stcs, &map(m)).unwrap_err().0;
        assert_eq!(
            e(&[("class", "LZ4Compressor"), ("chunk_length_in_kb", "3")]),
            "chunk_length_in_kb must be a power of 2: 3"
        );
        assert!(e(&[("class", "BogusCompressor")]).contains("BogusCompressor"));
        assert!(e(&[("chunk_length_in_kb", "16")]).contains("Missing sub-option 'class'"));
    }

    #[test]
    fn a_clock_can_be_driven_by_a_test() {
        let now = Arc::new(std::sync::atomic::AtomicI32::new(42));
        let n = now.clone();
        let clock = Clock::from_fn(move || n.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(clock.now_seconds(), 42);
        now.store(43, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(clock.now_seconds(), 43);
        assert!(Clock::system().now_seconds() > 1_600_000_000);
    }
}
