//! Frame body compression for v3/v4 (spec §5): LZ4 (a 4-byte big-endian uncompressed length
//! followed by a raw LZ4 block) and Snappy (a raw Snappy block, whose varint preamble carries the
//! uncompressed length). v5 compresses segments, not frame bodies, and only with LZ4 (see
//! [`crate::segment`]).

use bytes::{BufMut, Bytes, BytesMut};

/// A compression negotiated in STARTUP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Lz4,
    Snappy,
}

/// The names SUPPORTED advertises under COMPRESSION (the order Cassandra lists them in).
pub const SUPPORTED: &[&str] = &["snappy", "lz4"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompressionError {
    #[error("compressed body is shorter than its 4-byte length prefix")]
    MissingLength,
    #[error("decompressed length {length} exceeds maximum allowed length {max}")]
    TooLarge { length: u64, max: usize },
    #[error("corrupt {algorithm} body: {message}")]
    Corrupt { algorithm: &'static str, message: String },
}

impl Compression {
    /// The algorithm a STARTUP `COMPRESSION` value names (case-insensitive), if implemented.
    pub fn from_name(name: &str) -> Option<Compression> {
        if name.eq_ignore_ascii_case("lz4") {
            Some(Compression::Lz4)
        } else if name.eq_ignore_ascii_case("snappy") {
            Some(Compression::Snappy)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::Lz4 => "lz4",
            Compression::Snappy => "snappy",
        }
    }

    /// Appends the compressed form of `body` to `out`.
    pub fn compress(self, body: &[u8], out: &mut BytesMut) {
        match self {
            Compression::Lz4 => {
                out.put_u32(body.len() as u32);
                let start = out.len();
                out.resize(start + lz4_flex::block::get_maximum_output_size(body.len()), 0);
                // The output was sized with the library's own bound, so this cannot fail.
                let written = lz4_flex::block::compress_into(body, &mut out[start..]).unwrap_or(0);
                out.truncate(start + written);
            }
            Compression::Snappy => {
                let start = out.len();
                out.resize(start + snap::raw::max_compress_len(body.len()), 0);
                // Sized with the library's own bound; a body over Snappy's 4 GiB limit cannot be
                // a frame (its length is an [int]).
                let written = snap::raw::Encoder::new().compress(body, &mut out[start..]).unwrap_or(0);
                out.truncate(start + written);
            }
        }
    }

    /// Decompresses a body, refusing to produce more than `max_len` bytes.
    pub fn decompress(self, body: &[u8], max_len: usize) -> Result<Bytes, CompressionError> {
        match self {
            Compression::Lz4 => {
                if body.len() < 4 {
                    return Err(CompressionError::MissingLength);
                }
                let length = u32::from_be_bytes([body[0], body[1], body[2], body[3]]) as usize;
                if length > max_len {
                    return Err(CompressionError::TooLarge { length: length as u64, max: max_len });
                }
                let mut out = vec![0u8; length];
                let n = lz4_flex::block::decompress_into(&body[4..], &mut out).map_err(|e| corrupt(self, e))?;
                if n != length {
                    return Err(corrupt(self, format!("expected {length} bytes, got {n}")));
                }
                Ok(Bytes::from(out))
            }
            Compression::Snappy => {
                let length = snap::raw::decompress_len(body).map_err(|e| corrupt(self, e))?;
                if length > max_len {
                    return Err(CompressionError::TooLarge { length: length as u64, max: max_len });
                }
                let mut out = vec![0u8; length];
                let n = snap::raw::Decoder::new().decompress(body, &mut out).map_err(|e| corrupt(self, e))?;
                out.truncate(n);
                Ok(Bytes::from(out))
            }
        }
    }
}

fn corrupt(c: Compression, message: impl ToString) -> CompressionError {
    CompressionError::Corrupt { algorithm: c.name(), message: message.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lz4_round_trips_a_body() {
        let body: Vec<u8> = (0..10_000u32).flat_map(|i| (i % 97).to_be_bytes()).collect();
        let mut out = BytesMut::new();
        Compression::Lz4.compress(&body, &mut out);
        assert!(out.len() < body.len());
        assert_eq!(Compression::Lz4.decompress(&out, 1 << 20).unwrap(), body);
    }

    #[test]
    fn lz4_body_starts_with_the_big_endian_uncompressed_length() {
        let mut out = BytesMut::new();
        Compression::Lz4.compress(&[7u8; 300], &mut out);
        assert_eq!(&out[..4], [0, 0, 1, 44]);
        assert_eq!(lz4_flex::block::decompress(&out[4..], 300).unwrap(), vec![7u8; 300]);
    }

    #[test]
    fn lz4_empty_body_round_trips() {
        let mut out = BytesMut::new();
        Compression::Lz4.compress(&[], &mut out);
        assert_eq!(Compression::Lz4.decompress(&out, 10).unwrap(), Bytes::new());
    }

    #[test]
    fn lz4_decompresses_what_a_reference_encoder_produced() {
        let block = lz4_flex::block::compress(b"hello hello hello hello");
        let mut body = 23u32.to_be_bytes().to_vec();
        body.extend_from_slice(&block);
        assert_eq!(&Compression::Lz4.decompress(&body, 100).unwrap()[..], b"hello hello hello hello");
    }

    #[test]
    fn lz4_rejects_a_declared_length_over_the_limit() {
        let body = [0x7F, 0xFF, 0xFF, 0xFF, 0];
        assert!(matches!(Compression::Lz4.decompress(&body, 1024), Err(CompressionError::TooLarge { .. })));
    }

    #[test]
    fn lz4_rejects_garbage_without_panicking() {
        assert_eq!(Compression::Lz4.decompress(&[0, 0], 10), Err(CompressionError::MissingLength));
        assert!(Compression::Lz4.decompress(&[0, 0, 0, 50, 0xFF, 0xFF, 0x01], 100).is_err());
        assert!(Compression::Lz4.decompress(&[0, 0, 0, 3, 0x10, b'a'], 100).is_err());
    }

    #[test]
    fn lz4_and_snappy_are_known_by_name() {
        assert_eq!(Compression::from_name("LZ4"), Some(Compression::Lz4));
        assert_eq!(Compression::from_name("snappy"), Some(Compression::Snappy));
        assert_eq!(Compression::from_name("Snappy"), Some(Compression::Snappy));
        assert_eq!(Compression::from_name("zstd"), None);
    }

    #[test]
    fn snappy_round_trips_bodies_of_every_size() {
        for len in [0usize, 1, 17, 300, 70_000, 1 << 20] {
            let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8 ^ (i / 1000) as u8).collect();
            let mut out = BytesMut::new();
            Compression::Snappy.compress(&body, &mut out);
            assert_eq!(Compression::Snappy.decompress(&out, 2 << 20).unwrap(), body, "length {len}");
        }
    }

    #[test]
    fn snappy_body_is_a_raw_block_without_a_length_prefix() {
        // A raw Snappy block starts with the uncompressed length as a little-endian varint:
        // 300 = 0xAC 0x02. Frame bodies carry no other prefix (unlike LZ4's 4 bytes).
        let mut out = BytesMut::new();
        Compression::Snappy.compress(&[7u8; 300], &mut out);
        assert_eq!(&out[..2], [0xAC, 0x02]);
        assert_eq!(snap::raw::Decoder::new().decompress_vec(&out).unwrap(), vec![7u8; 300]);
    }

    #[test]
    fn snappy_decompresses_what_a_reference_encoder_produced() {
        // The empty block is the single byte 0 (the Python driver special-cases it).
        assert_eq!(Compression::Snappy.decompress(&[0], 10).unwrap(), Bytes::new());
        // "hello hello hello hello": length 23, a 6-byte literal "hello ", then a copy of 17 bytes
        // at offset 6 (a 2-byte-offset copy: tag (17-1)<<2|2, offset 6 little-endian).
        let block = [23, 5 << 2, b'h', b'e', b'l', b'l', b'o', b' ', (16 << 2) | 2, 6, 0];
        assert_eq!(&Compression::Snappy.decompress(&block, 100).unwrap()[..], b"hello hello hello hello");
    }

    #[test]
    fn snappy_rejects_a_declared_length_over_the_limit_and_garbage() {
        let mut out = BytesMut::new();
        Compression::Snappy.compress(&[1u8; 5000], &mut out);
        assert!(matches!(Compression::Snappy.decompress(&out, 4999), Err(CompressionError::TooLarge { .. })));
        assert!(Compression::Snappy.decompress(&[], 10).is_err());
        assert!(Compression::Snappy.decompress(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], 10).is_err());
        assert!(Compression::Snappy.decompress(&[5, 0x3C, b'a'], 100).is_err());
        assert!(Compression::Snappy.decompress(&[10, 0x00, b'a', 0x0E, 0x09, 0], 100).is_err());
    }
}
