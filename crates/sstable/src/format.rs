//! Byte layout of the file: header, chunks, footer, and file names. See the crate doc for the picture.

use crate::Compression;

pub(crate) const MAGIC: [u8; 8] = *b"SIBYLSST";
/// Version of the SSTable layout (header, chunks, index, bloom filter, statistics, footer).
pub(crate) const FORMAT_VERSION: u8 = 1;

/// `magic(8) | format version u8 | codec version u8 | compression u8 | reserved u8 | block size u32 | generation u64`.
pub(crate) const HEADER_LEN: usize = 24;
/// `codec u8 | uncompressed length u32 | stored length u32`, then the stored bytes, then `crc32 u32`.
pub(crate) const CHUNK_HEADER_LEN: usize = 9;
pub(crate) const CHUNK_TRAILER_LEN: usize = 4;
pub(crate) const FOOTER_LEN: usize = 80;

pub(crate) const CODEC_NONE: u8 = 0;
pub(crate) const CODEC_LZ4: u8 = 1;

pub(crate) const DATA_SUFFIX: &str = "-Data.db";
pub(crate) const TMP_SUFFIX: &str = "-Data.db.tmp";

pub(crate) fn data_file_name(generation: u64) -> String {
    format!("{generation}{DATA_SUFFIX}")
}

pub(crate) fn tmp_file_name(generation: u64) -> String {
    format!("{generation}{TMP_SUFFIX}")
}

fn parse_generation(name: &str, suffix: &str) -> Option<u64> {
    let digits = name.strip_suffix(suffix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The generation of a final file name `<generation>-Data.db`.
pub(crate) fn parse_data_file_name(name: &str) -> Option<u64> {
    parse_generation(name, DATA_SUFFIX)
}

/// The generation of a temporary file name `<generation>-Data.db.tmp`.
pub(crate) fn parse_tmp_file_name(name: &str) -> Option<u64> {
    parse_generation(name, TMP_SUFFIX)
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub format_version: u8,
    pub codec_version: u8,
    pub compression: Compression,
    pub block_size: u32,
    pub generation: u64,
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(&MAGIC);
        h[8] = self.format_version;
        h[9] = self.codec_version;
        h[10] = match self.compression {
            Compression::None => CODEC_NONE,
            Compression::Lz4 => CODEC_LZ4,
        };
        h[12..16].copy_from_slice(&self.block_size.to_le_bytes());
        h[16..24].copy_from_slice(&self.generation.to_le_bytes());
        h
    }

    /// `Err((offset, reason))` when the bytes are not a header this version can read.
    pub fn decode(b: &[u8]) -> Result<Header, (u64, String)> {
        if b.len() < HEADER_LEN || b[..8] != MAGIC {
            return Err((0, "bad magic in the header".into()));
        }
        if b[8] != FORMAT_VERSION {
            return Err((8, format!("unsupported SSTable format version {}", b[8])));
        }
        if b[9] != storage_model::codec::FORMAT_VERSION {
            return Err((9, format!("unsupported partition encoding version {}", b[9])));
        }
        let compression = match b[10] {
            CODEC_NONE => Compression::None,
            CODEC_LZ4 => Compression::Lz4,
            other => return Err((10, format!("unknown compression {other}"))),
        };
        let block_size = u32_at(b, 12);
        if block_size == 0 {
            return Err((12, "zero block size".into()));
        }
        Ok(Header { format_version: b[8], codec_version: b[9], compression, block_size, generation: u64_at(b, 16) })
    }
}

/// The fixed-size trailer: where each section starts. Sections are contiguous and in this order,
/// the statistics ending where the footer starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Footer {
    /// Length of the uncompressed partition stream the chunks hold.
    pub data_len: u64,
    pub chunks_offset: u64,
    pub index_offset: u64,
    pub entries_offset: u64,
    pub bloom_offset: u64,
    pub stats_offset: u64,
    pub partition_count: u64,
    /// Width in bytes (4 or 8) of the index's entry offsets.
    pub offset_width: u8,
    /// crc32 of the header and of every byte from `chunks_offset` to the footer.
    pub meta_crc: u32,
}

impl Footer {
    pub fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut f = [0u8; FOOTER_LEN];
        let fields = [
            self.data_len,
            self.chunks_offset,
            self.index_offset,
            self.entries_offset,
            self.bloom_offset,
            self.stats_offset,
            self.partition_count,
        ];
        for (i, v) in fields.iter().enumerate() {
            f[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        f[56] = self.offset_width;
        f[57] = FORMAT_VERSION;
        f[60..64].copy_from_slice(&self.meta_crc.to_le_bytes());
        let crc = crc32fast::hash(&f[..64]);
        f[64..68].copy_from_slice(&crc.to_le_bytes());
        f[72..80].copy_from_slice(&MAGIC);
        f
    }

    /// `Err((offset within the footer, reason))` when the bytes are not a valid footer.
    pub fn decode(f: &[u8]) -> Result<Footer, (u64, String)> {
        if f.len() != FOOTER_LEN || f[72..80] != MAGIC {
            return Err((72, "bad magic at the end of the file (truncated or not an SSTable)".into()));
        }
        if crc32fast::hash(&f[..64]) != u32_at(f, 64) {
            return Err((64, "footer checksum mismatch".into()));
        }
        if f[57] != FORMAT_VERSION {
            return Err((57, format!("unsupported SSTable format version {}", f[57])));
        }
        if f[56] != 4 && f[56] != 8 {
            return Err((56, format!("bad index offset width {}", f[56])));
        }
        Ok(Footer {
            data_len: u64_at(f, 0),
            chunks_offset: u64_at(f, 8),
            index_offset: u64_at(f, 16),
            entries_offset: u64_at(f, 24),
            bloom_offset: u64_at(f, 32),
            stats_offset: u64_at(f, 40),
            partition_count: u64_at(f, 48),
            offset_width: f[56],
            meta_crc: u32_at(f, 60),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        assert_eq!(parse_data_file_name(&data_file_name(17)), Some(17));
        assert_eq!(parse_tmp_file_name(&tmp_file_name(17)), Some(17));
        assert_eq!(parse_data_file_name(&tmp_file_name(17)), None);
        assert_eq!(parse_tmp_file_name(&data_file_name(17)), None);
        assert_eq!(parse_data_file_name("-Data.db"), None);
        assert_eq!(parse_data_file_name("x1-Data.db"), None);
    }

    #[test]
    fn footers_round_trip() {
        let footer = Footer {
            data_len: 1,
            chunks_offset: 2,
            index_offset: 3,
            entries_offset: 4,
            bloom_offset: 5,
            stats_offset: 6,
            partition_count: 7,
            offset_width: 8,
            meta_crc: 9,
        };
        assert_eq!(Footer::decode(&footer.encode()), Ok(footer));
    }

    #[test]
    fn a_footer_with_a_flipped_bit_is_rejected() {
        let mut bytes = Footer { offset_width: 4, ..Default::default() }.encode();
        bytes[3] ^= 1;
        assert!(Footer::decode(&bytes).is_err());
    }
}
