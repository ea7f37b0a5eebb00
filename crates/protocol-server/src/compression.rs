//! Frame body compression (spec §5). Only LZ4 is implemented: the v4 body is a 4-byte big-endian
//! uncompressed length followed by a raw LZ4 block. Snappy is not offered.

use bytes::{BufMut, Bytes, BytesMut};

/// A compression negotiated in STARTUP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Lz4,
}

/// The names SUPPORTED advertises under COMPRESSION.
pub const SUPPORTED: &[&str] = &["lz4"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompressionError {
    #[error("compressed body is shorter than its 4-byte length prefix")]
    MissingLength,
    #[error("decompressed length {length} exceeds maximum allowed length {max}")]
    TooLarge { length: u64, max: usize },
    #[error("corrupt LZ4 body: {0}")]
    Corrupt(String),
}

impl Compression {
    /// The algorithm a STARTUP `COMPRESSION` value names (case-insensitive), if implemented.
    pub fn from_name(name: &str) -> Option<Compression> {
        name.eq_ignore_ascii_case("lz4").then_some(Compression::Lz4)
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::Lz4 => "lz4",
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
                let n = lz4_flex::block::decompress_into(&body[4..], &mut out)
                    .map_err(|e| CompressionError::Corrupt(e.to_string()))?;
                if n != length {
                    return Err(CompressionError::Corrupt(format!("expected {length} bytes, got {n}")));
                }
                Ok(Bytes::from(out))
            }
        }
    }
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
    fn only_lz4_is_known_by_name() {
        assert_eq!(Compression::from_name("LZ4"), Some(Compression::Lz4));
        assert_eq!(Compression::from_name("snappy"), None);
    }
}
