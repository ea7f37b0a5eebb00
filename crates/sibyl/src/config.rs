//! Server configuration: a YAML file with cassandra.yaml key names, overridden by command-line flags.
//!
//! Precedence, highest first: a command-line flag, the key in the YAML file, the built-in default.
//! Keys Sibyl does not know (a real cassandra.yaml has many) are ignored with a warning, so a
//! Cassandra config can be pointed at Sibyl as it is.
//!
//! Durations and sizes use Cassandra's 4.1+ notation: `10000ms`, `10s`, `2m` (units `d h m s ms us µs ns`)
//! and `32MiB`, `64KiB` (units `B KiB MiB GiB`); units are case-sensitive, as in Cassandra. The pre-4.1
//! keys `commitlog_sync_period_in_ms`, `commitlog_sync_group_window_in_ms` and
//! `commitlog_segment_size_in_mb` (plain numbers) are accepted too.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, ValueEnum};
use serde::Deserialize;

/// The file read when `--config` is not given, if it exists (relative to the working directory).
pub const DEFAULT_CONFIG_PATH: &str = "conf/sibyl.yaml";

/// Command-line flags. Every config key has a flag of the same name in kebab case.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "sibyl",
    version,
    about = "Sibyl: a single-node, Cassandra-compatible database server (CQL native protocol v4).",
    long_about = None
)]
pub struct Cli {
    /// YAML config file with cassandra.yaml key names [default: conf/sibyl.yaml if it exists]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Log filter: a level (error, warn, info, debug, trace) or tracing directives
    /// such as `info,query=debug` [default: $RUST_LOG, else info]
    #[arg(long, value_name = "FILTER")]
    pub log_level: Option<String>,

    /// Reported in system.local and by cqlsh [default: Test Cluster]
    #[arg(long, value_name = "NAME")]
    pub cluster_name: Option<String>,

    /// Address to listen on for CQL clients [default: 127.0.0.1]
    #[arg(long, value_name = "ADDRESS")]
    pub listen_address: Option<String>,

    /// Port for CQL clients; 0 picks a free port (the ready line shows it) [default: 9042]
    #[arg(long, value_name = "PORT")]
    pub native_transport_port: Option<u16>,

    /// Data directories, comma-separated or repeated; Sibyl uses the first [default: ./data/data]
    #[arg(long, value_name = "DIR", value_delimiter = ',', num_args = 1..)]
    pub data_file_directories: Option<Vec<PathBuf>>,

    /// Commitlog directory [default: ./data/commitlog]
    #[arg(long, value_name = "DIR")]
    pub commitlog_directory: Option<PathBuf>,

    /// When writes are acknowledged: periodic (at once, fsync every period), batch (after their
    /// fsync), group (after their fsync, gathering writers for a window) [default: periodic]
    #[arg(long, value_name = "MODE")]
    pub commitlog_sync: Option<CommitlogSync>,

    /// Fsync interval in periodic mode, e.g. 10000ms, 10s [default: 10000ms]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub commitlog_sync_period: Option<Duration>,

    /// How long group mode gathers writers into one fsync, e.g. 15ms [default: 15ms]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub commitlog_sync_group_window: Option<Duration>,

    /// Size of one commitlog segment file, e.g. 32MiB [default: 32MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub commitlog_segment_size: Option<u64>,

    /// A table's memtable is flushed to an SSTable past this size, e.g. 64MiB [default: 64MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memtable_flush_threshold: Option<u64>,

    /// Compact a table once it has more than this many SSTables [default: 4]
    #[arg(long, value_name = "N")]
    pub compaction_threshold: Option<usize>,

    /// Compaction writes at most this much per second, e.g. 64MiB/s; 0MiB/s = unthrottled
    /// [default: 64MiB/s]
    #[arg(long, value_name = "RATE", value_parser = parse_rate_mib)]
    pub compaction_throughput: Option<u64>,

    /// Memory all memtables together may use before writes wait for flushes, e.g. 512MiB
    /// [default: 512MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memtable_heap_space: Option<u64>,

    /// Snapshot a table (hard links) before TRUNCATE and DROP [default: false]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub auto_snapshot: Option<bool>,

    /// Close connections that have not completed STARTUP (and TLS) within this long, e.g. 10s
    /// [default: 10s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub native_transport_startup_timeout: Option<Duration>,

    /// client_encryption_options.enabled: require TLS on the CQL port [default: false]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub client_encryption_enabled: Option<bool>,

    /// client_encryption_options.optional: accept TLS and plain connections on the CQL port
    /// [default: false]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub client_encryption_optional: Option<bool>,

    /// client_encryption_options.certificate (or keystore): PEM file with the certificate chain,
    /// and the private key too unless --client-encryption-private-key is given
    #[arg(long, value_name = "PATH", alias = "client-encryption-keystore")]
    pub client_encryption_certificate: Option<PathBuf>,

    /// client_encryption_options.private_key: PEM file with the private key (unencrypted)
    #[arg(long, value_name = "PATH")]
    pub client_encryption_private_key: Option<PathBuf>,

    /// Who checks credentials: AllowAllAuthenticator (no login) or PasswordAuthenticator (roles in
    /// system_auth; the default superuser is cassandra/cassandra) [default: AllowAllAuthenticator]
    #[arg(long, value_name = "CLASS")]
    pub authenticator: Option<String>,

    /// Who checks permissions: AllowAllAuthorizer or CassandraAuthorizer (GRANT/REVOKE)
    /// [default: AllowAllAuthorizer]
    #[arg(long, value_name = "CLASS")]
    pub authorizer: Option<String>,

    /// How long roles read from system_auth are cached, e.g. 2000ms [default: 2000ms]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub roles_validity: Option<Duration>,

    /// How long permissions are cached, e.g. 2000ms [default: 2000ms]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub permissions_validity: Option<Duration>,

    /// How long password hashes are cached, e.g. 2000ms [default: 2000ms]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub credentials_validity: Option<Duration>,
}

/// cassandra.yaml `commitlog_sync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommitlogSync {
    Periodic,
    Batch,
    Group,
}

impl fmt::Display for CommitlogSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CommitlogSync::Periodic => "periodic",
            CommitlogSync::Batch => "batch",
            CommitlogSync::Group => "group",
        })
    }
}

/// The YAML file as written: every key optional, unknown keys collected for a warning.
#[derive(Debug, Default, Deserialize)]
struct YamlConfig {
    cluster_name: Option<String>,
    listen_address: Option<String>,
    native_transport_port: Option<u16>,
    data_file_directories: Option<Vec<PathBuf>>,
    commitlog_directory: Option<PathBuf>,
    commitlog_sync: Option<CommitlogSync>,
    #[serde(default, deserialize_with = "string_or_number")]
    commitlog_sync_period: Option<String>,
    commitlog_sync_period_in_ms: Option<u64>,
    #[serde(default, deserialize_with = "string_or_number")]
    commitlog_sync_group_window: Option<String>,
    commitlog_sync_group_window_in_ms: Option<f64>,
    #[serde(default, deserialize_with = "string_or_number")]
    commitlog_segment_size: Option<String>,
    commitlog_segment_size_in_mb: Option<u64>,
    #[serde(default, deserialize_with = "string_or_number")]
    memtable_flush_threshold: Option<String>,
    compaction_threshold: Option<usize>,
    #[serde(default, deserialize_with = "string_or_number")]
    compaction_throughput: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    memtable_heap_space: Option<String>,
    auto_snapshot: Option<bool>,
    #[serde(default, deserialize_with = "string_or_number")]
    native_transport_startup_timeout: Option<String>,
    client_encryption_options: Option<ClientEncryptionYaml>,
    #[serde(default, deserialize_with = "class_name")]
    authenticator: Option<String>,
    #[serde(default, deserialize_with = "class_name")]
    authorizer: Option<String>,
    #[serde(default, deserialize_with = "class_name")]
    role_manager: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    roles_validity: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    permissions_validity: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    credentials_validity: Option<String>,
    #[serde(flatten)]
    unknown: BTreeMap<String, serde_yaml::Value>,
}

/// A class name as cassandra.yaml gives it: `authenticator: PasswordAuthenticator`, or the 5.0
/// parameterized form `authenticator: {class_name: PasswordAuthenticator}`.
fn class_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ClassName {
        Plain(String),
        Parameterized { class_name: String },
    }
    Ok(Option::<ClassName>::deserialize(d)?.map(|c| match c {
        ClassName::Plain(s) | ClassName::Parameterized { class_name: s } => s,
    }))
}

/// cassandra.yaml's `client_encryption_options`, with PEM files instead of a JKS keystore.
#[derive(Debug, Default, Deserialize)]
struct ClientEncryptionYaml {
    enabled: Option<bool>,
    optional: Option<bool>,
    /// Cassandra's name: with Sibyl, a PEM file (certificate chain, and possibly the key).
    keystore: Option<PathBuf>,
    /// Sibyl's name for the same PEM certificate chain file.
    certificate: Option<PathBuf>,
    private_key: Option<PathBuf>,
    /// Ignored: keys must be unencrypted PEM.
    #[allow(dead_code)]
    keystore_password: Option<serde_yaml::Value>,
    require_client_auth: Option<bool>,
    #[serde(flatten)]
    unknown: BTreeMap<String, serde_yaml::Value>,
}

/// TLS on the native protocol port (`client_encryption_options`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientEncryption {
    /// TLS is required (unless `optional`).
    pub enabled: bool,
    /// TLS and plain connections are both accepted; implies TLS is set up, as in Cassandra.
    pub optional: bool,
    /// PEM certificate chain (server certificate first).
    pub certificate: Option<PathBuf>,
    /// PEM private key; `None` means it is in the certificate file.
    pub private_key: Option<PathBuf>,
}

impl ClientEncryption {
    /// Whether connections can use TLS at all.
    pub fn is_on(&self) -> bool {
        self.enabled || self.optional
    }
}

/// The effective configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file the values came from, if any.
    pub source: Option<PathBuf>,
    pub cluster_name: String,
    pub listen_address: IpAddr,
    pub native_transport_port: u16,
    /// Never empty. Only the first is used (Sibyl keeps all tables in one directory).
    pub data_file_directories: Vec<PathBuf>,
    pub commitlog_directory: PathBuf,
    pub commitlog_sync: CommitlogSync,
    pub commitlog_sync_period: Duration,
    pub commitlog_sync_group_window: Duration,
    pub commitlog_segment_size_bytes: u64,
    pub memtable_flush_threshold_bytes: u64,
    pub compaction_threshold: usize,
    pub compaction_throughput_mib_per_sec: u64,
    pub memtable_heap_space_bytes: u64,
    pub auto_snapshot: bool,
    pub native_transport_startup_timeout: Duration,
    pub client_encryption: ClientEncryption,
    /// `authenticator`, `authorizer` and the `*_validity` cache settings.
    pub auth: query::AuthConfig,
    /// Problems worth telling the operator that do not stop the server (unknown keys…), to be
    /// logged once logging is up.
    pub warnings: Vec<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            source: None,
            cluster_name: "Test Cluster".to_string(),
            listen_address: IpAddr::from([127, 0, 0, 1]),
            native_transport_port: 9042,
            data_file_directories: vec![PathBuf::from("./data/data")],
            commitlog_directory: PathBuf::from("./data/commitlog"),
            commitlog_sync: CommitlogSync::Periodic,
            commitlog_sync_period: Duration::from_millis(10_000),
            commitlog_sync_group_window: Duration::from_millis(15),
            commitlog_segment_size_bytes: 32 * MIB,
            memtable_flush_threshold_bytes: 64 * MIB,
            compaction_threshold: 4,
            compaction_throughput_mib_per_sec: storage::DEFAULT_COMPACTION_THROUGHPUT_MIB_PER_SEC,
            memtable_heap_space_bytes: storage::DEFAULT_MEMTABLE_SPACE_BYTES,
            auto_snapshot: false,
            native_transport_startup_timeout: Duration::from_secs(10),
            client_encryption: ClientEncryption::default(),
            auth: query::AuthConfig::default(),
            warnings: Vec::new(),
        }
    }
}

/// Why the configuration could not be built.
#[derive(Debug)]
pub enum ConfigError {
    Read { path: PathBuf, source: std::io::Error },
    Parse { path: PathBuf, message: String },
    Invalid { key: &'static str, message: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => write!(f, "cannot read config file {}: {source}", path.display()),
            ConfigError::Parse { path, message } => write!(f, "invalid config file {}: {message}", path.display()),
            ConfigError::Invalid { key, message } => write!(f, "invalid {key}: {message}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

impl Config {
    /// Builds the configuration from the flags and the config file they name (or the default one).
    pub fn load(cli: &Cli) -> Result<Config, ConfigError> {
        let (yaml, source) = match &cli.config {
            Some(path) => (read_yaml_file(path)?, Some(path.clone())),
            None => {
                let path = Path::new(DEFAULT_CONFIG_PATH);
                if path.is_file() {
                    (read_yaml_file(path)?, Some(path.to_path_buf()))
                } else {
                    (YamlConfig::default(), None)
                }
            }
        };
        let mut config = Config::resolve(yaml, cli)?;
        config.source = source;
        Ok(config)
    }

    /// Parses YAML text (the contents of a config file) and applies the flags on top of it.
    #[cfg(test)]
    pub fn from_yaml_str(text: &str, cli: &Cli) -> Result<Config, ConfigError> {
        let yaml =
            parse_yaml(text).map_err(|message| ConfigError::Parse { path: PathBuf::from("<string>"), message })?;
        Config::resolve(yaml, cli)
    }

    fn resolve(yaml: YamlConfig, cli: &Cli) -> Result<Config, ConfigError> {
        let defaults = Config::default();
        let mut warnings = Vec::new();
        if !yaml.unknown.is_empty() {
            let keys: Vec<&str> = yaml.unknown.keys().map(String::as_str).collect();
            warnings.push(format!("ignoring config keys Sibyl does not use: {}", keys.join(", ")));
        }

        let cluster_name = cli.cluster_name.clone().or(yaml.cluster_name).unwrap_or(defaults.cluster_name);

        let listen_address = match cli.listen_address.as_deref().or(yaml.listen_address.as_deref()) {
            Some(text) => resolve_address(text).map_err(|message| invalid("listen_address", message))?,
            None => defaults.listen_address,
        };

        let native_transport_port =
            cli.native_transport_port.or(yaml.native_transport_port).unwrap_or(defaults.native_transport_port);

        let data_file_directories =
            cli.data_file_directories.clone().or(yaml.data_file_directories).unwrap_or(defaults.data_file_directories);
        if data_file_directories.is_empty() || data_file_directories.iter().any(|d| d.as_os_str().is_empty()) {
            return Err(invalid("data_file_directories", "needs at least one non-empty directory".into()));
        }
        if data_file_directories.len() > 1 {
            warnings.push(format!(
                "data_file_directories lists {} directories; Sibyl stores everything in the first, {}",
                data_file_directories.len(),
                data_file_directories[0].display()
            ));
        }

        let commitlog_directory =
            cli.commitlog_directory.clone().or(yaml.commitlog_directory).unwrap_or(defaults.commitlog_directory);
        if commitlog_directory.as_os_str().is_empty() {
            return Err(invalid("commitlog_directory", "must not be empty".into()));
        }

        let commitlog_sync = cli.commitlog_sync.or(yaml.commitlog_sync).unwrap_or(defaults.commitlog_sync);

        let commitlog_sync_period = match cli.commitlog_sync_period {
            Some(d) => d,
            None => match newer_or_legacy(
                "commitlog_sync_period",
                yaml.commitlog_sync_period,
                "commitlog_sync_period_in_ms",
                yaml.commitlog_sync_period_in_ms,
            )? {
                Some(Either::New(text)) => {
                    parse_duration(&text).map_err(|message| invalid("commitlog_sync_period", message))?
                }
                Some(Either::Legacy(ms)) => Duration::from_millis(ms),
                None => defaults.commitlog_sync_period,
            },
        };
        if commitlog_sync == CommitlogSync::Periodic && commitlog_sync_period.is_zero() {
            return Err(invalid(
                "commitlog_sync_period",
                "must be greater than 0 with commitlog_sync: periodic".into(),
            ));
        }

        let commitlog_sync_group_window = match cli.commitlog_sync_group_window {
            Some(d) => d,
            None => match newer_or_legacy(
                "commitlog_sync_group_window",
                yaml.commitlog_sync_group_window,
                "commitlog_sync_group_window_in_ms",
                yaml.commitlog_sync_group_window_in_ms,
            )? {
                Some(Either::New(text)) => {
                    parse_duration(&text).map_err(|message| invalid("commitlog_sync_group_window", message))?
                }
                Some(Either::Legacy(ms)) => {
                    if !(ms.is_finite() && ms >= 0.0) {
                        return Err(invalid("commitlog_sync_group_window_in_ms", format!("{ms} is not a duration")));
                    }
                    Duration::from_secs_f64(ms / 1000.0)
                }
                None => defaults.commitlog_sync_group_window,
            },
        };
        if commitlog_sync == CommitlogSync::Group && commitlog_sync_group_window.is_zero() {
            return Err(invalid(
                "commitlog_sync_group_window",
                "must be greater than 0 with commitlog_sync: group".into(),
            ));
        }

        let commitlog_segment_size_bytes = match cli.commitlog_segment_size {
            Some(n) => n,
            None => match newer_or_legacy(
                "commitlog_segment_size",
                yaml.commitlog_segment_size,
                "commitlog_segment_size_in_mb",
                yaml.commitlog_segment_size_in_mb,
            )? {
                Some(Either::New(text)) => {
                    parse_size(&text).map_err(|message| invalid("commitlog_segment_size", message))?
                }
                Some(Either::Legacy(mb)) => mb
                    .checked_mul(MIB)
                    .ok_or_else(|| invalid("commitlog_segment_size_in_mb", format!("{mb} is too large")))?,
                None => defaults.commitlog_segment_size_bytes,
            },
        };
        if commitlog_segment_size_bytes == 0 {
            return Err(invalid("commitlog_segment_size", "must be greater than 0".into()));
        }

        let memtable_flush_threshold_bytes = match cli.memtable_flush_threshold {
            Some(n) => n,
            None => match yaml.memtable_flush_threshold {
                Some(text) => parse_size(&text).map_err(|message| invalid("memtable_flush_threshold", message))?,
                None => defaults.memtable_flush_threshold_bytes,
            },
        };
        if memtable_flush_threshold_bytes == 0 {
            return Err(invalid("memtable_flush_threshold", "must be greater than 0".into()));
        }

        let compaction_threshold =
            cli.compaction_threshold.or(yaml.compaction_threshold).unwrap_or(defaults.compaction_threshold);
        if compaction_threshold < 2 {
            return Err(invalid("compaction_threshold", format!("{compaction_threshold} is less than 2")));
        }

        let compaction_throughput_mib_per_sec = match cli.compaction_throughput {
            Some(n) => n,
            None => match yaml.compaction_throughput {
                Some(text) => parse_rate_mib(&text).map_err(|message| invalid("compaction_throughput", message))?,
                None => defaults.compaction_throughput_mib_per_sec,
            },
        };
        let memtable_heap_space_bytes = match cli.memtable_heap_space {
            Some(n) => n,
            None => match yaml.memtable_heap_space {
                Some(text) => parse_size(&text).map_err(|message| invalid("memtable_heap_space", message))?,
                None => defaults.memtable_heap_space_bytes,
            },
        };
        let auto_snapshot = cli.auto_snapshot.or(yaml.auto_snapshot).unwrap_or(defaults.auto_snapshot);

        let native_transport_startup_timeout = match cli.native_transport_startup_timeout {
            Some(d) => d,
            None => match yaml.native_transport_startup_timeout {
                Some(text) => {
                    parse_duration(&text).map_err(|message| invalid("native_transport_startup_timeout", message))?
                }
                None => defaults.native_transport_startup_timeout,
            },
        };
        if native_transport_startup_timeout.is_zero() {
            return Err(invalid("native_transport_startup_timeout", "must be greater than 0".into()));
        }

        let client_encryption =
            client_encryption(yaml.client_encryption_options.unwrap_or_default(), cli, &mut warnings)?;

        let mut auth = defaults.auth;
        if let Some(name) = cli.authenticator.as_deref().or(yaml.authenticator.as_deref()) {
            auth.authenticator = query::Authenticator::parse(name).ok_or_else(|| {
                invalid(
                    "authenticator",
                    format!("{name} is not supported (AllowAllAuthenticator, PasswordAuthenticator)"),
                )
            })?;
        }
        if let Some(name) = cli.authorizer.as_deref().or(yaml.authorizer.as_deref()) {
            auth.authorizer = query::Authorizer::parse(name).ok_or_else(|| {
                invalid("authorizer", format!("{name} is not supported (AllowAllAuthorizer, CassandraAuthorizer)"))
            })?;
        }
        if let Some(name) = yaml.role_manager.as_deref() {
            if name.trim().trim_start_matches("org.apache.cassandra.auth.") != "CassandraRoleManager" {
                return Err(invalid("role_manager", format!("{name} is not supported (CassandraRoleManager)")));
            }
        }
        if auth.authorizer == query::Authorizer::Cassandra && auth.authenticator == query::Authenticator::AllowAll {
            return Err(invalid(
                "authenticator",
                "AllowAllAuthenticator can't be used with CassandraAuthorizer".into(),
            ));
        }
        for (key, flag, text, slot) in [
            ("roles_validity", cli.roles_validity, yaml.roles_validity, &mut auth.roles_validity),
            (
                "permissions_validity",
                cli.permissions_validity,
                yaml.permissions_validity,
                &mut auth.permissions_validity,
            ),
            (
                "credentials_validity",
                cli.credentials_validity,
                yaml.credentials_validity,
                &mut auth.credentials_validity,
            ),
        ] {
            if let Some(d) = flag {
                *slot = d;
            } else if let Some(text) = text {
                *slot = parse_duration(&text).map_err(|message| invalid(key, message))?;
            }
        }

        Ok(Config {
            source: None,
            cluster_name,
            listen_address,
            native_transport_port,
            data_file_directories,
            commitlog_directory,
            commitlog_sync,
            commitlog_sync_period,
            commitlog_sync_group_window,
            commitlog_segment_size_bytes,
            memtable_flush_threshold_bytes,
            compaction_threshold,
            compaction_throughput_mib_per_sec,
            memtable_heap_space_bytes,
            auto_snapshot,
            native_transport_startup_timeout,
            client_encryption,
            auth,
            warnings,
        })
    }

    /// The directory the node keeps its tables (and schema) in.
    pub fn data_dir(&self) -> &Path {
        &self.data_file_directories[0]
    }

    /// The commitlog's durability mode as the storage engine takes it.
    pub fn sync_mode(&self) -> storage::SyncMode {
        match self.commitlog_sync {
            CommitlogSync::Periodic => storage::SyncMode::Periodic { period: self.commitlog_sync_period },
            CommitlogSync::Batch => storage::SyncMode::Batch,
            CommitlogSync::Group => storage::SyncMode::Group { window: self.commitlog_sync_group_window },
        }
    }

    /// What the query layer is opened with. `native_port` is the port actually bound (it differs
    /// from the configured one when that is 0).
    pub fn node_config(&self, native_port: u16) -> query::NodeConfig {
        query::NodeConfig {
            cluster_name: self.cluster_name.clone(),
            listen_address: self.listen_address,
            native_port,
            data_dir: self.data_dir().to_path_buf(),
            storage: storage::StorageConfig {
                data_dir: self.data_dir().to_path_buf(),
                commitlog_dir: self.commitlog_directory.clone(),
                sync: self.sync_mode(),
                commitlog_segment_size_bytes: self.commitlog_segment_size_bytes,
                memtable_flush_threshold_bytes: self.memtable_flush_threshold_bytes,
                compaction_threshold: self.compaction_threshold,
                compaction_throughput_mib_per_sec: self.compaction_throughput_mib_per_sec,
                memtable_space_bytes: self.memtable_heap_space_bytes,
                auto_snapshot: self.auto_snapshot,
                ..storage::StorageConfig::new(self.data_dir())
            },
        }
    }

    /// The native protocol server's settings; loads the TLS certificate and key if encryption is on.
    pub fn server_config(&self) -> Result<protocol_server::ServerConfig, String> {
        let tls = if self.client_encryption.is_on() {
            let certificate = self.client_encryption.certificate.as_deref().ok_or("no certificate")?;
            let key = self.client_encryption.private_key.as_deref().unwrap_or(certificate);
            let tls = protocol_server::TlsConfig::from_pem_files(certificate, key, self.client_encryption.optional)
                .map_err(|e| format!("invalid client_encryption_options: {e}"))?;
            Some(tls)
        } else {
            None
        };
        Ok(protocol_server::ServerConfig {
            startup_timeout: self.native_transport_startup_timeout,
            tls,
            ..Default::default()
        })
    }

    /// One line for the startup log.
    pub fn summary(&self) -> String {
        let sync = match self.commitlog_sync {
            CommitlogSync::Periodic => format!("periodic every {}", format_duration(self.commitlog_sync_period)),
            CommitlogSync::Batch => "batch".to_string(),
            CommitlogSync::Group => format!("group, window {}", format_duration(self.commitlog_sync_group_window)),
        };
        format!(
            "cluster '{}', data in {}, commitlog in {} (sync {sync}, segments of {}), memtable flush at {}, \
             compaction past {} SSTables",
            self.cluster_name,
            self.data_dir().display(),
            self.commitlog_directory.display(),
            format_size(self.commitlog_segment_size_bytes),
            format_size(self.memtable_flush_threshold_bytes),
            self.compaction_threshold,
        )
    }
}

fn invalid(key: &'static str, message: String) -> ConfigError {
    ConfigError::Invalid { key, message }
}

/// `client_encryption_options` with the flags applied.
fn client_encryption(
    yaml: ClientEncryptionYaml,
    cli: &Cli,
    warnings: &mut Vec<String>,
) -> Result<ClientEncryption, ConfigError> {
    const KEY: &str = "client_encryption_options";
    if !yaml.unknown.is_empty() {
        let keys: Vec<&str> = yaml.unknown.keys().map(String::as_str).collect();
        warnings.push(format!("ignoring {KEY} keys Sibyl does not use: {}", keys.join(", ")));
    }
    if yaml.require_client_auth == Some(true) {
        return Err(invalid(KEY, "require_client_auth: true (client certificates) is not supported".into()));
    }
    let file_certificate = match (yaml.keystore, yaml.certificate) {
        (Some(_), Some(_)) => return Err(invalid(KEY, "set keystore or certificate, not both".into())),
        (k, c) => k.or(c),
    };
    let encryption = ClientEncryption {
        enabled: cli.client_encryption_enabled.or(yaml.enabled).unwrap_or(false),
        optional: cli.client_encryption_optional.or(yaml.optional).unwrap_or(false),
        certificate: cli.client_encryption_certificate.clone().or(file_certificate),
        private_key: cli.client_encryption_private_key.clone().or(yaml.private_key),
    };
    if encryption.is_on() && encryption.certificate.is_none() {
        return Err(invalid(KEY, "TLS is enabled but no certificate (or keystore) PEM file is set".into()));
    }
    Ok(encryption)
}

enum Either<N, L> {
    New(N),
    Legacy(L),
}

/// A setting that has a 4.1+ name and a pre-4.1 one: setting both is an error, as in Cassandra.
fn newer_or_legacy<N, L>(
    new_key: &'static str,
    new: Option<N>,
    legacy_key: &'static str,
    legacy: Option<L>,
) -> Result<Option<Either<N, L>>, ConfigError> {
    match (new, legacy) {
        (Some(_), Some(_)) => {
            Err(invalid(new_key, format!("set both {new_key} and its older name {legacy_key}; keep only {new_key}")))
        }
        (Some(n), None) => Ok(Some(Either::New(n))),
        (None, Some(l)) => Ok(Some(Either::Legacy(l))),
        (None, None) => Ok(None),
    }
}

/// Durations and sizes are strings with a unit; a bare number is taken as text too, so that the
/// error says which key lacks its unit instead of a YAML type error.
fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Int(i64),
        Float(f64),
    }
    Ok(Option::<Raw>::deserialize(d)?.map(|raw| match raw {
        Raw::Text(s) => s,
        Raw::Int(n) => n.to_string(),
        Raw::Float(x) => x.to_string(),
    }))
}

fn read_yaml_file(path: &Path) -> Result<YamlConfig, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    parse_yaml(&text).map_err(|message| ConfigError::Parse { path: path.to_path_buf(), message })
}

fn parse_yaml(text: &str) -> Result<YamlConfig, String> {
    // An empty file (or one with only comments) is a valid, empty configuration.
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    match value {
        serde_yaml::Value::Null => Ok(YamlConfig::default()),
        serde_yaml::Value::Mapping(_) => serde_yaml::from_str(text).map_err(|e| e.to_string()),
        _ => Err("expected a mapping of `key: value` lines at the top level".to_string()),
    }
}

/// An IP address, or a host name resolved once at startup (`localhost`).
fn resolve_address(text: &str) -> Result<IpAddr, String> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(ip);
    }
    let addrs: Vec<IpAddr> = (text, 0u16)
        .to_socket_addrs()
        .map_err(|e| format!("'{text}' is neither an IP address nor a resolvable host name: {e}"))?
        .map(|a| a.ip())
        .collect();
    addrs
        .iter()
        .find(|ip| ip.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("host name '{text}' resolves to no address"))
}

/// Parses a Cassandra duration: digits then one of `d h m s ms us µs ns` (case-sensitive), e.g. `10000ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = split_quantity(text);
    let bad = || {
        format!("invalid duration '{text}': expected a non-negative integer and a unit, one of d, h, m, s, ms, us, µs, ns (e.g. 10000ms or 10s)")
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| format!("invalid duration '{text}': number too large"))?;
    let nanos_per_unit: u64 = match unit {
        "d" => 86_400_000_000_000,
        "h" => 3_600_000_000_000,
        "m" => 60_000_000_000,
        "s" => 1_000_000_000,
        "ms" => 1_000_000,
        "us" | "µs" => 1_000,
        "ns" => 1,
        _ => return Err(bad()),
    };
    let nanos = (n as u128) * (nanos_per_unit as u128);
    if nanos >= i64::MAX as u128 {
        return Err(format!("invalid duration '{text}': too large"));
    }
    Ok(Duration::from_nanos(nanos as u64))
}

/// A throughput like Cassandra's `compaction_throughput: 64MiB/s`, in MiB per second.
pub fn parse_rate_mib(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let size = t.strip_suffix("/s").ok_or_else(|| format!("'{t}' is not a rate like 64MiB/s"))?;
    Ok(parse_size(size)? / MIB)
}

/// Parses a Cassandra data size: digits then one of `B KiB MiB GiB` (case-sensitive), e.g. `32MiB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = split_quantity(text);
    let bad = || {
        format!(
            "invalid size '{text}': expected a non-negative integer and a unit, one of B, KiB, MiB, GiB (e.g. 64MiB)"
        )
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| format!("invalid size '{text}': number too large"))?;
    let unit_bytes = match unit {
        "B" => 1,
        "KiB" => KIB,
        "MiB" => MIB,
        "GiB" => GIB,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_bytes).ok_or_else(|| format!("invalid size '{text}': too large"))
}

fn split_quantity(text: &str) -> (&str, &str) {
    let end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    text.split_at(end)
}

fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    for (unit, symbol) in [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")] {
        if nanos >= unit && nanos / unit * unit == nanos {
            return format!("{}{symbol}", nanos / unit);
        }
    }
    format!("{nanos}ns")
}

fn format_size(bytes: u64) -> String {
    for (unit, symbol) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
        if bytes >= unit && bytes / unit * unit == bytes {
            return format!("{}{symbol}", bytes / unit);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        let mut argv = vec!["sibyl"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("flags parse")
    }

    fn yaml(text: &str) -> Config {
        Config::from_yaml_str(text, &Cli::default()).expect("config is valid")
    }

    #[test]
    fn defaults_without_file_or_flags() {
        let c = Config::from_yaml_str("", &Cli::default()).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.cluster_name, "Test Cluster");
        assert_eq!(c.listen_address, "127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(c.native_transport_port, 9042);
        assert_eq!(c.data_file_directories, vec![PathBuf::from("./data/data")]);
        assert_eq!(c.commitlog_directory, PathBuf::from("./data/commitlog"));
        assert_eq!(c.commitlog_sync, CommitlogSync::Periodic);
        assert_eq!(c.commitlog_sync_period, Duration::from_secs(10));
        assert_eq!(c.commitlog_sync_group_window, Duration::from_millis(15));
        assert_eq!(c.commitlog_segment_size_bytes, 32 * 1024 * 1024);
        assert_eq!(c.memtable_flush_threshold_bytes, 64 * 1024 * 1024);
        assert_eq!(c.compaction_threshold, 4);
    }

    #[test]
    fn comment_only_file_is_empty_config() {
        assert_eq!(yaml("# nothing here\n\n# at all\n"), Config::default());
    }

    #[test]
    fn yaml_with_every_key() {
        let c = yaml(
            r#"
cluster_name: 'My Cluster'
listen_address: 0.0.0.0
native_transport_port: 19042
data_file_directories:
    - /var/lib/sibyl/data
commitlog_directory: /var/lib/sibyl/commitlog
commitlog_sync: group
commitlog_sync_period: 2s
commitlog_sync_group_window: 2ms
commitlog_segment_size: 16MiB
memtable_flush_threshold: 512KiB
compaction_threshold: 8
"#,
        );
        assert_eq!(c.cluster_name, "My Cluster");
        assert_eq!(c.listen_address, "0.0.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(c.native_transport_port, 19042);
        assert_eq!(c.data_file_directories, vec![PathBuf::from("/var/lib/sibyl/data")]);
        assert_eq!(c.commitlog_directory, PathBuf::from("/var/lib/sibyl/commitlog"));
        assert_eq!(c.commitlog_sync, CommitlogSync::Group);
        assert_eq!(c.commitlog_sync_period, Duration::from_secs(2));
        assert_eq!(c.commitlog_sync_group_window, Duration::from_millis(2));
        assert_eq!(c.commitlog_segment_size_bytes, 16 * 1024 * 1024);
        assert_eq!(c.memtable_flush_threshold_bytes, 512 * 1024);
        assert_eq!(c.compaction_threshold, 8);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(c.sync_mode(), storage::SyncMode::Group { window: Duration::from_millis(2) });
    }

    #[test]
    fn shipped_config_file_parses_to_the_defaults() {
        let text = include_str!("../../../conf/sibyl.yaml");
        let c = Config::from_yaml_str(text, &Cli::default()).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(Config { warnings: vec![], ..c }, Config::default());
    }

    #[test]
    fn legacy_key_names_are_accepted() {
        let c = yaml(
            "commitlog_sync_period_in_ms: 2500\ncommitlog_sync_group_window_in_ms: 1.5\ncommitlog_segment_size_in_mb: 8\n",
        );
        assert_eq!(c.commitlog_sync_period, Duration::from_millis(2500));
        assert_eq!(c.commitlog_sync_group_window, Duration::from_micros(1500));
        assert_eq!(c.commitlog_segment_size_bytes, 8 * 1024 * 1024);
    }

    #[test]
    fn new_and_legacy_name_together_is_an_error() {
        let err =
            Config::from_yaml_str("commitlog_sync_period: 1s\ncommitlog_sync_period_in_ms: 1000\n", &Cli::default())
                .unwrap_err();
        assert!(err.to_string().contains("commitlog_sync_period_in_ms"), "{err}");
    }

    #[test]
    fn unknown_keys_warn_but_load() {
        let c = yaml("cluster_name: x\nnum_tokens: 16\nseed_provider:\n  - class_name: foo\n");
        assert_eq!(c.cluster_name, "x");
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].contains("num_tokens") && c.warnings[0].contains("seed_provider"), "{:?}", c.warnings);
    }

    #[test]
    fn auth_is_off_by_default_and_named_by_cassandras_class_names() {
        assert_eq!(yaml("").auth, query::AuthConfig::default());
        let c = yaml("authenticator: PasswordAuthenticator\nauthorizer: org.apache.cassandra.auth.CassandraAuthorizer\nroles_validity: 0ms\n");
        assert_eq!(c.auth.authenticator, query::Authenticator::Password);
        assert_eq!(c.auth.authorizer, query::Authorizer::Cassandra);
        assert_eq!(c.auth.roles_validity, Duration::ZERO);
        let c = yaml("authenticator:\n  class_name: PasswordAuthenticator\n");
        assert_eq!(c.auth.authenticator, query::Authenticator::Password);
    }

    #[test]
    fn the_authenticator_flag_overrides_the_file() {
        let c = Config::from_yaml_str(
            "authenticator: AllowAllAuthenticator\n",
            &cli(&["--authenticator", "PasswordAuthenticator", "--authorizer", "CassandraAuthorizer"]),
        )
        .unwrap();
        assert_eq!(c.auth.authenticator, query::Authenticator::Password);
        assert_eq!(c.auth.authorizer, query::Authorizer::Cassandra);
    }

    #[test]
    fn unknown_auth_classes_and_an_authorizer_without_authentication_are_refused() {
        for (text, key) in [
            ("authenticator: LdapAuthenticator\n", "authenticator"),
            ("authorizer: CassandraAuthorizer\n", "authenticator"),
            ("role_manager: LDAPRoleManager\n", "role_manager"),
        ] {
            match Config::from_yaml_str(text, &Cli::default()) {
                Err(ConfigError::Invalid { key: k, .. }) => assert_eq!(k, key, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn null_values_mean_default() {
        let c = yaml("cluster_name:\ncommitlog_sync_period:\n");
        assert_eq!(c, Config::default());
    }

    #[test]
    fn malformed_yaml_is_a_parse_error() {
        let err = Config::from_yaml_str("cluster_name: [unclosed\n", &Cli::default()).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err:?}");
        let err = Config::from_yaml_str("- a\n- b\n", &Cli::default()).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err:?}");
        let err = Config::from_yaml_str("native_transport_port: 70000\n", &Cli::default()).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err:?}");
        let err = Config::from_yaml_str("commitlog_sync: sometimes\n", &Cli::default()).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err:?}");
    }

    #[test]
    fn invalid_values_name_their_key() {
        for (text, key) in [
            ("commitlog_sync_period: 10\n", "commitlog_sync_period"),
            ("commitlog_sync_period: 10 s\n", "commitlog_sync_period"),
            ("commitlog_segment_size: 32MB\n", "commitlog_segment_size"),
            ("memtable_flush_threshold: 0MiB\n", "memtable_flush_threshold"),
            ("compaction_threshold: 1\n", "compaction_threshold"),
            ("data_file_directories: []\n", "data_file_directories"),
            ("listen_address: 'not an address!'\n", "listen_address"),
            ("commitlog_sync: periodic\ncommitlog_sync_period: 0ms\n", "commitlog_sync_period"),
        ] {
            let err = Config::from_yaml_str(text, &Cli::default()).unwrap_err();
            assert!(err.to_string().contains(key), "{text:?}: {err}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10000ms"), Ok(Duration::from_millis(10_000)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2ms"), Ok(Duration::from_millis(2)));
        assert_eq!(parse_duration("3m"), Ok(Duration::from_secs(180)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert_eq!(parse_duration("7us"), Ok(Duration::from_micros(7)));
        assert_eq!(parse_duration("7µs"), Ok(Duration::from_micros(7)));
        assert_eq!(parse_duration("9ns"), Ok(Duration::from_nanos(9)));
        assert_eq!(parse_duration("0ms"), Ok(Duration::ZERO));
        assert_eq!(parse_duration(" 15ms "), Ok(Duration::from_millis(15)));
        for bad in ["", "ms", "10", "10 ms", "10MS", "-1s", "1.5s", "10sec", "99999999999999999999d", "200000d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("32MiB"), Ok(32 * 1024 * 1024));
        assert_eq!(parse_size("64KiB"), Ok(64 * 1024));
        assert_eq!(parse_size("1GiB"), Ok(1024 * 1024 * 1024));
        assert_eq!(parse_size("100B"), Ok(100));
        for bad in ["", "32", "32mib", "32MB", "32 MiB", "1.5MiB", "MiB", "99999999999999999999GiB", "17179869184GiB"] {
            assert!(parse_size(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn flags_override_yaml() {
        let text = "cluster_name: from yaml\nnative_transport_port: 1111\ncommitlog_sync: periodic\n\
                    memtable_flush_threshold: 1MiB\ncompaction_threshold: 6\ncommitlog_directory: /yaml/cl\n";
        let c = Config::from_yaml_str(
            text,
            &cli(&[
                "--cluster-name",
                "from flag",
                "--native-transport-port",
                "2222",
                "--commitlog-sync",
                "batch",
                "--memtable-flush-threshold",
                "64KiB",
                "--data-file-directories",
                "/a,/b",
                "--listen-address",
                "::1",
            ]),
        )
        .unwrap();
        assert_eq!(c.cluster_name, "from flag");
        assert_eq!(c.native_transport_port, 2222);
        assert_eq!(c.commitlog_sync, CommitlogSync::Batch);
        assert_eq!(c.memtable_flush_threshold_bytes, 64 * 1024);
        assert_eq!(c.data_file_directories, vec![PathBuf::from("/a"), PathBuf::from("/b")]);
        assert_eq!(c.listen_address, "::1".parse::<IpAddr>().unwrap());
        // Keys without a flag keep their YAML value.
        assert_eq!(c.compaction_threshold, 6);
        assert_eq!(c.commitlog_directory, PathBuf::from("/yaml/cl"));
        assert_eq!(c.sync_mode(), storage::SyncMode::Batch);
    }

    #[test]
    fn every_key_has_a_flag() {
        let c = Config::from_yaml_str(
            "",
            &cli(&[
                "--cluster-name=c",
                "--listen-address=127.0.0.2",
                "--native-transport-port=0",
                "--data-file-directories=/d1",
                "--data-file-directories=/d2",
                "--commitlog-directory=/cl",
                "--commitlog-sync=periodic",
                "--commitlog-sync-period=250ms",
                "--commitlog-sync-group-window=3ms",
                "--commitlog-segment-size=1MiB",
                "--memtable-flush-threshold=2MiB",
                "--compaction-threshold=3",
            ]),
        )
        .unwrap();
        assert_eq!(c.cluster_name, "c");
        assert_eq!(c.listen_address, "127.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(c.native_transport_port, 0);
        assert_eq!(c.data_file_directories, vec![PathBuf::from("/d1"), PathBuf::from("/d2")]);
        assert_eq!(c.commitlog_directory, PathBuf::from("/cl"));
        assert_eq!(c.sync_mode(), storage::SyncMode::Periodic { period: Duration::from_millis(250) });
        assert_eq!(c.commitlog_sync_group_window, Duration::from_millis(3));
        assert_eq!(c.commitlog_segment_size_bytes, 1024 * 1024);
        assert_eq!(c.memtable_flush_threshold_bytes, 2 * 1024 * 1024);
        assert_eq!(c.compaction_threshold, 3);
    }

    #[test]
    fn flag_durations_override_legacy_yaml_keys() {
        let c = Config::from_yaml_str("commitlog_sync_period_in_ms: 5\n", &cli(&["--commitlog-sync-period", "7s"]))
            .unwrap();
        assert_eq!(c.commitlog_sync_period, Duration::from_secs(7));
    }

    #[test]
    fn bad_flag_values_are_rejected_by_the_parser() {
        for args in [
            &["sibyl", "--commitlog-sync-period", "10"][..],
            &["sibyl", "--commitlog-segment-size", "32MB"],
            &["sibyl", "--commitlog-sync", "sometimes"],
            &["sibyl", "--native-transport-port", "70000"],
            &["sibyl", "--no-such-flag"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn node_config_uses_the_first_data_directory_and_the_bound_port() {
        let c = Config::from_yaml_str(
            "data_file_directories: [/x, /y]\ncommitlog_directory: /cl\nmemtable_flush_threshold: 64KiB\n",
            &Cli::default(),
        )
        .unwrap();
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        let n = c.node_config(40000);
        assert_eq!(n.native_port, 40000);
        assert_eq!(n.cluster_name, "Test Cluster");
        assert_eq!(n.data_dir, PathBuf::from("/x"));
        assert_eq!(n.storage.data_dir, PathBuf::from("/x"));
        assert_eq!(n.storage.commitlog_dir, PathBuf::from("/cl"));
        assert_eq!(n.storage.memtable_flush_threshold_bytes, 64 * 1024);
        assert_eq!(n.storage.commitlog_segment_size_bytes, 32 * 1024 * 1024);
        assert_eq!(n.storage.compaction_threshold, 4);
        assert_eq!(n.storage.sync, storage::SyncMode::Periodic { period: Duration::from_secs(10) });
    }

    #[test]
    fn config_file_is_read_from_the_path_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, "cluster_name: on disk\n").unwrap();
        let c = Config::load(&cli(&["--config", path.to_str().unwrap()])).unwrap();
        assert_eq!(c.cluster_name, "on disk");
        assert_eq!(c.source.as_deref(), Some(path.as_path()));

        let missing = dir.path().join("missing.yaml");
        let err = Config::load(&cli(&["--config", missing.to_str().unwrap()])).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }), "{err:?}");
    }

    #[test]
    fn client_encryption_options_from_yaml_and_flags() {
        let c = yaml(
            "native_transport_startup_timeout: 3s\nclient_encryption_options:\n  enabled: true\n  optional: true\n  \
             keystore: /etc/sibyl/node.pem\n  keystore_password: cassandra\n  truststore: /x\n",
        );
        assert_eq!(c.native_transport_startup_timeout, Duration::from_secs(3));
        assert_eq!(
            c.client_encryption,
            ClientEncryption {
                enabled: true,
                optional: true,
                certificate: Some(PathBuf::from("/etc/sibyl/node.pem")),
                private_key: None
            }
        );
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("truststore"), "{:?}", c.warnings);

        let c = Config::from_yaml_str(
            "client_encryption_options:\n  certificate: /a.pem\n  private_key: /a.key\n",
            &cli(&["--client-encryption-optional", "--native-transport-startup-timeout", "250ms"]),
        )
        .unwrap();
        assert!(c.client_encryption.optional && !c.client_encryption.enabled && c.client_encryption.is_on());
        assert_eq!(c.client_encryption.private_key, Some(PathBuf::from("/a.key")));
        assert_eq!(c.native_transport_startup_timeout, Duration::from_millis(250));

        let c = Config::from_yaml_str(
            "",
            &cli(&["--client-encryption-enabled=true", "--client-encryption-keystore", "/k.pem"]),
        )
        .unwrap();
        assert!(c.client_encryption.enabled);
        assert_eq!(c.client_encryption.certificate, Some(PathBuf::from("/k.pem")));
        assert!(!Config::default().client_encryption.is_on());
    }

    #[test]
    fn client_encryption_options_that_cannot_work_are_errors() {
        for text in [
            "client_encryption_options:\n  enabled: true\n",
            "client_encryption_options:\n  enabled: true\n  keystore: /a\n  certificate: /b\n",
            "client_encryption_options:\n  enabled: true\n  keystore: /a\n  require_client_auth: true\n",
            "native_transport_startup_timeout: 0s\n",
        ] {
            assert!(Config::from_yaml_str(text, &Cli::default()).is_err(), "{text:?}");
        }
    }

    #[test]
    fn server_config_loads_the_pem_files() {
        let c = Config::default();
        let s = c.server_config().unwrap();
        assert!(s.tls.is_none());
        assert_eq!(s.startup_timeout, Duration::from_secs(10));
        let missing = Config::from_yaml_str(
            "client_encryption_options:\n  enabled: true\n  keystore: /nonexistent/sibyl.pem\n",
            &Cli::default(),
        )
        .unwrap();
        let e = missing.server_config().unwrap_err();
        assert!(e.contains("/nonexistent/sibyl.pem"), "{e}");
    }

    #[test]
    fn summary_mentions_the_essentials() {
        let s = Config::default().summary();
        assert!(s.contains("Test Cluster") && s.contains("periodic every 10s") && s.contains("32MiB"), "{s}");
    }

    #[test]
    fn compaction_throughput_reads_cassandra_rates() {
        assert_eq!(parse_rate_mib("64MiB/s"), Ok(64));
        assert_eq!(parse_rate_mib("0MiB/s"), Ok(0));
        assert!(parse_rate_mib("64MiB").is_err());
    }
}
