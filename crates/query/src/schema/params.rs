//! Table options (`WITH …`), with Cassandra 5.0's defaults and its way of printing them.

use std::collections::BTreeMap;

use cql_parser::ast::{Literal, Property, PropertyValue};
use serde::{Deserialize, Serialize};

use crate::Error;

/// The options of a table, as `system_schema.tables` stores them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableParams {
    pub additional_write_policy: String,
    pub allow_auto_snapshot: bool,
    pub bloom_filter_fp_chance: f64,
    pub caching: BTreeMap<String, String>,
    pub cdc: bool,
    pub comment: String,
    pub compaction: BTreeMap<String, String>,
    pub compression: BTreeMap<String, String>,
    pub memtable: String,
    pub crc_check_chance: f64,
    pub default_time_to_live: i32,
    pub extensions: BTreeMap<String, Vec<u8>>,
    pub gc_grace_seconds: i32,
    pub incremental_backups: bool,
    pub max_index_interval: i32,
    pub memtable_flush_period_in_ms: i32,
    pub min_index_interval: i32,
    pub read_repair: String,
    pub speculative_retry: String,
}

const STCS: &str = "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy";
const LZ4: &str = "org.apache.cassandra.io.compress.LZ4Compressor";

fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

impl Default for TableParams {
    fn default() -> Self {
        TableParams {
            additional_write_policy: "99p".into(),
            allow_auto_snapshot: true,
            bloom_filter_fp_chance: 0.01,
            caching: map(&[("keys", "ALL"), ("rows_per_partition", "NONE")]),
            cdc: false,
            comment: String::new(),
            compaction: map(&[("class", STCS), ("max_threshold", "32"), ("min_threshold", "4")]),
            compression: map(&[("chunk_length_in_kb", "16"), ("class", LZ4)]),
            memtable: "default".into(),
            crc_check_chance: 1.0,
            default_time_to_live: 0,
            extensions: BTreeMap::new(),
            gc_grace_seconds: 864000,
            incremental_backups: true,
            max_index_interval: 2048,
            memtable_flush_period_in_ms: 0,
            min_index_interval: 128,
            read_repair: "BLOCKING".into(),
            speculative_retry: "99p".into(),
        }
    }
}

fn literal_text(v: &PropertyValue, name: &str) -> Result<String, Error> {
    match v {
        PropertyValue::Constant(Literal { text, .. }) => Ok(text.clone()),
        PropertyValue::Identifier(s) => Ok(s.clone()),
        PropertyValue::Map(_) => {
            Err(Error::Syntax(format!("Invalid value for property '{name}'. It should be a string")))
        }
    }
}

fn map_value(v: &PropertyValue, name: &str) -> Result<BTreeMap<String, String>, Error> {
    match v {
        PropertyValue::Map(entries) => Ok(entries.iter().map(|(k, v)| (k.text.clone(), v.text.clone())).collect()),
        _ => Err(Error::Syntax(format!("Invalid value for property '{name}'. It should be a map."))),
    }
}

/// The `compression` map as Cassandra's CompressionParams reads, checks and stores it: a class
/// (or the older `sstable_compression`), `chunk_length_in_kb` (or the older `chunk_length_kb`, a
/// power of 2, default 16), `min_compress_ratio` (0 or at least 1, kept only when not 0), or
/// `{'enabled': 'false'}` alone.
fn compression_options(mut m: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Error> {
    let config = |s: &str| Err(Error::Config(s.to_string()));
    let disabled = || map(&[("enabled", "false")]);
    let enabled = m.remove("enabled").is_none_or(|e| e.eq_ignore_ascii_case("true"));
    if enabled && !m.is_empty() && !m.contains_key("class") && !m.contains_key("sstable_compression") {
        return config("Missing sub-option 'class' for the 'compression' option.");
    }
    if !enabled {
        if !m.is_empty() {
            return config("If the 'enabled' option is set to false no other options must be specified");
        }
        return Ok(disabled());
    }
    let class = match m.remove("class") {
        Some(_) if m.contains_key("sstable_compression") => {
            return config(
                "The 'sstable_compression' option must not be used if the compression algorithm is already specified by the 'class' option",
            )
        }
        Some(c) if c.is_empty() => {
            return config("The 'class' option must not be empty. To disable compression use 'enabled' : false")
        }
        Some(c) => Some(c),
        None => m.remove("sstable_compression"),
    };
    let chunk = match (m.remove("chunk_length_in_kb"), m.remove("chunk_length_kb")) {
        (Some(_), Some(_)) => {
            return config(
                "The 'chunk_length_kb' option must not be used if the chunk length is already specified by the 'chunk_length_in_kb' option",
            )
        }
        (Some(c), None) | (None, Some(c)) => Some(c),
        (None, None) => None,
    };
    let chunk = match chunk {
        Some(c) => {
            let kb = c.parse::<i32>().map_err(|_| Error::Config("Invalid value for chunk_length_in_kb".into()))?;
            if kb <= 0 {
                return config("Invalid negative or null chunk_length_in_kb");
            }
            if !kb.unsigned_abs().is_power_of_two() {
                return config("chunk_length_in_kb must be a power of 2");
            }
            kb.to_string()
        }
        None => "16".to_string(),
    };
    let ratio = match m.remove("min_compress_ratio") {
        Some(r) => {
            let r =
                r.parse::<f64>().map_err(|_| Error::Config(format!("Invalid value for min_compress_ratio: {r}")))?;
            if r < 0.0 {
                return config("Invalid negative min_compress_ratio");
            }
            if r > 0.0 && r < 1.0 {
                return config("min_compress_ratio can either be 0 or greater than or equal to 1");
            }
            r
        }
        None => 0.0,
    };
    let Some(class) = class.filter(|c| !c.is_empty()) else {
        if !m.is_empty() {
            let names: Vec<&str> = m.keys().map(String::as_str).collect();
            return Err(Error::Config(format!(
                "Unknown compression options ([{}]) since no compression class found",
                names.join(", ")
            )));
        }
        return Ok(disabled());
    };
    let class = qualify(&class, "org.apache.cassandra.io.compress");
    // The options each compressor knows (its supportedOptions), and crc_check_chance.
    let known: &[&str] = match class.rsplit('.').next().unwrap_or("") {
        "LZ4Compressor" => &["lz4_compressor_type", "lz4_high_compressor_level"],
        "ZstdCompressor" => &["compression_level"],
        _ => &[],
    };
    if let Some(unknown) = m.keys().find(|k| !known.contains(&k.as_str()) && *k != "crc_check_chance") {
        return Err(Error::Config(format!("Unknown compression options {unknown}")));
    }
    m.insert("class".into(), class);
    m.insert("chunk_length_in_kb".into(), chunk);
    if ratio != 0.0 {
        m.insert("min_compress_ratio".into(), java_double(ratio));
    }
    Ok(m)
}

fn parse_f64(text: &str, name: &str) -> Result<f64, Error> {
    text.parse::<f64>().map_err(|_| Error::Syntax(format!("Invalid double value {text} for '{name}'")))
}

fn parse_i32(text: &str, name: &str) -> Result<i32, Error> {
    text.parse::<i32>().map_err(|_| Error::Syntax(format!("Invalid integer value {text} for '{name}'")))
}

fn parse_bool(text: &str, name: &str) -> Result<bool, Error> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::Syntax(format!("Invalid boolean value {text} for '{name}'"))),
    }
}

fn qualify(class: &str, package: &str) -> String {
    if class.contains('.') {
        class.to_string()
    } else {
        format!("{package}.{class}")
    }
}

impl TableParams {
    /// Applies `WITH` properties (CREATE or ALTER TABLE) on top of `self`.
    pub fn apply(&mut self, properties: &[Property]) -> Result<(), Error> {
        for p in properties {
            let name = p.name.as_str();
            let v = &p.value;
            match name {
                "additional_write_policy" => self.additional_write_policy = literal_text(v, name)?,
                "allow_auto_snapshot" => self.allow_auto_snapshot = parse_bool(&literal_text(v, name)?, name)?,
                "bloom_filter_fp_chance" => {
                    let f = parse_f64(&literal_text(v, name)?, name)?;
                    if f <= 0.0 || f > 1.0 {
                        return Err(Error::Config(format!(
                            "bloom_filter_fp_chance must be larger than 6.71E-5 and less than or equal to 1.0 (got {})",
                            java_double(f)
                        )));
                    }
                    self.bloom_filter_fp_chance = f;
                }
                "caching" => {
                    let mut m = self.caching.clone();
                    m.extend(map_value(v, name)?);
                    self.caching = m;
                }
                "cdc" => self.cdc = parse_bool(&literal_text(v, name)?, name)?,
                "comment" => self.comment = literal_text(v, name)?,
                "compaction" => {
                    let mut m = map_value(v, name)?;
                    let class = m.remove("class").ok_or_else(|| {
                        Error::Config("Missing sub-option 'class' for the 'compaction' option.".to_string())
                    })?;
                    let class = qualify(&class, "org.apache.cassandra.db.compaction");
                    m.insert("class".into(), class);
                    m.entry("max_threshold".into()).or_insert_with(|| "32".into());
                    m.entry("min_threshold".into()).or_insert_with(|| "4".into());
                    self.compaction = m;
                }
                "compression" => self.compression = compression_options(map_value(v, name)?)?,
                "memtable" => self.memtable = literal_text(v, name)?,
                "crc_check_chance" => self.crc_check_chance = parse_f64(&literal_text(v, name)?, name)?,
                "default_time_to_live" => {
                    let ttl = parse_i32(&literal_text(v, name)?, name)?;
                    if ttl < 0 {
                        return Err(Error::Config(format!(
                            "default_time_to_live must be greater than or equal to 0 (got {ttl})"
                        )));
                    }
                    let max = crate::statement::modification::MAX_TTL;
                    if ttl > max {
                        return Err(Error::Config(format!(
                            "default_time_to_live must be less than or equal to {max} (got {ttl})"
                        )));
                    }
                    self.default_time_to_live = ttl;
                }
                "gc_grace_seconds" => self.gc_grace_seconds = parse_i32(&literal_text(v, name)?, name)?,
                "incremental_backups" => self.incremental_backups = parse_bool(&literal_text(v, name)?, name)?,
                "max_index_interval" => self.max_index_interval = parse_i32(&literal_text(v, name)?, name)?,
                "memtable_flush_period_in_ms" => {
                    self.memtable_flush_period_in_ms = parse_i32(&literal_text(v, name)?, name)?
                }
                "min_index_interval" => self.min_index_interval = parse_i32(&literal_text(v, name)?, name)?,
                "read_repair" => self.read_repair = literal_text(v, name)?.to_ascii_uppercase(),
                "speculative_retry" => self.speculative_retry = literal_text(v, name)?,
                "extensions" => {
                    let m = map_value(v, name)?;
                    self.extensions = m.into_iter().map(|(k, v)| (k, v.into_bytes())).collect();
                }
                _ => return Err(Error::Syntax(format!("Unknown property '{name}'"))),
            }
        }
        Ok(())
    }

    /// The `WITH` options as `DESCRIBE` prints them (one per line, after the first `WITH `).
    pub fn cql_options(&self) -> Vec<String> {
        let extensions = self
            .extensions
            .iter()
            .map(|(k, v)| format!("'{}': 0x{}", k, v.iter().map(|b| format!("{b:02x}")).collect::<String>()))
            .collect::<Vec<_>>()
            .join(", ");
        vec![
            format!("additional_write_policy = {}", quote(&self.additional_write_policy)),
            format!("allow_auto_snapshot = {}", self.allow_auto_snapshot),
            format!("bloom_filter_fp_chance = {}", java_double(self.bloom_filter_fp_chance)),
            format!("caching = {}", cql_map(&self.caching)),
            format!("cdc = {}", self.cdc),
            format!("comment = {}", quote(&self.comment)),
            format!("compaction = {}", cql_map(&self.compaction)),
            format!("compression = {}", cql_map(&self.compression)),
            format!("memtable = {}", quote(&self.memtable)),
            format!("crc_check_chance = {}", java_double(self.crc_check_chance)),
            format!("default_time_to_live = {}", self.default_time_to_live),
            format!("extensions = {{{extensions}}}"),
            format!("gc_grace_seconds = {}", self.gc_grace_seconds),
            format!("incremental_backups = {}", self.incremental_backups),
            format!("max_index_interval = {}", self.max_index_interval),
            format!("memtable_flush_period_in_ms = {}", self.memtable_flush_period_in_ms),
            format!("min_index_interval = {}", self.min_index_interval),
            format!("read_repair = {}", quote(&self.read_repair)),
            format!("speculative_retry = {}", quote(&self.speculative_retry)),
        ]
    }
}

/// A string as a CQL literal: single quotes, inner quotes doubled.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A map of strings as a CQL literal: `{'a': 'b', 'c': 'd'}`.
pub fn cql_map(m: &BTreeMap<String, String>) -> String {
    let inner = m.iter().map(|(k, v)| format!("{}: {}", quote(k), quote(v))).collect::<Vec<_>>().join(", ");
    format!("{{{inner}}}")
}

/// A double as Java's `Double.toString` prints it (for the magnitudes table options use).
pub fn java_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let a = f.abs();
    if a != 0.0 && !(1e-3..1e7).contains(&a) {
        // Java's computerized scientific notation: 1.0E-5
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') { mantissa.to_string() } else { format!("{mantissa}.0") };
        return format!("{mantissa}E{exp}");
    }
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compression(entries: &[(&str, &str)]) -> Result<BTreeMap<String, String>, Error> {
        compression_options(map(entries))
    }

    #[test]
    fn compression_keeps_a_min_compress_ratio_as_a_java_double_unless_it_is_zero() {
        let m = compression(&[("class", "LZ4Compressor"), ("min_compress_ratio", "2")]).unwrap();
        assert_eq!(m.get("min_compress_ratio").map(String::as_str), Some("2.0"));
        let m = compression(&[("class", "LZ4Compressor"), ("min_compress_ratio", "0")]).unwrap();
        assert_eq!(m.get("min_compress_ratio"), None);
        let err = compression(&[("class", "LZ4Compressor"), ("min_compress_ratio", "0.5")]).unwrap_err();
        assert_eq!(err.to_string(), "min_compress_ratio can either be 0 or greater than or equal to 1");
    }

    #[test]
    fn compression_with_an_empty_legacy_class_is_disabled() {
        let m = compression(&[("sstable_compression", ""), ("chunk_length_kb", "32")]).unwrap();
        assert_eq!(m, map(&[("enabled", "false")]));
    }

    #[test]
    fn compression_refuses_contradictory_or_invalid_options() {
        let msg = |e: &[(&str, &str)]| compression(e).unwrap_err().to_string();
        assert_eq!(
            msg(&[("class", "")]),
            "The 'class' option must not be empty. To disable compression use 'enabled' : false"
        );
        assert_eq!(
            msg(&[("enabled", "false"), ("class", "SnappyCompressor")]),
            "If the 'enabled' option is set to false no other options must be specified"
        );
        assert_eq!(
            msg(&[("class", "SnappyCompressor"), ("chunk_length_in_kb", "31")]),
            "chunk_length_in_kb must be a power of 2"
        );
        assert_eq!(
            msg(&[("class", "SnappyCompressor"), ("chunk_length_in_kb", "-1")]),
            "Invalid negative or null chunk_length_in_kb"
        );
        assert_eq!(
            msg(&[("class", "SnappyCompressor"), ("unknownOption", "32")]),
            "Unknown compression options unknownOption"
        );
    }

    #[test]
    fn java_double_prints_like_java() {
        assert_eq!(java_double(0.01), "0.01");
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.1), "0.1");
        assert_eq!(java_double(1e-5), "1.0E-5");
    }

    #[test]
    fn default_options_print_as_cassandra_5_0() {
        let opts = TableParams::default().cql_options();
        assert_eq!(opts[0], "additional_write_policy = '99p'");
        assert_eq!(opts[3], "caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}");
        assert_eq!(
            opts[6],
            "compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}"
        );
        assert_eq!(
            opts[7],
            "compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}"
        );
        assert_eq!(opts[11], "extensions = {}");
    }
}
