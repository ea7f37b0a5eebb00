//! The server over real TCP: handshake, errors, framing, compression, limits and shutdown, as a
//! driver sees them. Independent of what the query layer can execute.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use protocol_server::compression::Compression;
use protocol_server::segment::SegmentCodec;
use protocol_server::{run, ServerConfig, TlsConfig};
use query::{NodeConfig, QueryProcessor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const OPTIONS: u8 = 0x05;
const STARTUP: u8 = 0x01;
const QUERY: u8 = 0x07;
const REGISTER: u8 = 0x0B;
const ERROR: u8 = 0x00;
const READY: u8 = 0x02;
const SUPPORTED: u8 = 0x06;
const RESULT: u8 = 0x08;

const WAIT: Duration = Duration::from_secs(5);

struct TestServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> TestServer {
        TestServer::with_config(ServerConfig::default()).await
    }

    async fn with_config(config: ServerConfig) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("node");
        std::fs::create_dir_all(&data_dir).unwrap();
        let processor = QueryProcessor::open(NodeConfig {
            cluster_name: "Test Cluster".into(),
            listen_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            native_port: 9042,
            data_dir,
            storage: storage::StorageConfig::new(dir.path().join("storage")),
        })
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(run(listener, Arc::new(processor), config, async {
            let _ = stopped.await;
        }));
        TestServer { addr, stop: Some(stop), handle, _dir: dir }
    }

    async fn connect(&self) -> Client {
        Client { socket: TcpStream::connect(self.addr).await.unwrap() }
    }

    /// Signals shutdown and waits for `run` to return.
    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(WAIT, &mut self.handle).await.expect("run returns after shutdown").unwrap().unwrap();
    }
}

#[derive(Debug)]
struct Reply {
    version: u8,
    flags: u8,
    stream: i16,
    opcode: u8,
    body: Vec<u8>,
}

impl Reply {
    /// The error code and message of an ERROR body.
    fn error(&self) -> (i32, String) {
        assert_eq!(self.opcode, ERROR, "expected an ERROR, got {self:?}");
        let code = i32::from_be_bytes(self.body[0..4].try_into().unwrap());
        let len = u16::from_be_bytes([self.body[4], self.body[5]]) as usize;
        (code, String::from_utf8(self.body[6..6 + len].to_vec()).unwrap())
    }
}

struct Client {
    socket: TcpStream,
}

fn frame(version: u8, flags: u8, stream: i16, opcode: u8, body: &[u8]) -> Vec<u8> {
    let mut f = vec![version, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.push(opcode);
    f.extend_from_slice(&(body.len() as u32).to_be_bytes());
    f.extend_from_slice(body);
    f
}

fn string(s: &str) -> Vec<u8> {
    let mut v = (s.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(s.as_bytes());
    v
}

fn string_map(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut v = (pairs.len() as u16).to_be_bytes().to_vec();
    for (k, val) in pairs {
        v.extend(string(k));
        v.extend(string(val));
    }
    v
}

fn long_string(s: &str) -> Vec<u8> {
    let mut v = (s.len() as i32).to_be_bytes().to_vec();
    v.extend_from_slice(s.as_bytes());
    v
}

/// A QUERY body at consistency ONE without flags.
fn query_body(q: &str) -> Vec<u8> {
    let mut b = long_string(q);
    b.extend_from_slice(&[0, 1, 0]);
    b
}

impl Client {
    async fn send(&mut self, version: u8, flags: u8, stream: i16, opcode: u8, body: &[u8]) {
        self.send_raw(&frame(version, flags, stream, opcode, body)).await;
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.socket.write_all(bytes).await.unwrap();
    }

    async fn recv(&mut self) -> Reply {
        tokio::time::timeout(WAIT, async {
            let mut header = [0u8; 9];
            self.socket.read_exact(&mut header).await.expect("a response header");
            let len = u32::from_be_bytes(header[5..9].try_into().unwrap()) as usize;
            let mut body = vec![0u8; len];
            self.socket.read_exact(&mut body).await.expect("a response body");
            Reply {
                version: header[0],
                flags: header[1],
                stream: i16::from_be_bytes([header[2], header[3]]),
                opcode: header[4],
                body,
            }
        })
        .await
        .expect("a response in time")
    }

    /// Sends a request and returns the answer.
    async fn request(&mut self, version: u8, stream: i16, opcode: u8, body: &[u8]) -> Reply {
        self.send(version, 0, stream, opcode, body).await;
        self.recv().await
    }

    async fn startup(&mut self, version: u8, options: &[(&str, &str)]) -> Reply {
        self.request(version, 0, STARTUP, &string_map(options)).await
    }

    async fn ready(server: &TestServer) -> Client {
        let mut c = server.connect().await;
        let r = c.startup(4, &[("CQL_VERSION", "3.0.0")]).await;
        assert_eq!(r.opcode, READY);
        c
    }

    /// True once the server has closed the connection (EOF) without sending anything more.
    async fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(tokio::time::timeout(WAIT, self.socket.read(&mut byte)).await, Ok(Ok(0)) | Ok(Err(_)))
    }
}

/// Reads a [string multimap] body into (key, values) pairs.
fn multimap(body: &[u8]) -> Vec<(String, Vec<String>)> {
    let mut b = body;
    let short = |b: &mut &[u8]| {
        let v = u16::from_be_bytes([b[0], b[1]]) as usize;
        *b = &b[2..];
        v
    };
    let n = short(&mut b);
    let mut out = Vec::new();
    for _ in 0..n {
        let kl = short(&mut b);
        let k = String::from_utf8(b[..kl].to_vec()).unwrap();
        b = &b[kl..];
        let m = short(&mut b);
        let mut vals = Vec::new();
        for _ in 0..m {
            let vl = short(&mut b);
            vals.push(String::from_utf8(b[..vl].to_vec()).unwrap());
            b = &b[vl..];
        }
        out.push((k, vals));
    }
    out
}

#[tokio::test]
async fn options_before_startup_is_answered_with_supported() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.request(4, 3, OPTIONS, &[]).await;
    assert_eq!((r.version, r.flags, r.stream, r.opcode), (0x84, 0, 3, SUPPORTED));
    let options = multimap(&r.body);
    let get = |k: &str| options.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(get("CQL_VERSION"), Some(vec!["3.4.7".to_string()]));
    assert_eq!(get("COMPRESSION"), Some(vec!["snappy".to_string(), "lz4".to_string()]));
    assert_eq!(get("PROTOCOL_VERSIONS"), Some(vec!["3/v3".to_string(), "4/v4".to_string(), "5/v5".to_string()]));
    assert!(options.iter().all(|(k, _)| !k.starts_with("SCYLLA") && k != "PRODUCT_TYPE"));
}

#[tokio::test]
async fn options_after_startup_is_answered_too() {
    let server = TestServer::start().await;
    let mut c = Client::ready(&server).await;
    assert_eq!(c.request(4, 9, OPTIONS, &[]).await.opcode, SUPPORTED);
}

#[tokio::test]
async fn startup_is_answered_with_ready_on_its_stream() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.request(4, 42, STARTUP, &string_map(&[("CQL_VERSION", "3.0.0"), ("DRIVER_NAME", "x")])).await;
    assert_eq!((r.version, r.flags, r.stream, r.opcode, r.body.len()), (0x84, 0, 42, READY, 0));
}

#[tokio::test]
async fn startup_accepts_a_cql_version_above_the_advertised_one() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    assert_eq!(c.startup(4, &[("CQL_VERSION", "4.0.0")]).await.opcode, READY);
}

#[tokio::test]
async fn startup_without_cql_version_is_a_protocol_error() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.startup(4, &[("DRIVER_NAME", "x")]).await;
    assert_eq!(r.error(), (0x000A, "Missing value CQL_VERSION in STARTUP message".into()));
}

#[tokio::test]
async fn startup_with_a_cql_version_below_3_is_a_protocol_error() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let (code, msg) = c.startup(4, &[("CQL_VERSION", "2.0.0")]).await.error();
    assert_eq!(code, 0x000A);
    assert!(msg.contains("supported version are >= 3.0.0"), "{msg}");
}

#[tokio::test]
async fn startup_with_an_unknown_compression_is_a_protocol_error() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.startup(4, &[("CQL_VERSION", "3.0.0"), ("COMPRESSION", "zstd")]).await;
    assert_eq!(r.error(), (0x000A, "Unknown compression algorithm: zstd".into()));
}

#[tokio::test]
async fn a_query_before_startup_is_a_protocol_error_and_the_connection_stays_open() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.request(4, 5, QUERY, &query_body("SELECT * FROM system.local")).await;
    assert_eq!(r.stream, 5);
    assert_eq!(r.error(), (0x000A, "Unexpected message QUERY, expecting STARTUP or OPTIONS".into()));
    assert_eq!(c.startup(4, &[("CQL_VERSION", "3.0.0")]).await.opcode, READY);
}

#[tokio::test]
async fn register_is_answered_with_ready() {
    let server = TestServer::start().await;
    let mut c = Client::ready(&server).await;
    let mut body = vec![0, 3];
    for e in ["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"] {
        body.extend(string(e));
    }
    let r = c.request(4, 1, REGISTER, &body).await;
    assert_eq!((r.stream, r.opcode, r.body.len()), (1, READY, 0));
}

#[tokio::test]
async fn a_query_is_answered_on_its_stream_with_a_result_or_an_error() {
    let server = TestServer::start().await;
    let mut c = Client::ready(&server).await;
    let r = c.request(4, 77, QUERY, &query_body("SELECT release_version FROM system.local")).await;
    assert_eq!(r.stream, 77);
    assert!(r.opcode == RESULT || r.opcode == ERROR, "{r:?}");
    // The connection is still usable.
    assert_eq!(c.request(4, 78, OPTIONS, &[]).await.stream, 78);
}

/// The exact ERROR frame refusing version `v` on stream 0x0102.
fn unsupported_version_reply(reply_version: u8, v: u8) -> Vec<u8> {
    let msg = format!("Invalid or unsupported protocol version ({v}); supported versions are (3/v3, 4/v4, 5/v5)");
    let mut body = vec![0, 0, 0, 0x0A];
    body.extend(string(&msg));
    frame(reply_version, 0, 0x0102, ERROR, &body)
}

async fn refused(v: u8) -> Vec<u8> {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    c.send(v, 0, 0x0102, OPTIONS, &[]).await;
    let mut reply = Vec::new();
    tokio::time::timeout(WAIT, c.socket.read_to_end(&mut reply)).await.expect("server closes").unwrap();
    reply
}

#[tokio::test]
async fn an_unsupported_version_gets_an_error_on_its_stream_in_v4_and_the_connection_closes() {
    for v in [0x42u8, 0x41, 6] {
        assert_eq!(refused(v).await, unsupported_version_reply(0x84, v), "version {v}");
    }
}

#[tokio::test]
async fn a_retired_version_is_refused_in_its_own_version() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    c.send_raw(&[0x02, 0, 7, OPTIONS, 0, 0, 0, 0]).await;
    let r = c.recv().await;
    assert_eq!((r.version, r.stream), (0x82, 7));
    assert!(r.error().1.starts_with("Invalid or unsupported protocol version (2)"));
}

#[tokio::test]
async fn v3_is_spoken_in_v3() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.startup(3, &[("CQL_VERSION", "3.0.0")]).await;
    assert_eq!((r.version, r.opcode), (0x83, READY));
    assert_eq!(c.request(3, 1, OPTIONS, &[]).await.version, 0x83);
}

#[tokio::test]
async fn another_version_after_startup_is_a_protocol_error() {
    let server = TestServer::start().await;
    let mut c = Client::ready(&server).await;
    let r = c.request(3, 1, OPTIONS, &[]).await;
    assert_eq!(r.version, 0x84);
    assert_eq!(
        r.error(),
        (0x000A, "Invalid message version. Got 3/v3 but previous messages on this connection had version 4/v4".into())
    );
}

#[tokio::test]
async fn a_frame_with_the_response_bit_is_a_protocol_error_and_closes_the_connection() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.request(0x84, 4, OPTIONS, &[]).await;
    assert_eq!(r.stream, 4);
    assert_eq!(r.error().0, 0x000A);
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn an_unknown_opcode_is_a_protocol_error_and_closes_the_connection() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.request(4, 4, 0x04, &[]).await;
    assert_eq!(r.error(), (0x000A, "Unknown opcode 4".into()));
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn a_truncated_body_is_a_protocol_error_and_the_connection_goes_on() {
    let server = TestServer::start().await;
    let mut c = Client::ready(&server).await;
    let r = c.request(4, 6, QUERY, &[0, 0, 0, 50, b'S']).await;
    assert_eq!((r.stream, r.error().0), (6, 0x000A));
    assert_eq!(c.request(4, 7, OPTIONS, &[]).await.opcode, SUPPORTED);
}

#[tokio::test]
async fn an_oversized_frame_is_skipped_and_answered_invalid() {
    let server = TestServer::with_config(ServerConfig { max_frame_size_bytes: 1024, ..Default::default() }).await;
    let mut c = Client::ready(&server).await;
    let big = query_body(&"x".repeat(2000));
    let r = c.request(4, 8, QUERY, &big).await;
    assert_eq!(r.stream, 8);
    let (code, msg) = r.error();
    assert_eq!(code, 0x2200);
    assert_eq!(msg, format!("Request is too big: length {} exceeds maximum allowed length 1024.", big.len() + 9));
    assert_eq!(c.request(4, 9, OPTIONS, &[]).await.opcode, SUPPORTED);
}

#[tokio::test]
async fn with_lz4_the_ready_is_plain_and_later_frames_are_compressed() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.startup(4, &[("CQL_VERSION", "3.0.0"), ("COMPRESSION", "lz4")]).await;
    assert_eq!((r.opcode, r.flags), (READY, 0));
    // A compressed OPTIONS (empty body: length 0, empty lz4 block).
    let mut body = 0u32.to_be_bytes().to_vec();
    body.extend(lz4_flex::block::compress(&[]));
    c.send(4, 0x01, 2, OPTIONS, &body).await;
    let r = c.recv().await;
    assert_eq!((r.opcode, r.flags & 0x01), (SUPPORTED, 0x01));
    let len = u32::from_be_bytes(r.body[..4].try_into().unwrap()) as usize;
    let plain = lz4_flex::block::decompress(&r.body[4..], len).unwrap();
    assert!(multimap(&plain).iter().any(|(k, _)| k == "CQL_VERSION"));
}

#[tokio::test]
async fn a_compressed_frame_without_negotiated_compression_is_a_protocol_error() {
    let server = TestServer::start().await;
    let mut c = Client::ready(&server).await;
    c.send(4, 0x01, 2, OPTIONS, &[0, 0, 0, 0, 0]).await;
    assert_eq!(c.recv().await.error().0, 0x000A);
}

#[tokio::test]
async fn pipelined_requests_are_each_answered_on_their_stream() {
    let server = TestServer::start().await;
    let mut c = Client::ready(&server).await;
    let mut batch = Vec::new();
    for stream in 1..=200i16 {
        batch.extend(frame(4, 0, stream, OPTIONS, &[]));
    }
    c.send_raw(&batch).await;
    let mut seen: Vec<i16> = Vec::new();
    for _ in 0..200 {
        let r = c.recv().await;
        assert_eq!(r.opcode, SUPPORTED);
        seen.push(r.stream);
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=200).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_frame_split_across_writes_is_reassembled() {
    let server = TestServer::start().await;
    let mut c = Client::ready(&server).await;
    let f = frame(4, 0, 11, OPTIONS, &[]);
    for b in f {
        c.send_raw(&[b]).await;
        tokio::task::yield_now().await;
    }
    assert_eq!(c.recv().await.stream, 11);
}

#[tokio::test]
async fn connections_over_the_limit_are_closed() {
    let server = TestServer::with_config(ServerConfig { max_connections: 1, ..Default::default() }).await;
    let mut first = Client::ready(&server).await;
    let mut second = server.connect().await;
    assert!(second.is_closed().await);
    assert_eq!(first.request(4, 1, OPTIONS, &[]).await.opcode, SUPPORTED);
}

#[tokio::test]
async fn shutdown_stops_accepting_and_run_returns() {
    let server = TestServer::start().await;
    let mut c = Client::ready(&server).await;
    let addr = server.addr;
    server.shutdown().await;
    assert!(c.is_closed().await);
    assert!(TcpStream::connect(addr).await.is_err());
}

impl Client {
    async fn send_segments(&mut self, codec: SegmentCodec, envelopes: &[u8]) {
        let mut out = BytesMut::new();
        codec.encode(envelopes, &mut out, &mut BytesMut::new());
        self.send_raw(&out).await;
    }

    /// Reads segments until at least one whole envelope arrived; returns it.
    async fn recv_framed(&mut self, codec: SegmentCodec, pending: &mut BytesMut) -> Reply {
        let mut raw = BytesMut::new();
        tokio::time::timeout(WAIT, async {
            loop {
                if pending.len() >= 9 {
                    let len = u32::from_be_bytes(pending[5..9].try_into().unwrap()) as usize;
                    if pending.len() >= 9 + len {
                        let f = pending.split_to(9 + len);
                        return Reply {
                            version: f[0],
                            flags: f[1],
                            stream: i16::from_be_bytes([f[2], f[3]]),
                            opcode: f[4],
                            body: f[9..].to_vec(),
                        };
                    }
                }
                let n = self.socket.read_buf(&mut raw).await.unwrap();
                assert!(n > 0, "connection closed");
                codec.decode(&mut raw, pending).unwrap();
            }
        })
        .await
        .expect("a framed response in time")
    }
}

#[tokio::test]
async fn v5_startup_is_answered_unframed_and_then_both_ways_use_segments() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.startup(5, &[("CQL_VERSION", "3.0.0")]).await;
    assert_eq!((r.version, r.opcode), (0x85, READY));
    let codec = SegmentCodec { lz4: false };
    let mut envelopes = frame(5, 0, 1, OPTIONS, &[]);
    envelopes.extend(frame(5, 0, 2, QUERY, &query_body("SELECT * FROM system.local")));
    c.send_segments(codec, &envelopes).await;
    let mut pending = BytesMut::new();
    let mut answers = [c.recv_framed(codec, &mut pending).await, c.recv_framed(codec, &mut pending).await];
    answers.sort_by_key(|r| r.stream);
    assert_eq!((answers[0].version, answers[0].stream, answers[0].opcode), (0x85, 1, SUPPORTED));
    assert_eq!(answers[1].stream, 2);
    assert!(answers[1].opcode == RESULT || answers[1].opcode == ERROR);
}

#[tokio::test]
async fn v5_with_lz4_uses_compressed_segments() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.startup(5, &[("CQL_VERSION", "3.0.0"), ("COMPRESSION", "lz4")]).await;
    assert_eq!((r.version, r.flags, r.opcode), (0x85, 0, READY));
    let codec = SegmentCodec { lz4: true };
    c.send_segments(codec, &frame(5, 0, 3, OPTIONS, &[])).await;
    let r = c.recv_framed(codec, &mut BytesMut::new()).await;
    assert_eq!((r.stream, r.opcode, r.flags), (3, SUPPORTED, 0));
    assert!(multimap(&r.body).iter().any(|(k, _)| k == "COMPRESSION"));
}

#[tokio::test]
async fn a_corrupt_v5_segment_closes_the_connection() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    assert_eq!(c.startup(5, &[("CQL_VERSION", "3.0.0")]).await.opcode, READY);
    let mut out = BytesMut::new();
    SegmentCodec { lz4: false }.encode(&frame(5, 0, 1, OPTIONS, &[]), &mut out, &mut BytesMut::new());
    out[7] ^= 0xFF;
    c.send_raw(&out).await;
    assert!(c.is_closed().await);
}

const EVENT: u8 = 0x0C;

async fn register_schema_changes(c: &mut Client) {
    let mut body = vec![0, 1];
    body.extend(string("SCHEMA_CHANGE"));
    assert_eq!(c.request(4, 1, REGISTER, &body).await.opcode, READY);
}

#[tokio::test]
async fn a_ddl_statement_is_answered_before_its_schema_change_event_reaches_registered_connections() {
    let server = TestServer::start().await;
    let mut ddl = Client::ready(&server).await;
    register_schema_changes(&mut ddl).await;
    let mut watcher = Client::ready(&server).await;
    register_schema_changes(&mut watcher).await;

    let create = "CREATE KEYSPACE events_ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}";
    ddl.send(4, 0, 9, QUERY, &query_body(create)).await;
    let result = ddl.recv().await;
    assert_eq!((result.stream, result.opcode), (9, RESULT), "{result:?}");
    assert_eq!(&result.body[..4], [0, 0, 0, 5], "a Schema_change result");

    let mut expected = Vec::new();
    for s in ["SCHEMA_CHANGE", "CREATED", "KEYSPACE", "events_ks"] {
        expected.extend(string(s));
    }
    for c in [&mut ddl, &mut watcher] {
        let event = c.recv().await;
        assert_eq!((event.version, event.stream, event.opcode), (0x84, -1, EVENT));
        assert_eq!(event.body, expected);
    }
}

#[tokio::test]
async fn a_tracing_request_is_answered_without_tracing() {
    let server = TestServer::start().await;
    let mut c = Client::ready(&server).await;
    c.send(4, 0x02, 4, OPTIONS, &[]).await;
    let r = c.recv().await;
    assert_eq!((r.stream, r.opcode, r.flags), (4, SUPPORTED, 0));
}

#[tokio::test]
async fn a_custom_payload_is_skipped() {
    let server = TestServer::start().await;
    let mut c = Client::ready(&server).await;
    let mut body = vec![0, 1];
    body.extend(string("k"));
    body.extend_from_slice(&[0, 0, 0, 1, 7]);
    body.extend(query_body("SELECT release_version FROM system.local"));
    c.send(4, 0x04, 4, QUERY, &body).await;
    let r = c.recv().await;
    assert_eq!((r.stream, r.opcode), (4, RESULT), "{r:?}");
}

// ---- snappy ------------------------------------------------------------------------------------

#[tokio::test]
async fn with_snappy_the_ready_is_plain_and_later_frames_are_raw_snappy_both_ways() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.startup(4, &[("CQL_VERSION", "3.0.0"), ("COMPRESSION", "snappy")]).await;
    assert_eq!((r.opcode, r.flags), (READY, 0));
    let mut encoder = snap::raw::Encoder::new();
    let query = encoder.compress_vec(&query_body("SELECT release_version FROM system.local")).unwrap();
    c.send(4, 0x01, 2, QUERY, &query).await;
    let r = c.recv().await;
    assert_eq!((r.stream, r.opcode, r.flags & 0x01), (2, RESULT, 0x01));
    let plain = snap::raw::Decoder::new().decompress_vec(&r.body).unwrap();
    assert_eq!(&plain[..4], [0, 0, 0, 2], "a Rows result");
    // An uncompressed request on a compressed connection is fine; the answer is compressed.
    let r = c.request(4, 3, OPTIONS, &[]).await;
    assert_eq!((r.opcode, r.flags & 0x01), (SUPPORTED, 0x01));
    let plain = Compression::Snappy.decompress(&r.body, 1 << 20).unwrap();
    assert!(multimap(&plain).iter().any(|(k, v)| k == "COMPRESSION" && v.contains(&"snappy".to_string())));
}

#[tokio::test]
async fn a_corrupt_snappy_body_is_a_protocol_error_and_the_connection_goes_on() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    assert_eq!(c.startup(4, &[("CQL_VERSION", "3.0.0"), ("COMPRESSION", "snappy")]).await.opcode, READY);
    c.send(4, 0x01, 5, QUERY, &[0x40, 0xFF, 0xFF]).await;
    let r = c.recv().await;
    assert_eq!(r.stream, 5);
    let plain = Compression::Snappy.decompress(&r.body, 1 << 20).unwrap();
    assert_eq!(&plain[..4], [0, 0, 0, 0x0A], "a protocol error");
    assert_eq!(c.request(4, 6, OPTIONS, &[]).await.opcode, SUPPORTED);
}

#[tokio::test]
async fn v5_refuses_snappy() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let r = c.startup(5, &[("CQL_VERSION", "3.0.0"), ("COMPRESSION", "snappy")]).await;
    assert_eq!((r.version, r.error()), (0x85, (0x000A, "Unsupported compression type: snappy".into())));
}

// ---- startup timeout and back-pressure ---------------------------------------------------------

fn quick_startup() -> ServerConfig {
    ServerConfig { startup_timeout: Duration::from_millis(300), ..Default::default() }
}

#[tokio::test]
async fn a_connection_that_never_sends_startup_is_closed_after_the_startup_timeout() {
    let server = TestServer::with_config(quick_startup()).await;
    let mut silent = server.connect().await;
    let mut options_only = server.connect().await;
    assert_eq!(options_only.request(4, 1, OPTIONS, &[]).await.opcode, SUPPORTED);
    let mut started = Client::ready(&server).await;
    let t = std::time::Instant::now();
    assert!(silent.is_closed().await);
    assert!(options_only.is_closed().await);
    assert!(t.elapsed() < Duration::from_secs(3), "closed after {:?}", t.elapsed());
    // A connection whose STARTUP was accepted is not subject to it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(started.request(4, 2, OPTIONS, &[]).await.opcode, SUPPORTED);
}

#[tokio::test]
async fn a_connection_that_sends_half_a_frame_is_closed_after_the_startup_timeout() {
    let server = TestServer::with_config(quick_startup()).await;
    let mut c = server.connect().await;
    c.send_raw(&frame(4, 0, 1, STARTUP, &string_map(&[("CQL_VERSION", "3.0.0")]))[..12]).await;
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn a_client_that_does_not_read_its_answers_is_pushed_back_and_others_are_served() {
    let config = ServerConfig { max_in_flight_requests_per_connection: 4, ..Default::default() };
    let server = TestServer::with_config(config).await;
    let mut greedy = Client::ready(&server).await;
    // 40 MiB of OPTIONS, never reading the (ten times larger) answers: once the socket buffers
    // are full the server must stop reading, so this write cannot complete.
    let flood: Vec<u8> = frame(4, 0, 1, OPTIONS, &[]).repeat(40 * 1024 * 1024 / 9);
    let write = tokio::time::timeout(Duration::from_secs(2), greedy.socket.write_all(&flood)).await;
    assert!(write.is_err(), "the server read 40 MiB of requests without the client reading any answer");
    let mut other = Client::ready(&server).await;
    assert_eq!(other.request(4, 1, OPTIONS, &[]).await.opcode, SUPPORTED);
    drop(greedy);
    assert_eq!(other.request(4, 2, OPTIONS, &[]).await.opcode, SUPPORTED);
}

// ---- TLS ---------------------------------------------------------------------------------------

struct Pki {
    server: TlsConfig,
    client: tokio_rustls::TlsConnector,
}

fn pki(optional: bool) -> Pki {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let server = TlsConfig::new(vec![cert.cert.der().clone()], key, optional).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Pki { server, client: tokio_rustls::TlsConnector::from(Arc::new(client)) }
}

/// STARTUP then OPTIONS over a TLS connection; returns the opcodes of the answers.
async fn over_tls(server: &TestServer, connector: &tokio_rustls::TlsConnector) -> std::io::Result<(u8, u8)> {
    let tcp = TcpStream::connect(server.addr).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = tokio::time::timeout(WAIT, connector.connect(name, tcp)).await??;
    let mut opcodes = [0u8; 2];
    let requests = [frame(4, 0, 0, STARTUP, &string_map(&[("CQL_VERSION", "3.0.0")])), frame(4, 0, 1, OPTIONS, &[])];
    for (i, request) in requests.iter().enumerate() {
        tls.write_all(request).await?;
        let mut header = [0u8; 9];
        tokio::time::timeout(WAIT, tls.read_exact(&mut header)).await??;
        let mut body = vec![0u8; u32::from_be_bytes(header[5..9].try_into().unwrap()) as usize];
        tls.read_exact(&mut body).await?;
        opcodes[i] = header[4];
    }
    Ok((opcodes[0], opcodes[1]))
}

#[tokio::test]
async fn with_tls_required_tls_clients_are_served_and_plain_ones_are_not() {
    let pki = pki(false);
    let server = TestServer::with_config(ServerConfig { tls: Some(pki.server), ..Default::default() }).await;
    assert_eq!(over_tls(&server, &pki.client).await.unwrap(), (READY, SUPPORTED));
    let mut plain = server.connect().await;
    plain.send(4, 0, 0, STARTUP, &string_map(&[("CQL_VERSION", "3.0.0")])).await;
    let mut buf = [0u8; 9];
    // Whatever comes back (a TLS alert, or nothing) is not a READY frame, and the server hangs up.
    let got = tokio::time::timeout(WAIT, plain.socket.read(&mut buf)).await.unwrap();
    assert!(!matches!(got, Ok(9) if buf[0] == 0x84), "{buf:?}");
    assert!(plain.is_closed().await);
}

#[tokio::test]
async fn with_tls_optional_tls_and_plain_clients_share_the_port() {
    let pki = pki(true);
    let server = TestServer::with_config(ServerConfig { tls: Some(pki.server), ..Default::default() }).await;
    assert_eq!(over_tls(&server, &pki.client).await.unwrap(), (READY, SUPPORTED));
    let mut plain = Client::ready(&server).await;
    assert_eq!(plain.request(4, 1, OPTIONS, &[]).await.opcode, SUPPORTED);
    assert_eq!(over_tls(&server, &pki.client).await.unwrap(), (READY, SUPPORTED));
}

#[tokio::test]
async fn a_tls_handshake_that_never_finishes_is_closed_after_the_startup_timeout() {
    let pki = pki(true);
    let config = ServerConfig { tls: Some(pki.server), ..quick_startup() };
    let server = TestServer::with_config(config).await;
    let mut stuck = server.connect().await;
    stuck.send_raw(&[0x16, 0x03, 0x01]).await;
    assert!(stuck.is_closed().await);
    let mut silent = server.connect().await;
    assert!(silent.is_closed().await);
}

// ---- v5 result metadata ids --------------------------------------------------------------------

struct V5 {
    client: Client,
    codec: SegmentCodec,
    pending: BytesMut,
}

impl V5 {
    async fn connect(server: &TestServer) -> V5 {
        let mut client = server.connect().await;
        assert_eq!(client.startup(5, &[("CQL_VERSION", "3.0.0")]).await.opcode, READY);
        V5 { client, codec: SegmentCodec { lz4: false }, pending: BytesMut::new() }
    }

    async fn request(&mut self, stream: i16, opcode: u8, body: &[u8]) -> Reply {
        self.client.send_segments(self.codec, &frame(5, 0, stream, opcode, body)).await;
        let r = self.client.recv_framed(self.codec, &mut self.pending).await;
        assert_eq!((r.stream, r.opcode), (stream, RESULT), "{r:?}");
        r
    }

    async fn query(&mut self, q: &str) -> Reply {
        let mut body = long_string(q);
        body.extend_from_slice(&[0, 1, 0, 0, 0, 0]);
        self.request(1, QUERY, &body).await
    }

    /// PREPARE; returns the statement id and the result metadata id.
    async fn prepare(&mut self, q: &str) -> (Vec<u8>, Vec<u8>) {
        let mut body = long_string(q);
        body.extend_from_slice(&[0, 0, 0, 0]);
        let r = self.request(2, 0x09, &body).await;
        assert_eq!(&r.body[..4], [0, 0, 0, 4], "a Prepared result");
        let mut b = &r.body[4..];
        let mut short_bytes = || {
            let n = u16::from_be_bytes([b[0], b[1]]) as usize;
            let v = b[2..2 + n].to_vec();
            b = &b[2 + n..];
            v
        };
        (short_bytes(), short_bytes())
    }

    /// EXECUTE with one int value and Skip_metadata; returns the Rows body after the kind.
    async fn execute(&mut self, id: &[u8], metadata_id: &[u8], value: i32) -> Vec<u8> {
        let r = self.request(3, 0x0A, &Self::execute_body(id, metadata_id, value)).await;
        assert_eq!(&r.body[..4], [0, 0, 0, 2], "a Rows result");
        r.body[4..].to_vec()
    }

    /// The error code an EXECUTE gets.
    async fn execute_error(&mut self, id: &[u8], metadata_id: &[u8], value: i32) -> i32 {
        let body = Self::execute_body(id, metadata_id, value);
        self.client.send_segments(self.codec, &frame(5, 0, 3, 0x0A, &body)).await;
        let r = self.client.recv_framed(self.codec, &mut self.pending).await;
        assert_eq!(r.opcode, 0x00, "an ERROR: {r:?}");
        i32::from_be_bytes(r.body[..4].try_into().unwrap())
    }

    fn execute_body(id: &[u8], metadata_id: &[u8], value: i32) -> Vec<u8> {
        let mut body = Vec::new();
        for b in [id, metadata_id] {
            body.extend_from_slice(&(b.len() as u16).to_be_bytes());
            body.extend_from_slice(b);
        }
        body.extend_from_slice(&[0, 1, 0, 0, 0, 0x03, 0, 1, 0, 0, 0, 4]);
        body.extend_from_slice(&value.to_be_bytes());
        body
    }
}

fn rows_flags(rows: &[u8]) -> i32 {
    i32::from_be_bytes(rows[..4].try_into().unwrap())
}

#[tokio::test]
async fn v5_execute_skips_the_metadata_while_the_client_id_is_current_and_sends_the_new_id_once_it_is_not() {
    let server = TestServer::start().await;
    let mut c = V5::connect(&server).await;
    c.query("CREATE KEYSPACE md WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").await;
    c.query("CREATE TABLE md.t (k int PRIMARY KEY, a text)").await;
    c.query("INSERT INTO md.t (k, a) VALUES (1, 'x')").await;
    let (id, metadata_id) = c.prepare("SELECT * FROM md.t WHERE k = ?").await;
    assert_eq!(metadata_id.len(), 16);

    // Same id: No_metadata (0x0004) as asked, the column count, then the row. (Global_tables_spec,
    // 0x0001, stays set although no spec follows, as in Cassandra.)
    let rows = c.execute(&id, &metadata_id, 1).await;
    assert_eq!(rows_flags(&rows), 0x0004 | 0x0001);
    assert_eq!(&rows[4..12], [0, 0, 0, 2, 0, 0, 0, 1]);

    // The table's columns change, which evicts the statements on it (as Cassandra's
    // `QueryProcessor.onAlterTable`): the EXECUTE meets UNPREPARED (0x2500).
    c.query("ALTER TABLE md.t ADD b int").await;
    assert_eq!(c.execute_error(&id, &metadata_id, 1).await, 0x2500);
    // Another client prepares it again, under the same id; this client's metadata id is stale,
    // so Metadata_changed (0x0008), the new id and the full metadata (Global_tables_spec 0x0001)
    // come back although it asked to skip them.
    let mut other = V5::connect(&server).await;
    let (same_id, _) = other.prepare("SELECT * FROM md.t WHERE k = ?").await;
    assert_eq!(same_id, id);
    let rows = c.execute(&id, &metadata_id, 1).await;
    assert_eq!(rows_flags(&rows), 0x0008 | 0x0001);
    assert_eq!(&rows[4..8], [0, 0, 0, 3], "three columns now");
    assert_eq!(&rows[8..10], [0, 16]);
    let new_id = rows[10..26].to_vec();
    assert_ne!(new_id, metadata_id);
    assert_eq!(&rows[26..28], [0, 2], "then the global table spec: keyspace 'md'");

    // With the new id, the metadata is skipped again; re-preparing gives the same new id.
    assert_eq!(rows_flags(&c.execute(&id, &new_id, 1).await), 0x0004 | 0x0001);
    assert_eq!(c.prepare("SELECT * FROM md.t WHERE k = ?").await, (id, new_id));
}
