//! One client connection: optional TLS, then a reader loop that parses frames and runs each
//! request, and a writer task that sends the answers.
//!
//! The reader calls the [`QueryProcessor`] inline (it is synchronous and CPU-only) and only
//! awaits the durability of writes: a request whose writes are not yet durable waits in its own
//! task, so many streams are in flight and answered out of order. Answers go through a channel to
//! the writer, which encodes everything queued into one buffer before each socket write. A
//! semaphore bounds the requests in flight (running, waiting for durability, or queued for
//! writing): when it runs out the reader stops reading, which pushes back on the client.
//!
//! A connection has `startup_timeout` from being accepted to having its STARTUP accepted (TLS
//! handshake included); past it, it is closed. Established connections have TCP keepalive on, so
//! a peer that vanished without closing is noticed within minutes, not hours.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use query::{trace, ClientState, Error, Outcome, QueryProcessor, QueryResult, SchemaChange};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tracing::{debug, error, warn};

use crate::compression::Compression;
use crate::events::{EventBus, EVENT_STREAM};
use crate::frame::{self, flags, Frame, FrameError, FrameHeader, Parse, ProtocolVersion, HEADER_LEN};
use crate::request::Request;
use crate::response::{self, Event, Response};
use crate::segment::SegmentCodec;
use crate::server::ServerConfig;
use crate::tls::TLS_HANDSHAKE_RECORD;
use crate::wire;

/// Keep reading into a buffer with at least this much free space.
const READ_RESERVE: usize = 16 * 1024;
/// The writer sends once this much is encoded, even if more answers are queued.
const WRITE_BATCH: usize = 256 * 1024;
/// A writer buffer grown past this (by a huge result) is released after use.
const WRITE_BUFFER_KEEP: usize = 4 * 1024 * 1024;
/// TCP keepalive: first probe after this much silence, then one per interval, then give up.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 5;

/// What every connection shares.
pub(crate) struct Shared {
    pub processor: Arc<QueryProcessor>,
    pub events: EventBus,
    pub config: ServerConfig,
}

/// A response frame for the writer to encode and send.
struct OutFrame {
    /// The bare version number of the header (1 or 2 only when refusing those versions).
    header_version: u8,
    /// The version whose body layout to use.
    version: ProtocolVersion,
    stream: i16,
    compression: Option<Compression>,
    warnings: Vec<String>,
    /// The trace session of a request sent with the tracing flag: the body starts with it.
    tracing_id: Option<uuid::Uuid>,
    response: Response,
    /// Released once the frame is written.
    permit: Option<OwnedSemaphorePermit>,
}

// Frames are the common case: keeping them unboxed saves an allocation per response.
#[allow(clippy::large_enum_variant)]
enum Outgoing {
    Frame(OutFrame),
    /// v5: everything after this is sent in segments.
    StartFraming(SegmentCodec),
    /// Send everything queued before, then close the connection.
    Close,
}

/// Where the answer to one request goes: enough to send it from another task.
#[derive(Clone)]
struct ReplyTo {
    tx: mpsc::UnboundedSender<Outgoing>,
    stream: i16,
    version: ProtocolVersion,
    compression: Option<Compression>,
    /// Set when the request was traced: every answer to it carries the session id.
    tracing_id: Option<uuid::Uuid>,
}

impl ReplyTo {
    /// Queues the answer; false if the writer is gone.
    fn send(&self, response: Response, warnings: Vec<String>, permit: Option<OwnedSemaphorePermit>) -> bool {
        let frame = OutFrame {
            header_version: self.version.number(),
            version: self.version,
            stream: self.stream,
            compression: self.compression,
            warnings,
            tracing_id: self.tracing_id,
            response,
            permit,
        };
        self.tx.send(Outgoing::Frame(frame)).is_ok()
    }

    /// Sends a statement's result, then (for DDL) tells every registered connection: the
    /// statement's own RESULT is always queued before the event.
    fn send_result(
        &self,
        result: QueryResult,
        warnings: Vec<String>,
        permit: OwnedSemaphorePermit,
        events: &EventBus,
    ) -> bool {
        if let QueryResult::Rows(rows) = &result {
            if !response::rows_are_well_formed(rows) {
                error!("a Rows result has a row whose cell count differs from its column count");
                let e = Error::Server("internal error: malformed result rows".into());
                return self.send(Response::Error(e), Vec::new(), Some(permit));
            }
        }
        let change = match &result {
            QueryResult::SchemaChange(c) => Some(Arc::new(c.clone())),
            _ => None,
        };
        let sent = self.send(Response::Result(result), warnings, Some(permit));
        if let Some(change) = change {
            events.publish(change);
        }
        sent
    }
}

/// Per-connection protocol state.
struct Connection {
    shared: Arc<Shared>,
    tx: mpsc::UnboundedSender<Outgoing>,
    in_flight: Arc<Semaphore>,
    /// The version STARTUP fixed for the connection.
    version: Option<ProtocolVersion>,
    /// v3/v4 frame body compression.
    compression: Option<Compression>,
    /// v5: the segment format of what the client sends after READY.
    framing: Option<SegmentCodec>,
    client: ClientState,
    /// Schema changes to forward, once REGISTERed for SCHEMA_CHANGE.
    events: Option<broadcast::Receiver<Arc<SchemaChange>>>,
    /// Stop reading: the connection is being closed.
    closing: bool,
    /// STARTUP was answered AUTHENTICATE and no AUTH_RESPONSE succeeded yet: only AUTH_RESPONSE
    /// is accepted (see `crate::auth`).
    authenticating: bool,
    /// The client's address, recorded in traces.
    peer: Option<SocketAddr>,
}

/// Takes over an accepted socket: TCP options, TLS if configured (or detected, when optional),
/// then [`serve`].
pub(crate) async fn accept(socket: TcpStream, shared: Arc<Shared>, stop: watch::Receiver<bool>) {
    let deadline = Instant::now() + shared.config.startup_timeout;
    let peer = socket.peer_addr().ok();
    let local = socket.local_addr().ok();
    let _ = socket.set_nodelay(true);
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_RETRIES);
    if let Err(e) = socket2::SockRef::from(&socket).set_tcp_keepalive(&keepalive) {
        debug!(?peer, error = %e, "cannot enable TCP keepalive");
    }
    let Some(tls) = shared.config.tls.clone() else {
        let (reader, writer) = socket.into_split();
        return serve(reader, writer, peer, local, shared, stop, deadline).await;
    };
    let mut stopping = stop.clone();
    let handshake = async {
        if tls.optional {
            match tokio::time::timeout_at(deadline, first_byte(&socket)).await {
                Ok(Some(TLS_HANDSHAKE_RECORD)) => {}
                Ok(Some(_)) => return Some(Err(socket)),
                Ok(None) => return None,
                Err(_) => {
                    debug!(?peer, "connection sent nothing before the startup timeout; closing it");
                    return None;
                }
            }
        }
        match tokio::time::timeout_at(deadline, tls.acceptor.accept(socket)).await {
            Ok(Ok(stream)) => Some(Ok(stream)),
            Ok(Err(e)) => {
                debug!(?peer, error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                debug!(?peer, "TLS handshake not done before the startup timeout; closing the connection");
                None
            }
        }
    };
    let stream = tokio::select! {
        _ = stopping.changed() => return,
        stream = handshake => stream,
    };
    match stream {
        Some(Ok(tls_stream)) => {
            let (reader, writer) = tokio::io::split(tls_stream);
            serve(reader, writer, peer, local, shared, stop, deadline).await
        }
        Some(Err(plain)) => {
            let (reader, writer) = plain.into_split();
            serve(reader, writer, peer, local, shared, stop, deadline).await
        }
        None => {}
    }
}

/// The first byte the client sent, left in the socket; `None` if it closed first.
async fn first_byte(socket: &TcpStream) -> Option<u8> {
    let mut b = [0u8; 1];
    match socket.peek(&mut b).await {
        Ok(1) => Some(b[0]),
        _ => None,
    }
}

/// Serves one connection until the client closes it, a fatal protocol error, `stop` turns true,
/// or (before STARTUP was accepted) `startup_deadline`; then lets the answers in flight go out
/// and returns.
async fn serve<R, W>(
    mut reader: R,
    writer: W,
    peer: Option<SocketAddr>,
    local: Option<SocketAddr>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    startup_deadline: Instant,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let writer = tokio::spawn(write_loop(writer, rx, peer));
    let max_in_flight = shared.config.max_in_flight_requests_per_connection.clamp(1, Semaphore::MAX_PERMITS);
    let max_frame = shared.config.max_frame_size_bytes;
    let mut conn = Connection {
        shared,
        tx,
        in_flight: Arc::new(Semaphore::new(max_in_flight)),
        version: None,
        compression: None,
        framing: None,
        client: ClientState { local_address: local, ..ClientState::default() },
        events: None,
        closing: false,
        authenticating: false,
        peer,
    };
    // Bytes as read; with v5 framing, `envelopes` holds the payloads of the segments read.
    let mut buf = BytesMut::with_capacity(READ_RESERVE);
    let mut envelopes = BytesMut::new();
    let mut discard = 0usize;
    debug!(?peer, "connection opened");
    'read: while !*stop.borrow() {
        loop {
            let frames = match conn.framing {
                None => &mut buf,
                Some(codec) => {
                    if let Err(e) = codec.decode(&mut buf, &mut envelopes) {
                        warn!(?peer, error = %e, "corrupt segment; closing the connection");
                        conn.closing = true;
                        break 'read;
                    }
                    &mut envelopes
                }
            };
            if discard > 0 {
                let n = discard.min(frames.len());
                frames.advance(n);
                discard -= n;
                if discard > 0 {
                    break;
                }
            }
            match Frame::parse(frames, max_frame) {
                Ok(Parse::Incomplete) => break,
                Ok(Parse::Frame(frame)) => {
                    let Ok(permit) = conn.in_flight.clone().acquire_owned().await else { break 'read };
                    conn.handle(frame, permit).await;
                }
                Err(e) => {
                    debug!(?peer, error = %e, "rejected frame");
                    if let FrameError::TooLarge { length, .. } = e {
                        discard = length as usize;
                    }
                    conn.refuse_frame(&e);
                    if e.is_fatal() {
                        conn.closing = true;
                    }
                }
            }
            if conn.closing {
                break 'read;
            }
        }
        if buf.capacity() - buf.len() < READ_RESERVE {
            buf.reserve(READ_RESERVE);
        }
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            _ = tokio::time::sleep_until(startup_deadline), if conn.version.is_none() => {
                debug!(?peer, "no STARTUP before the startup timeout; closing the connection");
                break;
            }
            event = next_event(&mut conn.events) => conn.forward_event(event),
            read = reader.read_buf(&mut buf) => match read {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    debug!(?peer, error = %e, "read failed");
                    break;
                }
            },
        }
    }
    if conn.closing {
        let _ = conn.tx.send(Outgoing::Close);
    }
    // The writer ends when every sender is gone: ours now, those of requests still waiting for
    // durability when they answer.
    drop(conn);
    let _ = writer.await;
    debug!(?peer, "connection closed");
}

async fn next_event(
    events: &mut Option<broadcast::Receiver<Arc<SchemaChange>>>,
) -> Result<Arc<SchemaChange>, broadcast::error::RecvError> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Polls a future once from the current task: its output if it is already done.
async fn poll_once<F: Future + Unpin>(f: &mut F) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        Poll::Ready(match Pin::new(&mut *f).poll(cx) {
            Poll::Ready(v) => Some(v),
            Poll::Pending => None,
        })
    })
    .await
}

/// Runs a query-layer call, turning a panic into a server error instead of a dropped connection.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            error!(request = what, panic = %msg, "query layer panicked");
            Err(Error::Server(format!("Unexpected error while executing {what}: {msg}")))
        }
    }
}

/// Runs `f` inside the trace session, if the request is traced.
fn traced<T>(session: &mut Option<trace::Session>, f: impl FnOnce() -> T) -> T {
    match session {
        Some(s) => s.run(f),
        None => f(),
    }
}

/// The trace session of a request sent with the tracing flag, for the requests Cassandra traces
/// (QUERY, PREPARE, EXECUTE, BATCH), named and with the parameters Cassandra records for them.
fn trace_session(request: &Request<'_>, client: Option<SocketAddr>) -> Option<trace::Session> {
    let (name, parameters) = match request {
        Request::Query { query, options } => {
            let mut p = trace::query_parameters(options);
            p.insert("query".to_string(), query.to_string());
            ("Execute CQL3 query", p)
        }
        Request::Prepare { query, .. } => {
            ("Preparing CQL3 query", BTreeMap::from([("query".to_string(), query.to_string())]))
        }
        Request::Execute { options, .. } => ("Execute CQL3 prepared query", trace::query_parameters(options)),
        Request::Batch { options, .. } => ("Execute batch of CQL3 queries", trace::batch_parameters(options)),
        _ => return None,
    };
    Some(trace::Session::new(name, client.map(|a| a.ip()), parameters))
}

/// `major.minor[.patch]` with any suffix ignored, as Cassandra's version parser reads it.
fn parse_cql_version(s: &str) -> Option<(u32, u32, u32)> {
    let core = s.split(['-', '~', '+']).next()?;
    let mut parts = core.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = match parts.next() {
        Some(p) => p.parse().ok()?,
        None => 0,
    };
    Some((major, minor, patch))
}

impl Connection {
    fn reply_to(&self, header: &FrameHeader) -> ReplyTo {
        ReplyTo {
            tx: self.tx.clone(),
            stream: header.stream,
            version: self.version.unwrap_or(header.version),
            compression: self.compression,
            tracing_id: None,
        }
    }

    fn reply(&mut self, header: &FrameHeader, response: Response, permit: OwnedSemaphorePermit) {
        if !self.reply_to(header).send(response, Vec::new(), Some(permit)) {
            self.closing = true;
        }
    }

    fn fail(&mut self, header: &FrameHeader, error: Error, permit: OwnedSemaphorePermit) {
        debug!(stream = header.stream, opcode = header.opcode.name(), error = %error, "request failed");
        self.reply(header, Response::Error(error), permit);
    }

    /// Answers a frame that could not be accepted (see [`FrameError`]).
    fn refuse_frame(&mut self, e: &FrameError) {
        let header_version = e.reply_version();
        let error = match e {
            FrameError::TooLarge { .. } => Error::Invalid(e.to_string()),
            _ => Error::Protocol(e.to_string()),
        };
        let frame = OutFrame {
            header_version,
            version: ProtocolVersion::from_number(header_version).unwrap_or(ProtocolVersion::CURRENT),
            stream: e.stream(),
            compression: if e.is_fatal() { None } else { self.compression },
            warnings: Vec::new(),
            tracing_id: None,
            response: Response::Error(error),
            permit: None,
        };
        if self.tx.send(Outgoing::Frame(frame)).is_err() {
            self.closing = true;
        }
    }

    fn forward_event(&mut self, event: Result<Arc<SchemaChange>, broadcast::error::RecvError>) {
        match event {
            Ok(change) => {
                let Some(version) = self.version else { return };
                let to = ReplyTo {
                    tx: self.tx.clone(),
                    stream: EVENT_STREAM,
                    version,
                    compression: self.compression,
                    tracing_id: None,
                };
                if !to.send(Response::Event(Event::SchemaChange(change)), Vec::new(), None) {
                    self.closing = true;
                }
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                warn!(missed = n, "connection fell behind on schema change events");
            }
            Err(broadcast::error::RecvError::Closed) => self.events = None,
        }
    }

    /// Checks a frame against the connection, unwraps its body and runs the request.
    async fn handle(&mut self, frame: Frame, permit: OwnedSemaphorePermit) {
        let header = frame.header;
        if let Some(v) = self.version {
            if header.version != v {
                let msg = format!(
                    "Invalid message version. Got {} but previous messages on this connection had version {}",
                    header.version.describe(),
                    v.describe()
                );
                return self.fail(&header, Error::Protocol(msg), permit);
            }
        }
        let mut body = frame.body;
        // In v5 compression is done by the segments; the envelope flag is ignored.
        if header.flags & flags::COMPRESSED != 0 && header.version < ProtocolVersion::V5 {
            let Some(compression) = self.compression else {
                let msg = "Received a compressed frame but no compression was negotiated in STARTUP";
                return self.fail(&header, Error::Protocol(msg.into()), permit);
            };
            match compression.decompress(&body, self.shared.config.max_frame_size_bytes) {
                Ok(b) => body = b,
                Err(e) => return self.fail(&header, Error::Protocol(e.to_string()), permit),
            }
        }
        if header.flags & flags::CUSTOM_PAYLOAD != 0 {
            if header.version < ProtocolVersion::V4 {
                let msg = "Received frame with CUSTOM_PAYLOAD flag for native protocol version < 4";
                return self.fail(&header, Error::Protocol(msg.into()), permit);
            }
            // Custom payloads are for custom query handlers: read past it and ignore it.
            let mut rest = &body[..];
            if let Err(e) = wire::read_bytes_map(&mut rest) {
                return self.fail(&header, Error::Protocol(e.to_string()), permit);
            }
            let skip = body.len() - rest.len();
            body.advance(skip);
        }
        match Request::decode(header.opcode, header.version, &body) {
            Ok(request) => self.dispatch(&header, request, permit).await,
            Err(e) => self.fail(&header, Error::Protocol(e.to_string()), permit),
        }
    }

    async fn dispatch(&mut self, header: &FrameHeader, request: Request<'_>, permit: OwnedSemaphorePermit) {
        let processor = Arc::clone(&self.shared.processor);
        let traced_request = header.flags & flags::TRACING != 0 && self.version.is_some();
        let mut session = if traced_request { trace_session(&request, self.peer) } else { None };
        if self.authenticating && !matches!(request, Request::AuthResponse(_)) {
            let msg = format!("Unexpected message {}, expecting SASL_RESPONSE", header.opcode.name());
            return self.fail(header, Error::Protocol(msg), permit);
        }
        let outcome = match request {
            Request::Options => return self.reply(header, Response::Supported, permit),
            Request::Startup(options) => return self.startup(header, &options, permit),
            _ if self.version.is_none() => {
                let msg = format!("Unexpected message {}, expecting STARTUP or OPTIONS", header.opcode.name());
                return self.fail(header, Error::Protocol(msg), permit);
            }
            Request::Register { events } => {
                if events.iter().any(|e| e == "SCHEMA_CHANGE") && self.events.is_none() {
                    self.events = Some(self.shared.events.subscribe());
                }
                return self.reply(header, Response::Ready, permit);
            }
            Request::AuthResponse(token) if processor.authenticator().requires_authentication() => {
                return match crate::auth::authenticate(processor, token).await {
                    Ok(user) => {
                        self.client.user = Some(user);
                        self.authenticating = false;
                        self.reply(header, Response::AuthSuccess(None), permit)
                    }
                    Err(e) => self.fail(header, e, permit),
                };
            }
            Request::AuthResponse(_) => {
                let msg = "Unexpected message AUTH_RESPONSE: authentication is not enabled on this server";
                return self.fail(header, Error::Protocol(msg.into()), permit);
            }
            Request::Query { query, options } => {
                traced(&mut session, || guarded("QUERY", || processor.query(&mut self.client, query, &options)))
            }
            Request::Prepare { query, keyspace } => {
                traced(&mut session, || guarded("PREPARE", || processor.prepare(&self.client, query, keyspace)))
                    .map(|p| Outcome { result: QueryResult::Prepared(p), durable: None, warnings: Vec::new() })
            }
            Request::Execute { id, options } => {
                traced(&mut session, || guarded("EXECUTE", || processor.execute(&mut self.client, &id, &options)))
            }
            Request::Batch { statements, options } => {
                traced(&mut session, || guarded("BATCH", || processor.batch(&mut self.client, &statements, &options)))
            }
        };
        let mut to = self.reply_to(header);
        if let Some(session) = &session {
            processor.write_trace(session);
            to.tracing_id = Some(session.id);
        }
        let Outcome { result, durable, warnings } = match outcome {
            Ok(o) => o,
            Err(e) => {
                debug!(stream = header.stream, opcode = header.opcode.name(), error = %e, "request failed");
                if !to.send(Response::Error(e), Vec::new(), Some(permit)) {
                    self.closing = true;
                }
                return;
            }
        };
        let Some(mut ack) = durable else {
            if !to.send_result(result, warnings, permit, &self.shared.events) {
                self.closing = true;
            }
            return;
        };
        match poll_once(&mut ack).await {
            Some(Ok(())) => {
                if !to.send_result(result, warnings, permit, &self.shared.events) {
                    self.closing = true;
                }
            }
            Some(Err(e)) => {
                if !to.send(Response::Error(Error::Server(format!("Write failed: {e}"))), Vec::new(), Some(permit)) {
                    self.closing = true;
                }
            }
            None => {
                let events = self.shared.events.clone();
                tokio::spawn(async move {
                    match ack.await {
                        Ok(()) => to.send_result(result, warnings, permit, &events),
                        Err(e) => to.send(
                            Response::Error(Error::Server(format!("Write failed: {e}"))),
                            Vec::new(),
                            Some(permit),
                        ),
                    }
                });
            }
        }
    }

    /// STARTUP: requires CQL_VERSION >= 3.0.0 (any value, not matched against SUPPORTED), takes an
    /// optional COMPRESSION (lz4 or snappy; v5: lz4 only), fixes the protocol version, and answers
    /// READY uncompressed. In v5, everything after READY, both ways, is in segments (compressed
    /// ones if COMPRESSION is set).
    fn startup(&mut self, header: &FrameHeader, options: &[(String, String)], permit: OwnedSemaphorePermit) {
        let get = |key: &str| options.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let Some(cql) = get("CQL_VERSION") else {
            return self.fail(header, Error::Protocol("Missing value CQL_VERSION in STARTUP message".into()), permit);
        };
        match parse_cql_version(cql) {
            None => return self.fail(header, Error::Protocol(format!("Invalid version value: {cql}")), permit),
            Some(v) if v < (2, 99, 0) => {
                let msg = format!(
                    "CQL version {cql} is not supported by the binary protocol (supported version are >= 3.0.0)"
                );
                return self.fail(header, Error::Protocol(msg), permit);
            }
            Some(_) => {}
        }
        let compression = match get("COMPRESSION") {
            None => None,
            Some(name) => match Compression::from_name(name) {
                // v5 compresses segments, and only with LZ4 (as Cassandra's v5 pipeline).
                Some(Compression::Snappy) if header.version >= ProtocolVersion::V5 => {
                    let msg = format!("Unsupported compression type: {name}");
                    return self.fail(header, Error::Protocol(msg), permit);
                }
                Some(c) => Some(c),
                None => {
                    let msg = format!("Unknown compression algorithm: {}", name.to_lowercase());
                    return self.fail(header, Error::Protocol(msg), permit);
                }
            },
        };
        let first = self.version.is_none();
        debug!(version = header.version.describe(), compression = compression.map(|c| c.name()), "STARTUP accepted");
        self.version = Some(header.version);
        self.client.protocol_version = header.version.number();
        let authenticator = self.shared.processor.authenticator();
        if first && authenticator.requires_authentication() {
            self.authenticating = true;
            self.reply(header, Response::Authenticate(authenticator.class_name().into()), permit);
        } else {
            self.reply(header, Response::Ready, permit);
        }
        if !first {
            return;
        }
        // Only what follows READY (or AUTHENTICATE) is compressed or framed.
        if header.version >= ProtocolVersion::V5 {
            let codec = SegmentCodec { lz4: compression.is_some() };
            self.framing = Some(codec);
            if self.tx.send(Outgoing::StartFraming(codec)).is_err() {
                self.closing = true;
            }
        } else {
            self.compression = compression;
        }
    }
}

/// Encodes one response frame at the end of `out`.
fn encode_frame(out: &mut BytesMut, scratch: &mut BytesMut, f: &OutFrame) {
    let start = out.len();
    out.extend_from_slice(&[0u8; HEADER_LEN]);
    let body_start = out.len();
    let mut frame_flags = 0;
    if let Some(id) = f.tracing_id {
        frame_flags |= flags::TRACING;
        out.extend_from_slice(id.as_bytes());
    }
    if !f.warnings.is_empty() && f.version >= ProtocolVersion::V4 {
        frame_flags |= flags::WARNING;
        wire::write_string_list(out, &f.warnings);
    }
    f.response.encode_body(f.version, out);
    if let Some(c) = f.compression {
        scratch.clear();
        c.compress(&out[body_start..], scratch);
        out.truncate(body_start);
        out.extend_from_slice(scratch);
        frame_flags |= flags::COMPRESSED;
    }
    let length = out.len() - body_start;
    if length > i32::MAX as usize {
        out.truncate(start);
        let error = Response::Error(Error::Server(format!("Response too large to send: {length} bytes")));
        let replacement = OutFrame { compression: None, warnings: Vec::new(), response: error, permit: None, ..*f };
        return encode_frame(out, scratch, &replacement);
    }
    let header = frame::response_header(f.header_version, frame_flags, f.stream, f.response.opcode(), length as u32);
    out[start..body_start].copy_from_slice(&header);
}

/// The writer task: encodes queued answers in batches and writes each batch at once.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut socket: W,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    peer: Option<SocketAddr>,
) {
    // What goes on the wire; with v5 framing, envelopes collect in `envelopes` first.
    let mut out = BytesMut::with_capacity(64 * 1024);
    let mut envelopes = BytesMut::new();
    let mut framing: Option<SegmentCodec> = None;
    let mut scratch = BytesMut::new();
    let mut permits = Vec::new();
    let mut close = false;
    while !close {
        let Some(mut next) = rx.recv().await else { break };
        loop {
            match next {
                Outgoing::Frame(mut f) => {
                    let target = if framing.is_some() { &mut envelopes } else { &mut out };
                    encode_frame(target, &mut scratch, &f);
                    permits.extend(f.permit.take());
                }
                Outgoing::StartFraming(codec) => {
                    if let Some(previous) = framing {
                        previous.encode(&envelopes, &mut out, &mut scratch);
                        envelopes.clear();
                    }
                    framing = Some(codec);
                }
                Outgoing::Close => {
                    close = true;
                    break;
                }
            }
            if out.len() + envelopes.len() >= WRITE_BATCH {
                break;
            }
            match rx.try_recv() {
                Ok(m) => next = m,
                Err(_) => break,
            }
        }
        if let Some(codec) = framing {
            codec.encode(&envelopes, &mut out, &mut scratch);
            envelopes.clear();
        }
        if let Err(e) = socket.write_all(&out).await {
            debug!(?peer, error = %e, "write failed");
            break;
        }
        out.clear();
        permits.clear();
        if out.capacity() > WRITE_BUFFER_KEEP || envelopes.capacity() > WRITE_BUFFER_KEEP {
            out = BytesMut::with_capacity(64 * 1024);
            envelopes = BytesMut::new();
            scratch = BytesMut::new();
        }
    }
    let _ = socket.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cql_versions_parse_with_optional_patch_and_suffix() {
        assert_eq!(parse_cql_version("3.0.0"), Some((3, 0, 0)));
        assert_eq!(parse_cql_version("4.0.0"), Some((4, 0, 0)));
        assert_eq!(parse_cql_version("3.4"), Some((3, 4, 0)));
        assert_eq!(parse_cql_version("3.4.7-SNAPSHOT"), Some((3, 4, 7)));
        assert_eq!(parse_cql_version("three"), None);
        assert_eq!(parse_cql_version("3"), None);
    }

    #[test]
    fn a_panic_in_the_query_layer_becomes_a_server_error() {
        let r: Result<(), Error> = guarded("QUERY", || panic!("kaboom"));
        assert_eq!(r, Err(Error::Server("Unexpected error while executing QUERY: kaboom".into())));
    }

    #[test]
    fn an_encoded_frame_has_its_header_and_warnings_first() {
        let f = OutFrame {
            header_version: 4,
            version: ProtocolVersion::V4,
            stream: 3,
            compression: None,
            warnings: vec!["w".into()],
            tracing_id: None,
            response: Response::Result(QueryResult::Void),
            permit: None,
        };
        let mut out = BytesMut::new();
        encode_frame(&mut out, &mut BytesMut::new(), &f);
        assert_eq!(&out[..], [0x84, 0x08, 0, 3, 0x08, 0, 0, 0, 9, 0, 1, 0, 1, b'w', 0, 0, 0, 1]);
    }

    #[test]
    fn a_traced_frame_has_the_tracing_flag_and_the_session_id_before_the_warnings() {
        let id = uuid::Uuid::from_u128(0x0102_0304_0506_1708_8910_1112_1314_1516);
        let f = OutFrame {
            header_version: 4,
            version: ProtocolVersion::V4,
            stream: 3,
            compression: None,
            warnings: vec!["w".into()],
            tracing_id: Some(id),
            response: Response::Result(QueryResult::Void),
            permit: None,
        };
        let mut out = BytesMut::new();
        encode_frame(&mut out, &mut BytesMut::new(), &f);
        assert_eq!(out[1], flags::TRACING | flags::WARNING);
        assert_eq!(&out[HEADER_LEN..HEADER_LEN + 16], id.as_bytes());
        assert_eq!(&out[HEADER_LEN + 16..], [0, 1, 0, 1, b'w', 0, 0, 0, 1]);
    }

    #[test]
    fn only_queries_prepares_executes_and_batches_are_traced() {
        let query = Request::Query { query: "SELECT 1", options: Default::default() };
        let s = trace_session(&query, Some("10.0.0.7:5000".parse().unwrap())).unwrap();
        assert_eq!(s.request, "Execute CQL3 query");
        assert_eq!(s.parameters["query"], "SELECT 1");
        assert_eq!(s.client, Some("10.0.0.7".parse().unwrap()));
        let prepare = Request::Prepare { query: "SELECT 1", keyspace: None };
        assert_eq!(trace_session(&prepare, None).unwrap().request, "Preparing CQL3 query");
        let execute = Request::Execute { id: bytes::Bytes::new(), options: Default::default() };
        assert_eq!(trace_session(&execute, None).unwrap().request, "Execute CQL3 prepared query");
        let batch = Request::Batch { statements: Vec::new(), options: Default::default() };
        assert_eq!(trace_session(&batch, None).unwrap().request, "Execute batch of CQL3 queries");
        assert!(trace_session(&Request::Options, None).is_none());
        assert!(trace_session(&Request::Register { events: Vec::new() }, None).is_none());
    }

    #[test]
    fn warnings_are_dropped_in_v3() {
        let f = OutFrame {
            header_version: 3,
            version: ProtocolVersion::V3,
            stream: 0,
            compression: None,
            warnings: vec!["w".into()],
            tracing_id: None,
            response: Response::Ready,
            permit: None,
        };
        let mut out = BytesMut::new();
        encode_frame(&mut out, &mut BytesMut::new(), &f);
        assert_eq!(&out[..], [0x83, 0, 0, 0, 0x02, 0, 0, 0, 0]);
    }

    #[test]
    fn a_compressed_frame_sets_the_flag_and_holds_an_lz4_body() {
        let f = OutFrame {
            header_version: 4,
            version: ProtocolVersion::V4,
            stream: 1,
            compression: Some(Compression::Lz4),
            warnings: vec![],
            tracing_id: None,
            response: Response::Result(QueryResult::SetKeyspace("k".repeat(100))),
            permit: None,
        };
        let mut out = BytesMut::new();
        encode_frame(&mut out, &mut BytesMut::new(), &f);
        assert_eq!(out[1], flags::COMPRESSED);
        let len = u32::from_be_bytes([out[5], out[6], out[7], out[8]]) as usize;
        assert_eq!(out.len(), HEADER_LEN + len);
        let body = Compression::Lz4.decompress(&out[HEADER_LEN..], 1 << 20).unwrap();
        let mut expected = BytesMut::new();
        f.response.encode_body(ProtocolVersion::V4, &mut expected);
        assert_eq!(body, expected);
    }
}
