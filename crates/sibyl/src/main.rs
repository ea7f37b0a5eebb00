//! `sibyl`: the server binary. Reads the configuration, opens the query processor (which loads the
//! schema and replays the commitlog), serves CQL clients until SIGINT/SIGTERM, then shuts down
//! cleanly (memtables flushed, commitlog synced).
//!
//! Logs go to stderr. Exactly one line at info level contains `listening for CQL clients`: it is
//! written once the port is bound and the data is loaded, and tests and scripts wait for it.

mod config;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use tokio::sync::watch;
use tracing::{error, info, warn};
use tracing_subscriber::EnvFilter;

use crate::config::{Cli, Config};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How much longer than the protocol server's own shutdown grace period to wait for it to return
/// before shutting storage down anyway.
const DRAIN_BACKSTOP: Duration = Duration::from_secs(5);

fn main() {
    // Flag errors (unknown flag, bad value) exit here with usage and status 2; --help/--version exit 0.
    let cli = Cli::parse();
    if let Err(e) = init_logging(cli.log_level.as_deref()) {
        eprintln!("sibyl: {e:#}");
        std::process::exit(2);
    }
    if let Err(e) = run(&cli) {
        error!("Sibyl failed: {e:#}");
        std::process::exit(1);
    }
}

fn init_logging(log_level: Option<&str>) -> Result<()> {
    let filter = match log_level {
        Some(directives) => {
            EnvFilter::try_new(directives).with_context(|| format!("invalid --log-level '{directives}'"))?
        }
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    Ok(())
}

fn run(cli: &Cli) -> Result<()> {
    let config = Config::load(cli)?;
    match &config.source {
        Some(path) => info!("Sibyl {VERSION} starting with config file {}", path.display()),
        None => info!("Sibyl {VERSION} starting with built-in defaults (no config file)"),
    }
    for warning in &config.warnings {
        warn!("{warning}");
    }
    info!("{}", config.summary());
    // Loads the TLS certificate and key now, so a bad file stops the server before it binds.
    let server_config = config.server_config().map_err(anyhow::Error::msg)?;
    if let Some(tls) = &server_config.tls {
        let mode = if tls.optional { "optional (TLS and plain connections)" } else { "required" };
        info!("Client encryption (TLS) {mode}");
    }

    for dir in [config.data_dir(), config.commitlog_directory.as_path()] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create directory {}", dir.display()))?;
    }

    // Bind first, so a busy port fails fast and port 0 is resolved before the node describes itself.
    let address = SocketAddr::new(config.listen_address, config.native_transport_port);
    let std_listener =
        std::net::TcpListener::bind(address).with_context(|| format!("cannot listen for CQL clients on {address}"))?;
    std_listener.set_nonblocking(true).context("cannot make the listening socket non-blocking")?;
    let bound = std_listener.local_addr().context("cannot read the listening socket's address")?;

    // Opening replays the commitlog: blocking work, done before the runtime starts.
    let started = Instant::now();
    let processor = query::QueryProcessor::open(config.node_config(bound.port()))
        .with_context(|| format!("cannot open the data in {}", config.data_dir().display()))?;
    let processor = processor.with_auth(config.auth.clone()).context("cannot set up authentication")?;
    if config.auth.authenticator.requires_authentication() {
        info!(
            "Authentication on ({}), authorization {}",
            config.auth.authenticator.class_name(),
            if config.auth.authorizer.requires_authorization() { "on (CassandraAuthorizer)" } else { "off" }
        );
    }
    let processor = Arc::new(processor);
    info!("Data loaded in {:.1?}", started.elapsed());

    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("sibyl-worker")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;

    let served = runtime.block_on(serve(std_listener, bound, Arc::clone(&processor), server_config));
    if let Err(e) = &served {
        error!("CQL server failed: {e:#}");
    }

    info!("Shutting down: flushing memtables and syncing the commitlog");
    let started = Instant::now();
    let stopped = processor.shutdown().context("clean shutdown of the storage engine failed");
    // The signal task is still alive until here, so a second Ctrl-C during the flush forces an exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    stopped?;
    served?;
    info!("Sibyl stopped cleanly in {:.1?}", started.elapsed());
    Ok(())
}

/// Serves CQL clients until the first SIGINT/SIGTERM.
async fn serve(
    std_listener: std::net::TcpListener,
    bound: SocketAddr,
    processor: Arc<query::QueryProcessor>,
    server_config: protocol_server::ServerConfig,
) -> Result<()> {
    let listener = tokio::net::TcpListener::from_std(std_listener).context("cannot register the listening socket")?;

    // Signal handlers are installed before the ready line, so a signal sent right after it is seen.
    let shutdown_requested = watch_for_signals()?;
    let shutdown = {
        let mut rx = shutdown_requested.clone();
        async move { wait_until_set(&mut rx).await }
    };

    info!("Sibyl {VERSION} listening for CQL clients on {bound}");

    let drain_limit = server_config.shutdown_grace + DRAIN_BACKSTOP;
    let server = protocol_server::run(listener, processor, server_config, shutdown);
    tokio::pin!(server);
    let drain_deadline = {
        let mut rx = shutdown_requested.clone();
        async move {
            wait_until_set(&mut rx).await;
            tokio::time::sleep(drain_limit).await;
        }
    };
    tokio::select! {
        result = &mut server => result.context("CQL server stopped with an error"),
        () = drain_deadline => {
            warn!("CQL server still draining {drain_limit:?} after the shutdown signal; stopping anyway");
            Ok(())
        }
    }
}

/// Installs SIGINT/SIGTERM handlers. The returned flag is set on the first signal; a second
/// signal exits the process at once, without a clean shutdown.
fn watch_for_signals() -> Result<watch::Receiver<bool>> {
    let (tx, rx) = watch::channel(false);
    let mut signals = Signals::install()?;
    tokio::spawn(async move {
        let name = signals.next().await;
        info!("Received {name}; stopping (send it again to exit immediately)");
        let _ = tx.send(true);
        let name = signals.next().await;
        warn!("Received {name} again; exiting without a clean shutdown");
        std::process::exit(130);
    });
    Ok(rx)
}

async fn wait_until_set(rx: &mut watch::Receiver<bool>) {
    if rx.wait_for(|set| *set).await.is_err() {
        // The signal task never drops the sender while running; if it did, never shut down by mistake.
        std::future::pending::<()>().await;
    }
}

#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt()).context("cannot install the SIGINT handler")?,
            terminate: signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?,
        })
    }

    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Result<Signals> {
        Ok(Signals)
    }

    async fn next(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
