//! Chunk compression: the codecs a chunk may be stored with, and compressing and decompressing one.
//!
//! Every chunk records its own codec byte, so a reader needs no option to read a file, and a chunk
//! that does not shrink is stored uncompressed whatever the table's choice.

use std::cell::RefCell;

use crate::Compression;

/// Codec bytes of the chunk format (also used for the header's compression byte).
pub(crate) const CODEC_NONE: u8 = 0;
pub(crate) const CODEC_LZ4: u8 = 1;
pub(crate) const CODEC_SNAPPY: u8 = 2;
pub(crate) const CODEC_ZSTD: u8 = 3;

/// The zstd level used for [`Compression::Zstd`] (Cassandra's default).
pub const ZSTD_LEVEL: i32 = 3;

impl Compression {
    /// The codec byte recorded in the file.
    pub(crate) fn codec(self) -> u8 {
        match self {
            Compression::None => CODEC_NONE,
            Compression::Lz4 => CODEC_LZ4,
            Compression::Snappy => CODEC_SNAPPY,
            Compression::Zstd => CODEC_ZSTD,
        }
    }

    pub(crate) fn from_codec(codec: u8) -> Option<Compression> {
        Some(match codec {
            CODEC_NONE => Compression::None,
            CODEC_LZ4 => Compression::Lz4,
            CODEC_SNAPPY => Compression::Snappy,
            CODEC_ZSTD => Compression::Zstd,
            _ => return None,
        })
    }

    /// Parses a compression name, case-insensitively: `none`, `lz4`, `snappy`, `zstd`, or Cassandra's
    /// class names (`LZ4Compressor`, `SnappyCompressor`, `ZstdCompressor`, optionally with their
    /// `org.apache.cassandra.io.compress.` package). An empty name means no compression (CQL's
    /// `compression = {'class': ''}`).
    pub fn from_name(name: &str) -> Option<Compression> {
        let name = name.trim();
        let short = name.rsplit('.').next().unwrap_or(name);
        let short = short.strip_suffix("Compressor").unwrap_or(short);
        match short.to_ascii_lowercase().as_str() {
            "" | "none" => Some(Compression::None),
            "lz4" => Some(Compression::Lz4),
            "snappy" => Some(Compression::Snappy),
            "zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// The short name (`none`, `lz4`, `snappy`, `zstd`).
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Lz4 => "lz4",
            Compression::Snappy => "snappy",
            Compression::Zstd => "zstd",
        }
    }
}

/// Compresses chunks for a writer, reusing its buffers and codec contexts.
pub(crate) struct Compressor {
    compression: Compression,
    out: Vec<u8>,
    snappy: Option<snap::raw::Encoder>,
    zstd: Option<zstd::bulk::Compressor<'static>>,
}

impl Compressor {
    pub fn new(compression: Compression) -> Compressor {
        Compressor { compression, out: Vec::new(), snappy: None, zstd: None }
    }

    /// Compresses `chunk`: `Some((codec, bytes))` when it shrank, `None` to store it as it is (or when
    /// the codec failed, which is logged).
    pub fn compress(&mut self, chunk: &[u8]) -> Option<(u8, &[u8])> {
        let result = match self.compression {
            Compression::None => return None,
            Compression::Lz4 => {
                self.out.resize(lz4_flex::block::get_maximum_output_size(chunk.len()), 0);
                lz4_flex::block::compress_into(chunk, &mut self.out).map_err(|e| e.to_string())
            }
            Compression::Snappy => {
                self.out.resize(snap::raw::max_compress_len(chunk.len()), 0);
                let encoder = self.snappy.get_or_insert_with(snap::raw::Encoder::new);
                encoder.compress(chunk, &mut self.out).map_err(|e| e.to_string())
            }
            Compression::Zstd => {
                if self.zstd.is_none() {
                    match zstd::bulk::Compressor::new(ZSTD_LEVEL) {
                        Ok(c) => self.zstd = Some(c),
                        Err(e) => {
                            tracing::warn!(error = %e, "zstd compressor unavailable; storing the chunk uncompressed");
                            return None;
                        }
                    }
                }
                self.out.resize(zstd::zstd_safe::compress_bound(chunk.len()), 0);
                match self.zstd.as_mut() {
                    Some(z) => z.compress_to_buffer(chunk, &mut self.out[..]).map_err(|e| e.to_string()),
                    None => return None,
                }
            }
        };
        match result {
            Ok(n) if n < chunk.len() => Some((self.compression.codec(), &self.out[..n])),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(codec = self.compression.name(), error = %e, "compression failed; storing the chunk uncompressed");
                None
            }
        }
    }
}

thread_local! {
    static ZSTD_DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

/// Decompresses `stored` (of codec `codec`) into `out`, which must come out exactly `out.len()` bytes
/// long. `Err(reason)` for an unknown codec or bytes that do not decompress to that length.
pub(crate) fn decompress(codec: u8, stored: &[u8], out: &mut [u8]) -> Result<(), String> {
    let expected = out.len();
    let n = match codec {
        CODEC_NONE => {
            if stored.len() != expected {
                return Err(format!("uncompressed chunk of {} bytes, expected {expected}", stored.len()));
            }
            out.copy_from_slice(stored);
            expected
        }
        CODEC_LZ4 => lz4_flex::block::decompress_into(stored, out).map_err(|e| format!("lz4: {e}"))?,
        CODEC_SNAPPY => {
            let len = snap::raw::decompress_len(stored).map_err(|e| format!("snappy: {e}"))?;
            if len != expected {
                return Err(format!("snappy chunk decompresses to {len} bytes, expected {expected}"));
            }
            snap::raw::Decoder::new().decompress(stored, out).map_err(|e| format!("snappy: {e}"))?
        }
        CODEC_ZSTD => ZSTD_DECOMPRESSOR.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                *slot = Some(zstd::bulk::Decompressor::new().map_err(|e| format!("zstd: {e}"))?);
            }
            match slot.as_mut() {
                Some(d) => d.decompress_to_buffer(stored, out).map_err(|e| format!("zstd: {e}")),
                None => Err("zstd: no decompressor".to_string()),
            }
        })?,
        other => return Err(format!("unknown chunk codec {other}")),
    };
    if n != expected {
        return Err(format!("chunk decompresses to {n} bytes, expected {expected}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        (0..5000u32).flat_map(|i| format!("row {} value {}\n", i % 97, i % 13).into_bytes()).collect()
    }

    #[test]
    fn every_codec_round_trips_and_shrinks_repetitive_data() {
        let data = sample();
        for compression in [Compression::Lz4, Compression::Snappy, Compression::Zstd] {
            let mut c = Compressor::new(compression);
            let (codec, stored) = c.compress(&data).unwrap();
            assert_eq!(codec, compression.codec());
            assert!(stored.len() < data.len() / 2, "{compression:?}");
            let stored = stored.to_vec();
            let mut out = vec![0; data.len()];
            decompress(codec, &stored, &mut out).unwrap();
            assert_eq!(out, data, "{compression:?}");
            let mut short = vec![0; data.len() - 1];
            assert!(decompress(codec, &stored, &mut short).is_err(), "{compression:?}");
        }
        assert!(Compressor::new(Compression::None).compress(&data).is_none());
    }

    #[test]
    fn incompressible_chunks_are_stored_as_they_are() {
        let mut x = 1u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (x >> 56) as u8
            })
            .collect();
        for compression in [Compression::Lz4, Compression::Snappy, Compression::Zstd] {
            assert!(Compressor::new(compression).compress(&noise).is_none(), "{compression:?}");
        }
    }

    #[test]
    fn garbage_does_not_decompress_and_does_not_panic() {
        let mut x = 7u64;
        for len in [0usize, 1, 5, 17, 300] {
            let garbage: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (x >> 56) as u8
                })
                .collect();
            for codec in 0..5 {
                let mut out = vec![0; 1000];
                let _ = decompress(codec, &garbage, &mut out);
            }
        }
    }

    #[test]
    fn names_parse() {
        for (name, c) in [
            ("lz4", Compression::Lz4),
            ("LZ4Compressor", Compression::Lz4),
            ("org.apache.cassandra.io.compress.SnappyCompressor", Compression::Snappy),
            ("ZstdCompressor", Compression::Zstd),
            ("none", Compression::None),
            ("", Compression::None),
        ] {
            assert_eq!(Compression::from_name(name), Some(c), "{name}");
            assert_eq!(Compression::from_name(c.name()), Some(c));
        }
        assert_eq!(Compression::from_name("DeflateCompressor"), None);
    }
}
