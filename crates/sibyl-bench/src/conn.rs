//! One client connection: connect and STARTUP, one-at-a-time requests for set-up (DDL, PREPARE),
//! and the buffers the pipelined load loop in `engine` works on.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::protocol::{self, decode_response, Header, Response, ResultBody, ServerError, HEADER_LEN};

/// Read at least this much free space at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Why reading from the server stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no answer from the server for {0:?}")]
    Timeout(Duration),
    #[error("the server closed the connection")]
    Closed,
    #[error("reading from the server: {0}")]
    Io(std::io::Error),
}

/// A statement prepared on one connection.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: Vec<u8>,
    /// The type id of each bind marker.
    pub bind_types: Vec<u16>,
}

/// What one set-up request returned, owned.
enum Answer {
    Done,
    Prepared(Prepared),
}

pub struct Conn {
    pub(crate) stream: TcpStream,
    /// Bytes received and not yet consumed.
    pub(crate) rbuf: BytesMut,
    /// Encoded requests not yet sent.
    pub(crate) wbuf: Vec<u8>,
    /// How long to wait for anything from the server while a request is outstanding.
    pub(crate) timeout: Duration,
}

impl Conn {
    /// Connects (TCP_NODELAY) and sends STARTUP; the connection is ready when this returns.
    pub async fn connect(addr: SocketAddr, wait: Duration) -> Result<Conn> {
        let stream = timeout(wait, TcpStream::connect(addr))
            .await
            .map_err(|_| anyhow!("connecting to {addr} timed out after {wait:?}"))?
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        let mut conn =
            Conn { stream, rbuf: BytesMut::with_capacity(READ_CHUNK), wbuf: Vec::with_capacity(4096), timeout: wait };
        protocol::encode_startup(&mut conn.wbuf, 0);
        conn.flush().await?;
        let (header, range) = loop {
            let (header, range) = conn.next_frame().await?;
            if header.stream == 0 {
                break (header, range);
            }
            conn.rbuf.advance(range.end); // an event (stream -1): not ours
        };
        let body = &conn.rbuf[range.clone()];
        match decode_response(&header, body)? {
            Response::Ready => {}
            Response::Authenticate { authenticator } => {
                bail!("the server requires authentication ({authenticator}); sibyl-bench does not support it")
            }
            Response::Error { code, message } => {
                return Err(ServerError { code, message: message.to_string() }).context("STARTUP refused")
            }
            other => bail!("unexpected answer to STARTUP: {other:?}"),
        }
        conn.rbuf.advance(range.end);
        Ok(conn)
    }

    /// Runs one CQL statement (no bound values) and waits for its answer.
    pub async fn query(&mut self, cql: &str) -> Result<()> {
        protocol::encode_query(&mut self.wbuf, 0, cql, protocol::CONSISTENCY_ONE);
        self.round_trip().await.with_context(|| format!("running {cql:?}")).map(|_| ())
    }

    /// Prepares one statement.
    pub async fn prepare(&mut self, cql: &str) -> Result<Prepared> {
        protocol::encode_prepare(&mut self.wbuf, 0, cql);
        match self.round_trip().await.with_context(|| format!("preparing {cql:?}"))? {
            Answer::Prepared(p) => Ok(p),
            Answer::Done => bail!("preparing {cql:?}: the server did not answer with a prepared id"),
        }
    }

    /// Sends what `wbuf` holds (one request on stream 0) and decodes its answer.
    async fn round_trip(&mut self) -> Result<Answer> {
        self.flush().await?;
        loop {
            let (header, range) = self.next_frame().await?;
            let answer = match decode_response(&header, &self.rbuf[range.clone()])? {
                _ if header.stream != 0 => None, // an event (stream -1): not ours
                Response::Result(ResultBody::Prepared { id, bind_types }) => {
                    Some(Ok(Answer::Prepared(Prepared { id: id.to_vec(), bind_types })))
                }
                Response::Result(_) => Some(Ok(Answer::Done)),
                Response::Error { code, message } => {
                    Some(Err(anyhow::Error::new(ServerError { code, message: message.to_string() })))
                }
                other => Some(Err(anyhow!("unexpected answer: {other:?}"))),
            };
            self.rbuf.advance(range.end);
            if let Some(answer) = answer {
                return answer;
            }
        }
    }

    /// Writes and clears `wbuf`.
    pub(crate) async fn flush(&mut self) -> Result<()> {
        self.stream.write_all(&self.wbuf).await.context("sending to the server")?;
        self.wbuf.clear();
        Ok(())
    }

    /// Reads until `rbuf` starts with a complete frame; returns its header and the body's range
    /// in `rbuf` (the caller advances past `range.end` when done with it).
    async fn next_frame(&mut self) -> Result<(Header, std::ops::Range<usize>)> {
        loop {
            if let Some(header) = Header::parse(&self.rbuf)? {
                let end = HEADER_LEN + header.length;
                if self.rbuf.len() >= end {
                    return Ok((header, HEADER_LEN..end));
                }
            }
            self.fill().await?;
        }
    }

    /// Reads once more from the socket into `rbuf`, waiting at most the timeout.
    pub(crate) async fn fill(&mut self) -> Result<(), ReadError> {
        let want = match Header::parse(&self.rbuf) {
            Ok(Some(h)) => (HEADER_LEN + h.length).saturating_sub(self.rbuf.len()),
            _ => 0,
        };
        self.rbuf.reserve(want.max(READ_CHUNK));
        match timeout(self.timeout, self.stream.read_buf(&mut self.rbuf)).await {
            Err(_) => Err(ReadError::Timeout(self.timeout)),
            Ok(Err(e)) => Err(ReadError::Io(e)),
            Ok(Ok(0)) => Err(ReadError::Closed),
            Ok(Ok(_)) => Ok(()),
        }
    }
}
