//! The slice of CQL native protocol v4 the bench speaks: encoding the requests it sends (STARTUP,
//! OPTIONS, QUERY, PREPARE, EXECUTE) and decoding the responses it reads. Decoding never panics:
//! whatever the server sends, a malformed body is a [`DecodeError`].

use std::fmt;

/// Size of the v4 frame header: version, flags, stream (2), opcode, body length (4).
pub const HEADER_LEN: usize = 9;
/// The version byte of a v4 request.
pub const REQUEST_VERSION: u8 = 0x04;
/// The version byte of a v4 response (direction bit set).
pub const RESPONSE_VERSION: u8 = 0x84;
/// The largest body the protocol allows (spec §2.5).
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// Message opcodes (spec §2.4).
pub mod opcode {
    pub const ERROR: u8 = 0x00;
    pub const STARTUP: u8 = 0x01;
    pub const READY: u8 = 0x02;
    pub const AUTHENTICATE: u8 = 0x03;
    pub const OPTIONS: u8 = 0x05;
    pub const SUPPORTED: u8 = 0x06;
    pub const QUERY: u8 = 0x07;
    pub const RESULT: u8 = 0x08;
    pub const PREPARE: u8 = 0x09;
    pub const EXECUTE: u8 = 0x0A;
    pub const EVENT: u8 = 0x0C;
}

/// Header flags (spec §2.2).
pub mod flags {
    pub const COMPRESSION: u8 = 0x01;
    pub const TRACING: u8 = 0x02;
    pub const CUSTOM_PAYLOAD: u8 = 0x04;
    pub const WARNING: u8 = 0x08;
}

/// The consistency level ONE; the only one a single node needs.
pub const CONSISTENCY_ONE: u16 = 0x0001;

/// QUERY/EXECUTE parameter flags (spec §4.1.4).
const QUERY_FLAG_VALUES: u8 = 0x01;
const QUERY_FLAG_SKIP_METADATA: u8 = 0x02;

/// Type option ids (spec §4.2.5.2) the bench checks bind markers against.
pub mod type_id {
    pub const CUSTOM: u16 = 0x0000;
    pub const BIGINT: u16 = 0x0002;
    pub const BLOB: u16 = 0x0003;
    pub const INT: u16 = 0x0009;
    pub const LIST: u16 = 0x0020;
    pub const MAP: u16 = 0x0021;
    pub const SET: u16 = 0x0022;
    pub const UDT: u16 = 0x0030;
    pub const TUPLE: u16 = 0x0031;
}

/// Result kinds (spec §4.2.5).
mod result_kind {
    pub const VOID: i32 = 0x0001;
    pub const ROWS: i32 = 0x0002;
    pub const SET_KEYSPACE: i32 = 0x0003;
    pub const PREPARED: i32 = 0x0004;
    pub const SCHEMA_CHANGE: i32 = 0x0005;
}

/// Rows metadata flags (spec §4.2.5.2).
const ROWS_FLAG_GLOBAL_TABLES_SPEC: i32 = 0x0001;
const ROWS_FLAG_HAS_MORE_PAGES: i32 = 0x0002;
const ROWS_FLAG_NO_METADATA: i32 = 0x0004;

/// Nested collection/UDT/tuple types deeper than this are refused rather than recursed into.
const MAX_TYPE_DEPTH: usize = 32;

/// Why a frame or body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("response truncated while reading {0}")]
    Truncated(&'static str),
    #[error("unexpected version byte {0:#04x} in a response (expected 0x84, protocol v4)")]
    Version(u8),
    #[error("frame body of {0} bytes exceeds the protocol's 256 MiB limit")]
    TooLong(u32),
    #[error("compressed response frame, but no compression was negotiated")]
    Compressed,
    #[error("invalid UTF-8 in {0}")]
    Utf8(&'static str),
    #[error("negative {0}: {1}")]
    Negative(&'static str, i32),
    #[error("type option nested deeper than {MAX_TYPE_DEPTH} levels")]
    TooDeep,
    #[error("unknown result kind {0}")]
    ResultKind(i32),
}

/// A frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub flags: u8,
    pub stream: i16,
    pub opcode: u8,
    /// Body length in bytes (at most [`MAX_BODY`]).
    pub length: usize,
}

impl Header {
    /// The header of a response at the start of `buf`, or `None` if fewer than [`HEADER_LEN`] bytes
    /// are there yet.
    pub fn parse(buf: &[u8]) -> Result<Option<Header>, DecodeError> {
        let Some(h) = buf.get(..HEADER_LEN) else { return Ok(None) };
        if h[0] != RESPONSE_VERSION {
            return Err(DecodeError::Version(h[0]));
        }
        let length = u32::from_be_bytes([h[5], h[6], h[7], h[8]]);
        if length as usize > MAX_BODY {
            return Err(DecodeError::TooLong(length));
        }
        if h[1] & flags::COMPRESSION != 0 {
            return Err(DecodeError::Compressed);
        }
        Ok(Some(Header {
            flags: h[1],
            stream: i16::from_be_bytes([h[2], h[3]]),
            opcode: h[4],
            length: length as usize,
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Appends a request header with a placeholder length; returns where the frame starts, for
/// [`end_frame`].
fn begin_frame(buf: &mut Vec<u8>, stream: i16, opcode: u8) -> usize {
    let start = buf.len();
    buf.push(REQUEST_VERSION);
    buf.push(0);
    buf.extend_from_slice(&stream.to_be_bytes());
    buf.push(opcode);
    buf.extend_from_slice(&[0; 4]);
    start
}

/// Patches the body length of the frame begun at `start`.
fn end_frame(buf: &mut [u8], start: usize) {
    let len = (buf.len() - start - HEADER_LEN) as u32;
    buf[start + 5..start + HEADER_LEN].copy_from_slice(&len.to_be_bytes());
}

fn put_short(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_be_bytes());
}

fn put_int(buf: &mut Vec<u8>, v: i32) {
    buf.extend_from_slice(&v.to_be_bytes());
}

fn put_string(buf: &mut Vec<u8>, s: &str) {
    put_short(buf, s.len() as u16);
    buf.extend_from_slice(s.as_bytes());
}

fn put_long_string(buf: &mut Vec<u8>, s: &str) {
    put_int(buf, s.len() as i32);
    buf.extend_from_slice(s.as_bytes());
}

/// STARTUP with `{CQL_VERSION: 3.0.0}` and no compression.
pub fn encode_startup(buf: &mut Vec<u8>, stream: i16) {
    let start = begin_frame(buf, stream, opcode::STARTUP);
    put_short(buf, 1);
    put_string(buf, "CQL_VERSION");
    put_string(buf, "3.0.0");
    end_frame(buf, start);
}

/// OPTIONS (empty body): answered with SUPPORTED, the cheapest round trip there is.
pub fn encode_options(buf: &mut Vec<u8>, stream: i16) {
    let start = begin_frame(buf, stream, opcode::OPTIONS);
    end_frame(buf, start);
}

/// QUERY without bound values.
pub fn encode_query(buf: &mut Vec<u8>, stream: i16, cql: &str, consistency: u16) {
    let start = begin_frame(buf, stream, opcode::QUERY);
    put_long_string(buf, cql);
    put_short(buf, consistency);
    buf.push(0);
    end_frame(buf, start);
}

/// PREPARE.
pub fn encode_prepare(buf: &mut Vec<u8>, stream: i16, cql: &str) {
    let start = begin_frame(buf, stream, opcode::PREPARE);
    put_long_string(buf, cql);
    end_frame(buf, start);
}

/// EXECUTE of prepared statement `id` with positional `values` (none of them null). With
/// `skip_metadata` a Rows result comes without column specs.
pub fn encode_execute(
    buf: &mut Vec<u8>,
    stream: i16,
    id: &[u8],
    consistency: u16,
    values: &[&[u8]],
    skip_metadata: bool,
) {
    let start = begin_frame(buf, stream, opcode::EXECUTE);
    put_short(buf, id.len() as u16);
    buf.extend_from_slice(id);
    put_short(buf, consistency);
    let mut query_flags = 0;
    if !values.is_empty() {
        query_flags |= QUERY_FLAG_VALUES;
    }
    if skip_metadata {
        query_flags |= QUERY_FLAG_SKIP_METADATA;
    }
    buf.push(query_flags);
    if !values.is_empty() {
        put_short(buf, values.len() as u16);
        for v in values {
            put_int(buf, v.len() as i32);
            buf.extend_from_slice(v);
        }
    }
    end_frame(buf, start);
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// A cursor over a response body.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() < n {
            return Err(DecodeError::Truncated(what));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn short(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn int(&mut self, what: &'static str) -> Result<i32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// An [int] that must not be negative (a count).
    fn count(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let n = self.int(what)?;
        usize::try_from(n).map_err(|_| DecodeError::Negative(what, n))
    }

    fn string(&mut self, what: &'static str) -> Result<&'a str, DecodeError> {
        let n = self.short(what)? as usize;
        std::str::from_utf8(self.take(n, what)?).map_err(|_| DecodeError::Utf8(what))
    }

    fn short_bytes(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let n = self.short(what)? as usize;
        self.take(n, what)
    }

    /// A [bytes]: `None` for null (negative length).
    fn bytes(&mut self, what: &'static str) -> Result<Option<&'a [u8]>, DecodeError> {
        let n = self.int(what)?;
        match usize::try_from(n) {
            Ok(n) => self.take(n, what).map(Some),
            Err(_) => Ok(None),
        }
    }

    fn skip_string_list(&mut self, what: &'static str) -> Result<(), DecodeError> {
        for _ in 0..self.short(what)? {
            self.string(what)?;
        }
        Ok(())
    }

    fn skip_bytes_map(&mut self, what: &'static str) -> Result<(), DecodeError> {
        for _ in 0..self.short(what)? {
            self.string(what)?;
            self.bytes(what)?;
        }
        Ok(())
    }

    /// Reads a type [option]; returns its top-level id, skipping what nested types carry.
    fn type_option(&mut self, depth: usize) -> Result<u16, DecodeError> {
        if depth > MAX_TYPE_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let id = self.short("type option")?;
        match id {
            type_id::CUSTOM => {
                self.string("custom type class")?;
            }
            type_id::LIST | type_id::SET => {
                self.type_option(depth + 1)?;
            }
            type_id::MAP => {
                self.type_option(depth + 1)?;
                self.type_option(depth + 1)?;
            }
            type_id::UDT => {
                self.string("UDT keyspace")?;
                self.string("UDT name")?;
                for _ in 0..self.short("UDT field count")? {
                    self.string("UDT field name")?;
                    self.type_option(depth + 1)?;
                }
            }
            type_id::TUPLE => {
                for _ in 0..self.short("tuple size")? {
                    self.type_option(depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(id)
    }

    /// Column specs of a metadata block; returns the top-level type id of each.
    fn column_specs(&mut self, count: usize, global: bool) -> Result<Vec<u16>, DecodeError> {
        if global {
            self.string("global keyspace")?;
            self.string("global table")?;
        }
        // Each spec is at least 4 bytes: do not let a bogus count reserve a huge vector.
        let mut types = Vec::with_capacity(count.min(self.buf.len() / 4));
        for _ in 0..count {
            if !global {
                self.string("column keyspace")?;
                self.string("column table")?;
            }
            self.string("column name")?;
            types.push(self.type_option(0)?);
        }
        Ok(types)
    }
}

/// A decoded response, borrowing from the frame body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response<'a> {
    Ready,
    Supported,
    Authenticate {
        authenticator: &'a str,
    },
    Error {
        code: i32,
        message: &'a str,
    },
    Result(ResultBody<'a>),
    Event,
    /// An opcode the bench never expects in answer to its requests.
    Other(u8),
}

/// The body of a RESULT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultBody<'a> {
    Void,
    /// Rows: how many (their content is not decoded).
    Rows {
        rows: usize,
    },
    SetKeyspace,
    Prepared {
        id: &'a [u8],
        bind_types: Vec<u16>,
    },
    SchemaChange,
}

/// Decodes the body of a response frame with header `header`.
pub fn decode_response<'a>(header: &Header, body: &'a [u8]) -> Result<Response<'a>, DecodeError> {
    let mut r = Reader { buf: body };
    if header.flags & flags::TRACING != 0 {
        r.take(16, "tracing id")?;
    }
    if header.flags & flags::WARNING != 0 {
        r.skip_string_list("warnings")?;
    }
    if header.flags & flags::CUSTOM_PAYLOAD != 0 {
        r.skip_bytes_map("custom payload")?;
    }
    Ok(match header.opcode {
        opcode::READY => Response::Ready,
        opcode::SUPPORTED => Response::Supported,
        opcode::AUTHENTICATE => Response::Authenticate { authenticator: r.string("authenticator")? },
        opcode::ERROR => {
            let code = r.int("error code")?;
            Response::Error { code, message: r.string("error message")? }
        }
        opcode::RESULT => Response::Result(decode_result(&mut r)?),
        opcode::EVENT => Response::Event,
        other => Response::Other(other),
    })
}

fn decode_result<'a>(r: &mut Reader<'a>) -> Result<ResultBody<'a>, DecodeError> {
    match r.int("result kind")? {
        result_kind::VOID => Ok(ResultBody::Void),
        result_kind::ROWS => {
            let flags = r.int("rows flags")?;
            let columns = r.count("column count")?;
            if flags & ROWS_FLAG_HAS_MORE_PAGES != 0 {
                r.bytes("paging state")?;
            }
            if flags & ROWS_FLAG_NO_METADATA == 0 {
                r.column_specs(columns, flags & ROWS_FLAG_GLOBAL_TABLES_SPEC != 0)?;
            }
            Ok(ResultBody::Rows { rows: r.count("row count")? })
        }
        result_kind::SET_KEYSPACE => Ok(ResultBody::SetKeyspace),
        result_kind::PREPARED => {
            let id = r.short_bytes("prepared id")?;
            let flags = r.int("prepared flags")?;
            let columns = r.count("bind marker count")?;
            for _ in 0..r.count("partition key count")? {
                r.short("partition key index")?;
            }
            let bind_types = r.column_specs(columns, flags & ROWS_FLAG_GLOBAL_TABLES_SPEC != 0)?;
            // The result metadata that follows is not needed: EXECUTE asks to skip it.
            Ok(ResultBody::Prepared { id, bind_types })
        }
        result_kind::SCHEMA_CHANGE => Ok(ResultBody::SchemaChange),
        other => Err(DecodeError::ResultKind(other)),
    }
}

/// Cassandra's name for an error code (spec §9), for reports.
pub fn error_name(code: i32) -> &'static str {
    match code {
        0x0000 => "Server_error",
        0x000A => "Protocol_error",
        0x0100 => "Bad_credentials",
        0x1000 => "Unavailable",
        0x1001 => "Overloaded",
        0x1002 => "Is_bootstrapping",
        0x1003 => "Truncate_error",
        0x1100 => "Write_timeout",
        0x1200 => "Read_timeout",
        0x1300 => "Read_failure",
        0x1400 => "Function_failure",
        0x1500 => "Write_failure",
        0x2000 => "Syntax_error",
        0x2100 => "Unauthorized",
        0x2200 => "Invalid",
        0x2300 => "Config_error",
        0x2400 => "Already_exists",
        0x2500 => "Unprepared",
        _ => "Unknown",
    }
}

/// A server ERROR, owned, as a Rust error value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    pub code: i32,
    pub message: String,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server error {:#06x} ({}): {}", self.code, error_name(self.code), self.message)
    }
}

impl std::error::Error for ServerError {}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a response frame (what a server would send), for tests here and in the engine.
    pub(crate) fn response_frame(stream: i16, opcode: u8, frame_flags: u8, body: &[u8]) -> Vec<u8> {
        let mut f = vec![RESPONSE_VERSION, frame_flags];
        f.extend_from_slice(&stream.to_be_bytes());
        f.push(opcode);
        f.extend_from_slice(&(body.len() as u32).to_be_bytes());
        f.extend_from_slice(body);
        f
    }

    pub(crate) fn string(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(s.as_bytes());
        v
    }

    /// RESULT Prepared body with `id` and bind markers of the given types (global table spec).
    pub(crate) fn prepared_body(id: &[u8], types: &[u16]) -> Vec<u8> {
        let mut b = 4i32.to_be_bytes().to_vec();
        b.extend_from_slice(&(id.len() as u16).to_be_bytes());
        b.extend_from_slice(id);
        b.extend_from_slice(&1i32.to_be_bytes()); // global tables spec
        b.extend_from_slice(&(types.len() as i32).to_be_bytes());
        b.extend_from_slice(&1i32.to_be_bytes()); // one pk index
        b.extend_from_slice(&0u16.to_be_bytes());
        b.extend(string("ks"));
        b.extend(string("t"));
        for (i, t) in types.iter().enumerate() {
            b.extend(string(&format!("c{i}")));
            b.extend_from_slice(&t.to_be_bytes());
        }
        // result metadata: no metadata, 0 columns
        b.extend_from_slice(&4i32.to_be_bytes());
        b.extend_from_slice(&0i32.to_be_bytes());
        b
    }

    /// RESULT Rows without metadata, one blob column, `rows` rows of `value`.
    pub(crate) fn rows_body(rows: usize, value: &[u8]) -> Vec<u8> {
        let mut b = 2i32.to_be_bytes().to_vec();
        b.extend_from_slice(&ROWS_FLAG_NO_METADATA.to_be_bytes());
        b.extend_from_slice(&1i32.to_be_bytes());
        b.extend_from_slice(&(rows as i32).to_be_bytes());
        for _ in 0..rows {
            b.extend_from_slice(&(value.len() as i32).to_be_bytes());
            b.extend_from_slice(value);
        }
        b
    }

    fn header_of(frame: &[u8]) -> Header {
        Header::parse(frame).unwrap().unwrap()
    }

    #[test]
    fn startup_frame_bytes() {
        let mut buf = Vec::new();
        encode_startup(&mut buf, 0);
        let mut expected = vec![0x04, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 22, 0, 1];
        expected.extend(string("CQL_VERSION"));
        expected.extend(string("3.0.0"));
        assert_eq!(buf, expected);
    }

    #[test]
    fn options_and_query_and_prepare_frames() {
        let mut buf = Vec::new();
        encode_options(&mut buf, 7);
        assert_eq!(buf, [0x04, 0, 0, 7, 0x05, 0, 0, 0, 0]);

        buf.clear();
        encode_query(&mut buf, 258, "SELECT 1", CONSISTENCY_ONE);
        let mut expected = vec![0x04, 0, 1, 2, 0x07, 0, 0, 0, 15, 0, 0, 0, 8];
        expected.extend_from_slice(b"SELECT 1");
        expected.extend_from_slice(&[0, 1, 0]);
        assert_eq!(buf, expected);

        buf.clear();
        encode_prepare(&mut buf, 3, "X");
        assert_eq!(buf, [0x04, 0, 0, 3, 0x09, 0, 0, 0, 5, 0, 0, 0, 1, b'X']);
    }

    #[test]
    fn execute_frame_layout_and_appending() {
        let mut buf = vec![0xAA]; // frames are appended after what the buffer holds
        encode_execute(&mut buf, 2, &[9, 8], CONSISTENCY_ONE, &[&[0, 0, 0, 5], b"vv"], true);
        let f = &buf[1..];
        assert_eq!(&f[..5], &[0x04, 0, 0, 2, 0x0A]);
        let body = [
            0, 2, 9, 8, // id
            0, 1,    // consistency
            0x03, // values + skip metadata
            0, 2, // two values
            0, 0, 0, 4, 0, 0, 0, 5, // int 5
            0, 0, 0, 2, b'v', b'v',
        ];
        assert_eq!(u32::from_be_bytes([f[5], f[6], f[7], f[8]]) as usize, body.len());
        assert_eq!(&f[9..], &body);

        buf.clear();
        encode_execute(&mut buf, 1, &[1], CONSISTENCY_ONE, &[], false);
        assert_eq!(&buf[9..], &[0, 1, 1, 0, 1, 0]);
    }

    #[test]
    fn header_parse_checks() {
        let f = response_frame(-1, opcode::EVENT, 0, b"abc");
        assert_eq!(header_of(&f), Header { flags: 0, stream: -1, opcode: opcode::EVENT, length: 3 });
        assert_eq!(Header::parse(&f[..8]), Ok(None));
        let mut bad = f.clone();
        bad[0] = 0x04;
        assert_eq!(Header::parse(&bad), Err(DecodeError::Version(0x04)));
        let mut compressed = f.clone();
        compressed[1] = flags::COMPRESSION;
        assert_eq!(Header::parse(&compressed), Err(DecodeError::Compressed));
        let mut huge = f;
        huge[5..9].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(Header::parse(&huge), Err(DecodeError::TooLong(u32::MAX)));
    }

    #[test]
    fn decode_simple_responses() {
        let h = |op| Header { flags: 0, stream: 0, opcode: op, length: 0 };
        assert_eq!(decode_response(&h(opcode::READY), &[]), Ok(Response::Ready));
        assert_eq!(decode_response(&h(opcode::SUPPORTED), &[0, 0]), Ok(Response::Supported));
        let mut err = 0x2200i32.to_be_bytes().to_vec();
        err.extend(string("unconfigured table kv"));
        assert_eq!(
            decode_response(&h(opcode::ERROR), &err),
            Ok(Response::Error { code: 0x2200, message: "unconfigured table kv" })
        );
        assert_eq!(decode_response(&h(opcode::RESULT), &1i32.to_be_bytes()), Ok(Response::Result(ResultBody::Void)));
        assert_eq!(decode_response(&h(0x42), &[]), Ok(Response::Other(0x42)));
        assert_eq!(decode_response(&h(opcode::RESULT), &9i32.to_be_bytes()), Err(DecodeError::ResultKind(9)));
    }

    #[test]
    fn decode_rows_with_and_without_metadata() {
        let h = Header { flags: 0, stream: 0, opcode: opcode::RESULT, length: 0 };
        assert_eq!(decode_response(&h, &rows_body(1, b"xyz")), Ok(Response::Result(ResultBody::Rows { rows: 1 })));
        assert_eq!(decode_response(&h, &rows_body(0, b"")), Ok(Response::Result(ResultBody::Rows { rows: 0 })));

        // Full metadata, per-column table specs, a paging state, and a map<text, list<int>> column.
        let mut b = 2i32.to_be_bytes().to_vec();
        b.extend_from_slice(&ROWS_FLAG_HAS_MORE_PAGES.to_be_bytes());
        b.extend_from_slice(&2i32.to_be_bytes());
        b.extend_from_slice(&3i32.to_be_bytes());
        b.extend_from_slice(b"pag");
        for (name, ty) in [("a", vec![0u8, 0x09]), ("m", vec![0, 0x21, 0, 0x0D, 0, 0x20, 0, 0x09])] {
            b.extend(string("ks"));
            b.extend(string("t"));
            b.extend(string(name));
            b.extend(ty);
        }
        b.extend_from_slice(&5i32.to_be_bytes());
        assert_eq!(decode_response(&h, &b), Ok(Response::Result(ResultBody::Rows { rows: 5 })));
    }

    #[test]
    fn decode_prepared() {
        let h = Header { flags: 0, stream: 0, opcode: opcode::RESULT, length: 0 };
        let body = prepared_body(&[1, 2, 3], &[type_id::BIGINT, type_id::BLOB]);
        assert_eq!(
            decode_response(&h, &body),
            Ok(Response::Result(ResultBody::Prepared { id: &[1, 2, 3], bind_types: vec![2, 3] }))
        );
    }

    #[test]
    fn decode_skips_tracing_warnings_and_payload() {
        let mut body = vec![7u8; 16]; // tracing id
        body.extend_from_slice(&1u16.to_be_bytes());
        body.extend(string("careful"));
        body.extend_from_slice(&1u16.to_be_bytes());
        body.extend(string("k"));
        body.extend_from_slice(&(-1i32).to_be_bytes()); // null value
        body.extend_from_slice(&1i32.to_be_bytes()); // Void
        let h = Header {
            flags: flags::TRACING | flags::WARNING | flags::CUSTOM_PAYLOAD,
            stream: 0,
            opcode: opcode::RESULT,
            length: body.len(),
        };
        assert_eq!(decode_response(&h, &body), Ok(Response::Result(ResultBody::Void)));
    }

    #[test]
    fn malformed_bodies_are_errors_not_panics() {
        let h = Header { flags: 0, stream: 0, opcode: opcode::RESULT, length: 0 };
        let good = prepared_body(&[1, 2, 3], &[type_id::BIGINT, type_id::BLOB]);
        // Every truncation of a valid body fails cleanly (or, at the very end, still decodes).
        for cut in 0..good.len() {
            let _ = decode_response(&h, &good[..cut]);
        }
        let rows = rows_body(2, b"v");
        for cut in 0..rows.len() {
            let _ = decode_response(&h, &rows[..cut]);
        }
        // Negative counts.
        let mut neg = 2i32.to_be_bytes().to_vec();
        neg.extend_from_slice(&ROWS_FLAG_NO_METADATA.to_be_bytes());
        neg.extend_from_slice(&(-5i32).to_be_bytes());
        assert_eq!(decode_response(&h, &neg), Err(DecodeError::Negative("column count", -5)));
        // A huge column count with no data behind it.
        let mut huge = 2i32.to_be_bytes().to_vec();
        huge.extend_from_slice(&0i32.to_be_bytes());
        huge.extend_from_slice(&i32::MAX.to_be_bytes());
        assert!(decode_response(&h, &huge).is_err());
        // Endless nesting: list<list<list<...>>>.
        let mut deep = 2i32.to_be_bytes().to_vec();
        deep.extend_from_slice(&ROWS_FLAG_GLOBAL_TABLES_SPEC.to_be_bytes());
        deep.extend_from_slice(&1i32.to_be_bytes());
        deep.extend(string("ks"));
        deep.extend(string("t"));
        deep.extend(string("c"));
        for _ in 0..100 {
            deep.extend_from_slice(&type_id::LIST.to_be_bytes());
        }
        assert_eq!(decode_response(&h, &deep), Err(DecodeError::TooDeep));
        // Invalid UTF-8 in an error message.
        let eh = Header { opcode: opcode::ERROR, ..h };
        let mut bad = 0i32.to_be_bytes().to_vec();
        bad.extend_from_slice(&[0, 2, 0xFF, 0xFE]);
        assert_eq!(decode_response(&eh, &bad), Err(DecodeError::Utf8("error message")));
    }

    #[test]
    fn server_error_display() {
        let e = ServerError { code: 0x2200, message: "bad".into() };
        assert_eq!(e.to_string(), "server error 0x2200 (Invalid): bad");
        assert_eq!(error_name(0x1001), "Overloaded");
    }
}
