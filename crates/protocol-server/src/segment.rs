//! Protocol v5 framing: after READY (or AUTHENTICATE) both directions carry "segments" that wrap
//! the envelopes (v4-style frames) with checksums and, if negotiated, LZ4 compression
//! (native_protocol_v5.spec §2).
//!
//! Uncompressed segment: 3-byte little-endian header (bits 0-16 payload length, bit 17
//! self-contained), 3-byte CRC24 of the header, payload (at most 128 KiB - 1), 4-byte
//! little-endian CRC32 of the payload.
//! LZ4 segment: 5-byte header (bits 0-16 compressed length, 17-33 uncompressed length, 34
//! self-contained; uncompressed length 0 means the payload is stored uncompressed), CRC24,
//! payload, CRC32 of the payload as sent.
//!
//! A self-contained segment holds whole envelopes; an envelope larger than one segment spans
//! consecutive non-self-contained segments. Reading, the payloads are simply concatenated into the
//! envelope stream; writing, envelopes are packed into self-contained segments and oversized ones
//! split.

use bytes::{Buf, BufMut, BytesMut};

use crate::frame::HEADER_LEN;

/// Largest payload of one segment.
pub const MAX_PAYLOAD: usize = 128 * 1024 - 1;

const CRC24_INIT: u32 = 0x875060;
const CRC24_POLY: u32 = 0x1974F0B;
const CRC32_SEED: [u8; 4] = [0xFA, 0x2D, 0x55, 0xCA];

/// A segment that cannot be trusted: the connection must be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    #[error("segment header CRC mismatch: computed {computed:#08x}, received {received:#08x}")]
    HeaderCrc { computed: u32, received: u32 },
    #[error("segment payload CRC mismatch: computed {computed:#010x}, received {received:#010x}")]
    PayloadCrc { computed: u32, received: u32 },
    #[error("corrupt compressed segment: {0}")]
    Corrupt(String),
}

/// CRC24 of the low `len` bytes of `bytes`, least significant byte first (Cassandra's `Crc.crc24`).
pub fn crc24(mut bytes: u64, len: usize) -> u32 {
    let mut crc = CRC24_INIT;
    for _ in 0..len {
        crc ^= ((bytes & 0xFF) as u32) << 16;
        bytes >>= 8;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x100_0000 != 0 {
                crc ^= CRC24_POLY;
            }
        }
    }
    crc & 0xFF_FFFF
}

/// CRC32 (zlib polynomial) seeded by first running it over `FA 2D 55 CA`.
pub fn crc32(payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&CRC32_SEED);
    h.update(payload);
    h.finalize()
}

fn le_bytes(v: u64, n: usize) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[..n].copy_from_slice(&v.to_le_bytes()[..n]);
    out
}

fn read_le(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(b)
}

/// The segment format of a connection: with or without LZ4 (the only compression v5 allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentCodec {
    pub lz4: bool,
}

impl SegmentCodec {
    fn header_len(self) -> usize {
        if self.lz4 {
            5
        } else {
            3
        }
    }

    /// Moves the payloads of every whole segment at the front of `input` onto the end of
    /// `envelopes`. An incomplete segment is left in `input`.
    pub fn decode(self, input: &mut BytesMut, envelopes: &mut BytesMut) -> Result<(), SegmentError> {
        let hlen = self.header_len();
        loop {
            if input.len() < hlen + 3 {
                return Ok(());
            }
            let header = read_le(&input[..hlen]);
            let received = read_le(&input[hlen..hlen + 3]) as u32;
            let computed = crc24(header, hlen);
            if computed != received {
                return Err(SegmentError::HeaderCrc { computed, received });
            }
            let payload_len = (header & 0x1FFFF) as usize;
            let uncompressed_len = if self.lz4 { ((header >> 17) & 0x1FFFF) as usize } else { 0 };
            let total = hlen + 3 + payload_len + 4;
            if input.len() < total {
                input.reserve(total - input.len());
                return Ok(());
            }
            input.advance(hlen + 3);
            let payload = &input[..payload_len];
            let received = u32::from_le_bytes([
                input[payload_len],
                input[payload_len + 1],
                input[payload_len + 2],
                input[payload_len + 3],
            ]);
            let computed = crc32(payload);
            if computed != received {
                return Err(SegmentError::PayloadCrc { computed, received });
            }
            if uncompressed_len == 0 {
                envelopes.extend_from_slice(payload);
            } else {
                let start = envelopes.len();
                envelopes.resize(start + uncompressed_len, 0);
                match lz4_flex::block::decompress_into(payload, &mut envelopes[start..]) {
                    Ok(n) if n == uncompressed_len => {}
                    Ok(n) => {
                        return Err(SegmentError::Corrupt(format!("expected {uncompressed_len} bytes, got {n}")));
                    }
                    Err(e) => return Err(SegmentError::Corrupt(e.to_string())),
                }
            }
            input.advance(payload_len + 4);
        }
    }

    /// Appends one segment carrying `payload` (at most [`MAX_PAYLOAD`] bytes) to `out`.
    pub fn write_segment(self, payload: &[u8], self_contained: bool, out: &mut BytesMut, scratch: &mut BytesMut) {
        debug_assert!(payload.len() <= MAX_PAYLOAD);
        let flag = u64::from(self_contained);
        if self.lz4 {
            scratch.clear();
            scratch.resize(lz4_flex::block::get_maximum_output_size(payload.len()), 0);
            let n = lz4_flex::block::compress_into(payload, &mut scratch[..]).unwrap_or(usize::MAX);
            let (body, uncompressed_len) =
                if n < payload.len() { (&scratch[..n], payload.len()) } else { (payload, 0) };
            let header = body.len() as u64 | (uncompressed_len as u64) << 17 | flag << 34;
            out.put_slice(&le_bytes(header, 5)[..5]);
            out.put_slice(&le_bytes(crc24(header, 5).into(), 3)[..3]);
            out.put_slice(body);
            out.put_u32_le(crc32(body));
        } else {
            let header = payload.len() as u64 | flag << 17;
            out.put_slice(&le_bytes(header, 3)[..3]);
            out.put_slice(&le_bytes(crc24(header, 3).into(), 3)[..3]);
            out.put_slice(payload);
            out.put_u32_le(crc32(payload));
        }
    }

    /// Wraps `envelopes` (whole envelopes back to back) into segments appended to `out`: as many
    /// envelopes per self-contained segment as fit, and an envelope too large for one segment on
    /// its own, split over non-self-contained segments.
    pub fn encode(self, envelopes: &[u8], out: &mut BytesMut, scratch: &mut BytesMut) {
        let mut pos = 0;
        let mut group_start = 0;
        while pos < envelopes.len() {
            let len = envelope_len(&envelopes[pos..]).min(envelopes.len() - pos);
            if len > MAX_PAYLOAD {
                if group_start < pos {
                    self.write_segment(&envelopes[group_start..pos], true, out, scratch);
                }
                for chunk in envelopes[pos..pos + len].chunks(MAX_PAYLOAD) {
                    self.write_segment(chunk, false, out, scratch);
                }
                pos += len;
                group_start = pos;
            } else if pos + len - group_start > MAX_PAYLOAD {
                self.write_segment(&envelopes[group_start..pos], true, out, scratch);
                group_start = pos;
                pos += len;
            } else {
                pos += len;
            }
        }
        if group_start < pos {
            self.write_segment(&envelopes[group_start..pos], true, out, scratch);
        }
    }
}

/// Header plus body length of the envelope at the front of `bytes`.
fn envelope_len(bytes: &[u8]) -> usize {
    if bytes.len() < HEADER_LEN {
        return bytes.len();
    }
    HEADER_LEN + u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: SegmentCodec = SegmentCodec { lz4: false };
    const LZ4: SegmentCodec = SegmentCodec { lz4: true };

    fn envelope(stream: i16, body_len: usize) -> Vec<u8> {
        let mut e = vec![0x85, 0];
        e.extend_from_slice(&stream.to_be_bytes());
        e.push(0x08);
        e.extend_from_slice(&(body_len as u32).to_be_bytes());
        e.extend((0..body_len).map(|i| (i % 13) as u8));
        e
    }

    fn encode(codec: SegmentCodec, envelopes: &[u8]) -> BytesMut {
        let mut out = BytesMut::new();
        codec.encode(envelopes, &mut out, &mut BytesMut::new());
        out
    }

    fn decode(codec: SegmentCodec, wire: &[u8]) -> Result<Vec<u8>, SegmentError> {
        let mut input = BytesMut::from(wire);
        let mut envelopes = BytesMut::new();
        codec.decode(&mut input, &mut envelopes)?;
        assert!(input.is_empty());
        Ok(envelopes.to_vec())
    }

    #[test]
    fn crc32_is_seeded_as_the_spec_says() {
        assert_eq!(crc32(b"123456789"), 0xe2a261a7);
    }

    #[test]
    fn uncompressed_header_of_a_50_byte_self_contained_payload_matches_the_known_bytes() {
        let mut out = BytesMut::new();
        PLAIN.write_segment(&[0u8; 50], true, &mut out, &mut BytesMut::new());
        assert_eq!(&out[..6], [0x32, 0x00, 0x02, 0xa5, 0xff, 0xee]);
        assert_eq!(out.len(), 6 + 50 + 4);
        assert_eq!(&out[56..], crc32(&[0u8; 50]).to_le_bytes());
    }

    #[test]
    fn small_envelopes_share_one_self_contained_segment() {
        let mut envs = envelope(1, 10);
        envs.extend(envelope(2, 20));
        let wire = encode(PLAIN, &envs);
        assert_eq!(wire.len(), 6 + envs.len() + 4);
        assert_eq!(read_le(&wire[..3]) >> 17, 1, "self-contained");
        assert_eq!(decode(PLAIN, &wire).unwrap(), envs);
    }

    #[test]
    fn an_envelope_larger_than_a_segment_is_split_over_non_self_contained_segments() {
        let big = envelope(1, 300_000);
        let mut envs = envelope(0, 5);
        envs.extend(&big);
        envs.extend(envelope(2, 5));
        let wire = encode(PLAIN, &envs);
        let mut flags = Vec::new();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            let h = read_le(&rest[..3]);
            flags.push(h >> 17 == 1);
            rest = &rest[6 + (h & 0x1FFFF) as usize + 4..];
        }
        assert_eq!(flags, [true, false, false, false, true]);
        assert_eq!(decode(PLAIN, &wire).unwrap(), envs);
    }

    #[test]
    fn envelopes_that_overflow_a_segment_start_a_new_one() {
        let mut envs = Vec::new();
        for i in 0..3 {
            envs.extend(envelope(i, 60_000));
        }
        let wire = encode(PLAIN, &envs);
        assert_eq!(wire.len(), 2 * 10 + envs.len());
        assert_eq!(decode(PLAIN, &wire).unwrap(), envs);
    }

    #[test]
    fn lz4_segments_round_trip_compressed_and_stored() {
        let compressible = envelope(1, 5000);
        let wire = encode(LZ4, &compressible);
        let header = read_le(&wire[..5]);
        assert!(((header >> 17) & 0x1FFFF) as usize == compressible.len(), "uncompressed length recorded");
        assert!(wire.len() < compressible.len());
        assert_eq!(decode(LZ4, &wire).unwrap(), compressible);

        let tiny = [1u8, 2, 3];
        let wire = encode(LZ4, &tiny);
        assert_eq!((read_le(&wire[..5]) >> 17) & 0x1FFFF, 0, "stored uncompressed");
        assert_eq!(decode(LZ4, &wire).unwrap(), tiny);
    }

    #[test]
    fn an_incomplete_segment_is_left_for_later() {
        let wire = encode(PLAIN, &envelope(1, 100));
        for cut in [0, 2, 5, 6, 50, wire.len() - 1] {
            let mut input = BytesMut::from(&wire[..cut]);
            let mut out = BytesMut::new();
            PLAIN.decode(&mut input, &mut out).unwrap();
            assert!(out.is_empty());
            assert_eq!(input.len(), cut);
        }
    }

    #[test]
    fn a_corrupt_header_is_an_error() {
        let mut wire = encode(PLAIN, &envelope(1, 10)).to_vec();
        wire[0] ^= 1;
        assert!(matches!(decode(PLAIN, &wire), Err(SegmentError::HeaderCrc { .. })));
    }

    #[test]
    fn a_corrupt_payload_is_an_error() {
        let mut wire = encode(PLAIN, &envelope(1, 10)).to_vec();
        wire[8] ^= 1;
        assert!(matches!(decode(PLAIN, &wire), Err(SegmentError::PayloadCrc { .. })));
    }

    #[test]
    fn a_compressed_payload_that_does_not_decompress_is_an_error_not_a_panic() {
        let payload = [0xFFu8, 0xFF, 0xFF];
        let header = payload.len() as u64 | 100 << 17 | 1 << 34;
        let mut wire = le_bytes(header, 5)[..5].to_vec();
        wire.extend_from_slice(&le_bytes(crc24(header, 5).into(), 3)[..3]);
        wire.extend_from_slice(&payload);
        wire.extend_from_slice(&crc32(&payload).to_le_bytes());
        assert!(matches!(decode(LZ4, &wire), Err(SegmentError::Corrupt(_))));
    }
}
