//! The accept loop: a bound on open connections, and graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use query::QueryProcessor;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::connection::{self, Shared};
use crate::events::EventBus;
use crate::tls::TlsConfig;

/// Limits of the native protocol server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request frame (header and body) accepted; a larger one is skipped and answered
    /// with an Invalid error. Cassandra 5.0's `native_transport_max_frame_size` defaults to 16 MiB.
    pub max_frame_size_bytes: usize,
    /// Connections open at once; a connection beyond it is closed as soon as it is accepted
    /// (as Cassandra's `native_transport_max_concurrent_connections` does).
    pub max_connections: usize,
    /// Requests of one connection in flight at once before the server stops reading from it.
    pub max_in_flight_requests_per_connection: usize,
    /// How long shutdown waits for in-flight requests to be answered before dropping connections.
    pub shutdown_grace: Duration,
    /// A connection must have completed its TLS handshake (if any) and had its STARTUP accepted
    /// within this long of being accepted, or it is closed: idle connections that never start
    /// cannot hold connection slots.
    pub startup_timeout: Duration,
    /// Client encryption; `None` serves plain connections only.
    pub tls: Option<TlsConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_frame_size_bytes: 16 * 1024 * 1024,
            max_connections: 4096,
            max_in_flight_requests_per_connection: 2048,
            shutdown_grace: Duration::from_secs(10),
            startup_timeout: Duration::from_secs(10),
            tls: None,
        }
    }
}

/// Serves the native protocol on `listener` until `shutdown` resolves; then stops accepting,
/// lets in-flight requests finish (for at most `config.shutdown_grace`) and returns.
pub async fn run(
    listener: TcpListener,
    processor: Arc<QueryProcessor>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve(listener, Arc::new(Shared { processor, events: EventBus::new(), config }), shutdown).await
}

/// [`run`] with the shared state given (tests publish events through it).
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let grace = shared.config.shutdown_grace;
    let slots = Arc::new(Semaphore::new(shared.config.max_connections.clamp(1, Semaphore::MAX_PERMITS)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    if let Ok(addr) = listener.local_addr() {
        debug!(%addr, "native protocol server listening");
    }
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (socket, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Usually out of file descriptors: wait for some to be released.
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    warn!(%peer, "too many connections; closing the new one");
                    continue;
                };
                let shared = Arc::clone(&shared);
                let stop = stop_rx.clone();
                connections.spawn(async move {
                    connection::accept(socket, shared, stop).await;
                    drop(slot);
                });
            }
        }
    }
    drop(listener);
    info!(open = connections.len(), "native protocol server stopping");
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(grace, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        warn!(open = connections.len(), "connections still busy after the shutdown grace period; dropping them");
        connections.shutdown().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use query::{NodeConfig, SchemaChange, SchemaChangeTarget, SchemaChangeType};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    const WAIT: Duration = Duration::from_secs(5);

    async fn request(socket: &mut TcpStream, stream: i16, opcode: u8, body: &[u8]) -> (i16, u8, Vec<u8>) {
        let mut f = vec![4, 0];
        f.extend_from_slice(&stream.to_be_bytes());
        f.push(opcode);
        f.extend_from_slice(&(body.len() as u32).to_be_bytes());
        f.extend_from_slice(body);
        socket.write_all(&f).await.unwrap();
        recv(socket).await
    }

    async fn recv(socket: &mut TcpStream) -> (i16, u8, Vec<u8>) {
        tokio::time::timeout(WAIT, async {
            let mut h = [0u8; 9];
            socket.read_exact(&mut h).await.unwrap();
            let mut body = vec![0u8; u32::from_be_bytes([h[5], h[6], h[7], h[8]]) as usize];
            socket.read_exact(&mut body).await.unwrap();
            (i16::from_be_bytes([h[2], h[3]]), h[4], body)
        })
        .await
        .expect("a frame in time")
    }

    async fn ready(addr: std::net::SocketAddr) -> TcpStream {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let startup = [
            0, 1, 0, 11, b'C', b'Q', b'L', b'_', b'V', b'E', b'R', b'S', b'I', b'O', b'N', 0, 5, b'3', b'.', b'0',
            b'.', b'0',
        ];
        assert_eq!(request(&mut s, 0, 0x01, &startup).await.1, 0x02);
        s
    }

    #[tokio::test]
    async fn schema_changes_reach_only_connections_registered_for_them_as_events_on_stream_minus_one() {
        let dir = tempfile::tempdir().unwrap();
        let processor = QueryProcessor::open(NodeConfig {
            cluster_name: "Test Cluster".into(),
            listen_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            native_port: 9042,
            data_dir: dir.path().join("node"),
            storage: storage::StorageConfig::new(dir.path().join("storage")),
        })
        .unwrap();
        let events = EventBus::new();
        let shared = Arc::new(Shared {
            processor: Arc::new(processor),
            events: events.clone(),
            config: ServerConfig::default(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, shared, async {
            let _ = stopped.await;
        }));

        let mut registered = ready(addr).await;
        let mut body = vec![0, 1, 0, 13];
        body.extend_from_slice(b"SCHEMA_CHANGE");
        assert_eq!(request(&mut registered, 1, 0x0B, &body).await.1, 0x02);
        let mut other = ready(addr).await;

        events.publish(Arc::new(SchemaChange {
            change: SchemaChangeType::Created,
            keyspace: "ks".into(),
            target: SchemaChangeTarget::Keyspace,
        }));
        let (stream, opcode, body) = recv(&mut registered).await;
        assert_eq!((stream, opcode), (-1, 0x0C));
        let mut expected = Vec::new();
        for s in ["SCHEMA_CHANGE", "CREATED", "KEYSPACE", "ks"] {
            expected.extend_from_slice(&(s.len() as u16).to_be_bytes());
            expected.extend_from_slice(s.as_bytes());
        }
        assert_eq!(body, expected);

        // The unregistered connection got nothing: its next frame is the answer to its request.
        assert_eq!(request(&mut other, 5, 0x05, &[]).await.0, 5);

        let _ = stop.send(());
        tokio::time::timeout(WAIT, server).await.unwrap().unwrap().unwrap();
    }
}
