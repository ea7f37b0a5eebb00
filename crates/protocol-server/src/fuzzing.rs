//! Entry points for the fuzz targets (`fuzz/`) and the property tests: arbitrary bytes fed to the
//! decoders the way a connection feeds them. Whatever the input, they must return without
//! panicking; every problem must surface as an error value.

use bytes::{Buf, Bytes, BytesMut};

use crate::compression::Compression;
use crate::frame::{Frame, FrameError, Opcode, Parse, ProtocolVersion};
use crate::request::Request;
use crate::segment::{self, SegmentCodec, MAX_PAYLOAD};
use crate::wire;

/// The frame size limit used here: small, so that oversized frames are exercised too.
const MAX_FRAME: usize = 64 * 1024;

/// Bytes as a connection reads them before v5 framing: frames, then each frame's body as every
/// version and compression would decode it.
pub fn connection_input(data: &[u8]) {
    let mut buf = BytesMut::from(data);
    loop {
        match Frame::parse(&mut buf, MAX_FRAME) {
            Ok(Parse::Incomplete) => break,
            Ok(Parse::Frame(frame)) => frame_body(&frame),
            Err(FrameError::TooLarge { length, .. }) => {
                let skip = (length as usize).min(buf.len());
                buf.advance(skip);
            }
            // A fatal error: the connection would be closed here.
            Err(_) => break,
        }
    }
}

fn frame_body(frame: &Frame) {
    let opcode = frame.header.opcode;
    requests(opcode, &frame.body);
    for compression in [Compression::Lz4, Compression::Snappy] {
        if let Ok(body) = compression.decompress(&frame.body, MAX_FRAME) {
            requests(opcode, &body);
        }
    }
    // A custom payload in front of the message.
    let mut rest = &frame.body[..];
    if wire::read_bytes_map(&mut rest).is_ok() {
        let skipped = frame.body.len() - rest.len();
        requests(opcode, &frame.body.slice(skipped..));
    }
}

fn requests(opcode: Opcode, body: &Bytes) {
    for version in ProtocolVersion::SUPPORTED {
        let _ = Request::decode(opcode, *version, body);
    }
}

/// Bytes as a v5 connection reads them after READY: segments (plain, then LZ4), then the
/// envelopes their payloads carry. Random bytes rarely pass the checksums, so the same bytes are
/// also sent as the payload of valid segments: stored, and as an LZ4 payload claiming an
/// uncompressed length taken from the input.
pub fn segment_input(data: &[u8]) {
    for lz4 in [false, true] {
        segments(lz4, data);
    }
    let payload = &data[..data.len().min(MAX_PAYLOAD)];
    let mut wire = BytesMut::new();
    SegmentCodec { lz4: false }.write_segment(payload, true, &mut wire, &mut BytesMut::new());
    segments(false, &wire);

    let claimed = (data.first().map_or(0, |b| usize::from(*b) << 9) | data.len()) & 0x1FFFF;
    let header = payload.len() as u64 | (claimed as u64) << 17 | 1 << 34;
    let mut wire = header.to_le_bytes()[..5].to_vec();
    wire.extend_from_slice(&segment::crc24(header, 5).to_le_bytes()[..3]);
    wire.extend_from_slice(payload);
    wire.extend_from_slice(&segment::crc32(payload).to_le_bytes());
    segments(true, &wire);
}

fn segments(lz4: bool, data: &[u8]) {
    let mut input = BytesMut::from(data);
    let mut envelopes = BytesMut::new();
    let _ = SegmentCodec { lz4 }.decode(&mut input, &mut envelopes);
    connection_input(&envelopes);
}
