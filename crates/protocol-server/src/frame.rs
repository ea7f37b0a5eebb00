//! Frames (v5: envelopes): the 9-byte header — version with the direction bit, flags, stream id,
//! opcode, body length — and the body (spec §2).

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Size of the v3+ header.
pub const HEADER_LEN: usize = 9;

/// The direction bit of the version byte: set on responses.
pub const RESPONSE_BIT: u8 = 0x80;

/// Header flags (spec §2.2).
pub mod flags {
    pub const COMPRESSED: u8 = 0x01;
    pub const TRACING: u8 = 0x02;
    pub const CUSTOM_PAYLOAD: u8 = 0x04;
    pub const WARNING: u8 = 0x08;
    pub const USE_BETA: u8 = 0x10;
}

/// A native protocol version this server knows how to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    V3 = 3,
    V4 = 4,
    V5 = 5,
}

impl ProtocolVersion {
    /// The versions accepted, oldest first.
    pub const SUPPORTED: &'static [ProtocolVersion] = &[ProtocolVersion::V3, ProtocolVersion::V4, ProtocolVersion::V5];

    /// The version used to answer a client whose version is unknown: v4, which every driver
    /// speaks (the Node.js driver reads the version of that answer to pick its next attempt).
    pub const CURRENT: ProtocolVersion = ProtocolVersion::V4;

    /// The accepted version with this number, if any.
    pub fn from_number(n: u8) -> Option<ProtocolVersion> {
        Self::SUPPORTED.iter().copied().find(|v| *v as u8 == n)
    }

    pub fn number(self) -> u8 {
        self as u8
    }

    /// How SUPPORTED's PROTOCOL_VERSIONS and error messages name it: `4/v4`.
    pub fn describe(self) -> &'static str {
        match self {
            ProtocolVersion::V3 => "3/v3",
            ProtocolVersion::V4 => "4/v4",
            ProtocolVersion::V5 => "5/v5",
        }
    }

    /// v4 added the [value] "not set" (-2), warnings and custom payloads.
    pub fn has_unset_values(self) -> bool {
        self >= ProtocolVersion::V4
    }

    /// v5 made the QUERY/EXECUTE/BATCH flags an [int].
    pub fn has_int_query_flags(self) -> bool {
        self >= ProtocolVersion::V5
    }
}

/// `Invalid or unsupported protocol version (n); supported versions are (3/v3, 4/v4, 5/v5)`, worded as
/// Cassandra's `ProtocolVersion.invalidVersionMessage`.
pub fn unsupported_version_message(n: u8) -> String {
    let supported: Vec<&str> = ProtocolVersion::SUPPORTED.iter().map(|v| v.describe()).collect();
    format!("Invalid or unsupported protocol version ({n}); supported versions are ({})", supported.join(", "))
}

/// The version byte (without direction bit) of the reply to a frame of unsupported version `n`:
/// the requested one when it is a known retired version (1, 2), else our current version, as
/// Cassandra does. Never 3, which would make the Node.js driver settle on v3.
pub fn unsupported_version_reply(n: u8) -> u8 {
    match n {
        1 | 2 => n,
        _ => ProtocolVersion::CURRENT.number(),
    }
}

/// Message types (spec §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    Error = 0x00,
    Startup = 0x01,
    Ready = 0x02,
    Authenticate = 0x03,
    Options = 0x05,
    Supported = 0x06,
    Query = 0x07,
    Result = 0x08,
    Prepare = 0x09,
    Execute = 0x0A,
    Register = 0x0B,
    Event = 0x0C,
    Batch = 0x0D,
    AuthChallenge = 0x0E,
    AuthResponse = 0x0F,
    AuthSuccess = 0x10,
}

impl Opcode {
    pub fn from_byte(b: u8) -> Option<Opcode> {
        Some(match b {
            0x00 => Opcode::Error,
            0x01 => Opcode::Startup,
            0x02 => Opcode::Ready,
            0x03 => Opcode::Authenticate,
            0x05 => Opcode::Options,
            0x06 => Opcode::Supported,
            0x07 => Opcode::Query,
            0x08 => Opcode::Result,
            0x09 => Opcode::Prepare,
            0x0A => Opcode::Execute,
            0x0B => Opcode::Register,
            0x0C => Opcode::Event,
            0x0D => Opcode::Batch,
            0x0E => Opcode::AuthChallenge,
            0x0F => Opcode::AuthResponse,
            0x10 => Opcode::AuthSuccess,
            _ => return None,
        })
    }

    /// True for the messages a client sends.
    pub fn is_request(self) -> bool {
        matches!(
            self,
            Opcode::Startup
                | Opcode::Options
                | Opcode::Query
                | Opcode::Prepare
                | Opcode::Execute
                | Opcode::Register
                | Opcode::Batch
                | Opcode::AuthResponse
        )
    }

    /// The message name as Cassandra prints it in errors (`QUERY`, `AUTH_RESPONSE`).
    pub fn name(self) -> &'static str {
        match self {
            Opcode::Error => "ERROR",
            Opcode::Startup => "STARTUP",
            Opcode::Ready => "READY",
            Opcode::Authenticate => "AUTHENTICATE",
            Opcode::Options => "OPTIONS",
            Opcode::Supported => "SUPPORTED",
            Opcode::Query => "QUERY",
            Opcode::Result => "RESULT",
            Opcode::Prepare => "PREPARE",
            Opcode::Execute => "EXECUTE",
            Opcode::Register => "REGISTER",
            Opcode::Event => "EVENT",
            Opcode::Batch => "BATCH",
            Opcode::AuthChallenge => "AUTH_CHALLENGE",
            Opcode::AuthResponse => "AUTH_RESPONSE",
            Opcode::AuthSuccess => "AUTH_SUCCESS",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub version: ProtocolVersion,
    pub flags: u8,
    pub stream: i16,
    pub opcode: Opcode,
    pub length: u32,
}

/// A request frame with its whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub header: FrameHeader,
    pub body: Bytes,
}

/// What [`Frame::parse`] found at the front of the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parse {
    /// Not a whole frame yet: read more and try again. Nothing was consumed.
    Incomplete,
    /// A whole frame, removed from the buffer.
    Frame(Frame),
}

/// A frame that cannot be accepted. Each carries what is needed to answer on its stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The version byte names a version this server does not speak. Answer with
    /// [`unsupported_version_message`] and close.
    #[error("{}", unsupported_version_message(*.version))]
    UnsupportedVersion { version: u8, stream: i16 },
    /// The frame has the response direction bit, or a response opcode. Answer and close.
    #[error("Wrong protocol direction (expected REQUEST, got RESPONSE) for opcode {opcode}")]
    WrongDirection { version: ProtocolVersion, stream: i16, opcode: u8 },
    #[error("Unknown opcode {opcode}")]
    UnknownOpcode { version: ProtocolVersion, stream: i16, opcode: u8 },
    /// The body is over the size limit. The header has been consumed; the caller must skip
    /// `length` more bytes, answer, and may go on with the next frame (Cassandra does).
    #[error("Request is too big: length {} exceeds maximum allowed length {max}.", *.length as u64 + HEADER_LEN as u64)]
    TooLarge { version: ProtocolVersion, stream: i16, length: u32, max: usize },
}

impl FrameError {
    /// The stream the answer goes on.
    pub fn stream(&self) -> i16 {
        match self {
            FrameError::UnsupportedVersion { stream, .. }
            | FrameError::WrongDirection { stream, .. }
            | FrameError::UnknownOpcode { stream, .. }
            | FrameError::TooLarge { stream, .. } => *stream,
        }
    }

    /// The version byte (without direction bit) of the answer.
    pub fn reply_version(&self) -> u8 {
        match self {
            FrameError::UnsupportedVersion { version, .. } => unsupported_version_reply(*version),
            FrameError::WrongDirection { version, .. }
            | FrameError::UnknownOpcode { version, .. }
            | FrameError::TooLarge { version, .. } => version.number(),
        }
    }

    /// After answering, the connection must be closed: the byte stream can no longer be trusted.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, FrameError::TooLarge { .. })
    }
}

impl Frame {
    /// Takes one request frame off the front of `buf`. `max_frame_size` bounds header plus body,
    /// as Cassandra's `native_transport_max_frame_size` does.
    pub fn parse(buf: &mut BytesMut, max_frame_size: usize) -> Result<Parse, FrameError> {
        let Some(&first) = buf.first() else {
            return Ok(Parse::Incomplete);
        };
        let number = first & !RESPONSE_BIT;
        let Some(version) = ProtocolVersion::from_number(number) else {
            // v1/v2 headers have a one-byte stream at offset 2; later ones a [short].
            let stream = match number {
                1 | 2 if buf.len() >= 3 => i16::from(buf[2] as i8),
                1 | 2 => return Ok(Parse::Incomplete),
                _ if buf.len() >= 4 => i16::from_be_bytes([buf[2], buf[3]]),
                _ => return Ok(Parse::Incomplete),
            };
            return Err(FrameError::UnsupportedVersion { version: number, stream });
        };
        if buf.len() < HEADER_LEN {
            return Ok(Parse::Incomplete);
        }
        let flags = buf[1];
        let stream = i16::from_be_bytes([buf[2], buf[3]]);
        let opcode_byte = buf[4];
        let length = u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]);
        let opcode =
            Opcode::from_byte(opcode_byte).ok_or(FrameError::UnknownOpcode { version, stream, opcode: opcode_byte })?;
        if first & RESPONSE_BIT != 0 || !opcode.is_request() {
            return Err(FrameError::WrongDirection { version, stream, opcode: opcode_byte });
        }
        if length as u64 + HEADER_LEN as u64 > max_frame_size as u64 {
            buf.advance(HEADER_LEN);
            return Err(FrameError::TooLarge { version, stream, length, max: max_frame_size });
        }
        let total = HEADER_LEN + length as usize;
        if buf.len() < total {
            buf.reserve(total - buf.len());
            return Ok(Parse::Incomplete);
        }
        let mut frame = buf.split_to(total).freeze();
        let body = frame.split_off(HEADER_LEN);
        Ok(Parse::Frame(Frame { header: FrameHeader { version, flags, stream, opcode, length }, body }))
    }
}

/// A response header. `version` is the bare version number; the direction bit is added.
pub fn response_header(version: u8, flags: u8, stream: i16, opcode: Opcode, length: u32) -> [u8; HEADER_LEN] {
    let s = stream.to_be_bytes();
    let l = length.to_be_bytes();
    [version | RESPONSE_BIT, flags, s[0], s[1], opcode as u8, l[0], l[1], l[2], l[3]]
}

/// Appends a response header (see [`response_header`]).
pub fn write_response_header(out: &mut BytesMut, version: u8, flags: u8, stream: i16, opcode: Opcode, length: u32) {
    out.put_slice(&response_header(version, flags, stream, opcode, length));
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1024;

    fn parse(bytes: &[u8]) -> (Result<Parse, FrameError>, usize) {
        let mut buf = BytesMut::from(bytes);
        let r = Frame::parse(&mut buf, MAX);
        (r, buf.len())
    }

    #[test]
    fn a_whole_v4_query_frame_is_parsed_and_consumed() {
        let bytes = [0x04, 0x00, 0x00, 0x07, 0x07, 0, 0, 0, 2, 0xAA, 0xBB, 0x04];
        let (r, left) = parse(&bytes);
        let Ok(Parse::Frame(f)) = r else { panic!("{r:?}") };
        assert_eq!(
            f.header,
            FrameHeader { version: ProtocolVersion::V4, flags: 0, stream: 7, opcode: Opcode::Query, length: 2 }
        );
        assert_eq!(&f.body[..], [0xAA, 0xBB]);
        assert_eq!(left, 1, "the next frame's first byte stays in the buffer");
    }

    #[test]
    fn a_partial_header_or_body_is_incomplete_and_consumes_nothing() {
        for bytes in [&[][..], &[0x04, 0, 0][..], &[0x04, 0, 0, 1, 0x05, 0, 0, 0, 3, 1, 2][..]] {
            let (r, left) = parse(bytes);
            assert_eq!(r, Ok(Parse::Incomplete));
            assert_eq!(left, bytes.len());
        }
    }

    #[test]
    fn the_stream_id_is_signed() {
        let (r, _) = parse(&[0x04, 0, 0xFF, 0xFF, 0x05, 0, 0, 0, 0]);
        let Ok(Parse::Frame(f)) = r else { panic!() };
        assert_eq!(f.header.stream, -1);
    }

    #[test]
    fn v5_envelopes_are_accepted() {
        let (r, _) = parse(&[0x05, 0, 0, 1, 0x05, 0, 0, 0, 0]);
        let Ok(Parse::Frame(f)) = r else { panic!() };
        assert_eq!(f.header.version, ProtocolVersion::V5);
    }

    #[test]
    fn v3_frames_are_accepted() {
        let (r, _) = parse(&[0x03, 0, 0, 1, 0x05, 0, 0, 0, 0]);
        let Ok(Parse::Frame(f)) = r else { panic!() };
        assert_eq!(f.header.version, ProtocolVersion::V3);
    }

    #[test]
    fn unsupported_versions_are_reported_with_the_request_stream() {
        for v in [6u8, 0x41, 0x42, 0, 0x7F] {
            let (r, _) = parse(&[v, 0, 0x01, 0x02, 0x05, 0, 0, 0, 0]);
            assert_eq!(r, Err(FrameError::UnsupportedVersion { version: v, stream: 0x0102 }));
        }
    }

    #[test]
    fn unsupported_version_needs_only_the_stream_bytes() {
        assert_eq!(parse(&[0x42, 0, 0, 9]).0, Err(FrameError::UnsupportedVersion { version: 0x42, stream: 9 }));
        assert_eq!(parse(&[0x42, 0, 0]).0, Ok(Parse::Incomplete));
    }

    #[test]
    fn v1_and_v2_have_a_one_byte_stream() {
        assert_eq!(parse(&[0x02, 0, 5, 0x05]).0, Err(FrameError::UnsupportedVersion { version: 2, stream: 5 }));
        assert_eq!(parse(&[0x01, 0, 0xFF]).0, Err(FrameError::UnsupportedVersion { version: 1, stream: -1 }));
    }

    #[test]
    fn unsupported_version_reply_uses_old_version_or_current() {
        assert_eq!(unsupported_version_reply(1), 1);
        assert_eq!(unsupported_version_reply(2), 2);
        assert_eq!(unsupported_version_reply(6), 4);
        assert_eq!(unsupported_version_reply(0x42), 4);
    }

    #[test]
    fn unsupported_version_message_matches_cassandra_wording() {
        assert_eq!(
            unsupported_version_message(66),
            "Invalid or unsupported protocol version (66); supported versions are (3/v3, 4/v4, 5/v5)"
        );
    }

    #[test]
    fn a_response_direction_bit_is_rejected() {
        let (r, _) = parse(&[0x84, 0, 0, 3, 0x05, 0, 0, 0, 0]);
        assert_eq!(r, Err(FrameError::WrongDirection { version: ProtocolVersion::V4, stream: 3, opcode: 5 }));
    }

    #[test]
    fn a_response_opcode_in_a_request_is_rejected() {
        let (r, _) = parse(&[0x04, 0, 0, 3, 0x08, 0, 0, 0, 0]);
        assert_eq!(r, Err(FrameError::WrongDirection { version: ProtocolVersion::V4, stream: 3, opcode: 8 }));
    }

    #[test]
    fn an_unknown_opcode_is_rejected() {
        let (r, _) = parse(&[0x04, 0, 0, 3, 0x04, 0, 0, 0, 0]);
        assert_eq!(r, Err(FrameError::UnknownOpcode { version: ProtocolVersion::V4, stream: 3, opcode: 4 }));
    }

    #[test]
    fn an_oversized_body_is_too_large_and_only_the_header_is_consumed() {
        let (r, left) = parse(&[0x04, 0, 0, 3, 0x07, 0, 0, 0x10, 0, 1, 2, 3]);
        let e = r.unwrap_err();
        assert_eq!(e, FrameError::TooLarge { version: ProtocolVersion::V4, stream: 3, length: 4096, max: MAX });
        assert!(!e.is_fatal());
        assert_eq!(left, 3);
        assert_eq!(e.to_string(), "Request is too big: length 4105 exceeds maximum allowed length 1024.");
    }

    #[test]
    fn a_negative_length_is_too_large() {
        let (r, _) = parse(&[0x04, 0, 0, 3, 0x07, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert!(matches!(r, Err(FrameError::TooLarge { .. })));
    }

    #[test]
    fn response_header_sets_the_direction_bit() {
        let mut out = BytesMut::new();
        write_response_header(&mut out, 4, flags::WARNING, -1, Opcode::Event, 0x0102);
        assert_eq!(&out[..], [0x84, 0x08, 0xFF, 0xFF, 0x0C, 0, 0, 0x01, 0x02]);
    }
}
