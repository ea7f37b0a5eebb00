//! Byte layout of the file: header, chunks, footer, and file names. See the crate doc for the picture.

use crate::Compression;

pub(crate) const MAGIC: [u8; 8] = *b"SIBYLSST";
/// Version of the SSTable layout written (header, chunks, index, row index, bloom filter, statistics,
/// footer). Version 1 files (no row index, fewer statistics, an 80-byte footer) are still read.
pub(crate) const FORMAT_VERSION: u8 = 2;
pub(crate) const FORMAT_VERSION_1: u8 = 1;

/// `magic(8) | format version u8 | codec version u8 | compression u8 | reserved u8 | block size u32 | generation u64`.
pub(crate) const HEADER_LEN: usize = 24;
/// The largest block size written or read (1 GiB).
pub(crate) const MAX_BLOCK_SIZE: u32 = 1 << 30;
/// `codec u8 | uncompressed length u32 | stored length u32`, then the stored bytes, then `crc32 u32`.
pub(crate) const CHUNK_HEADER_LEN: usize = 9;
pub(crate) const CHUNK_TRAILER_LEN: usize = 4;
/// Footer length of the current version.
pub(crate) const FOOTER_LEN: usize = 96;
pub(crate) const FOOTER_LEN_V1: usize = 80;
/// The last bytes of every footer, whatever its version: `offset_width u8 | format version u8 |
/// reserved u16 | meta crc u32 | footer crc u32 | reserved u32 | magic (8)`.
pub(crate) const FOOTER_TAIL_LEN: usize = 24;

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
        h[10] = self.compression.codec();
        h[12..16].copy_from_slice(&self.block_size.to_le_bytes());
        h[16..24].copy_from_slice(&self.generation.to_le_bytes());
        h
    }

    /// `Err((offset, reason))` when the bytes are not a header this version can read.
    pub fn decode(b: &[u8]) -> Result<Header, (u64, String)> {
        if b.len() < HEADER_LEN || b[..8] != MAGIC {
            return Err((0, "bad magic in the header".into()));
        }
        if b[8] != FORMAT_VERSION && b[8] != FORMAT_VERSION_1 {
            return Err((8, format!("unsupported SSTable format version {}", b[8])));
        }
        if b[9] != storage_model::codec::FORMAT_VERSION {
            return Err((9, format!("unsupported partition encoding version {}", b[9])));
        }
        let compression = match Compression::from_codec(b[10]) {
            Some(c) if b[8] >= FORMAT_VERSION || b[10] <= 1 => c,
            _ => return Err((10, format!("unknown compression {}", b[10]))),
        };
        let block_size = u32_at(b, 12);
        if block_size == 0 || block_size > MAX_BLOCK_SIZE {
            return Err((12, format!("bad block size {block_size}")));
        }
        Ok(Header { format_version: b[8], codec_version: b[9], compression, block_size, generation: u64_at(b, 16) })
    }
}

/// The fixed-size trailer: where each section starts. Sections are contiguous and in this order,
/// the statistics ending where the footer starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Footer {
    pub format_version: u8,
    /// Length of the uncompressed partition stream the chunks hold.
    pub data_len: u64,
    pub chunks_offset: u64,
    pub index_offset: u64,
    pub entries_offset: u64,
    /// Start of the row index section (version 2; equal to `bloom_offset` in version 1 files).
    pub row_index_offset: u64,
    pub bloom_offset: u64,
    pub stats_offset: u64,
    pub partition_count: u64,
    /// Partitions with a row index (0 in version 1 files).
    pub row_index_count: u64,
    /// Width in bytes (4 or 8) of the index's entry offsets.
    pub offset_width: u8,
    /// crc32 of the header and of every byte from `chunks_offset` to the footer.
    pub meta_crc: u32,
}

impl Footer {
    /// The footer of the current version (`format_version` is ignored).
    pub fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut f = [0u8; FOOTER_LEN];
        let fields = [
            self.data_len,
            self.chunks_offset,
            self.index_offset,
            self.entries_offset,
            self.row_index_offset,
            self.bloom_offset,
            self.stats_offset,
            self.partition_count,
            self.row_index_count,
        ];
        for (i, v) in fields.iter().enumerate() {
            f[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        let tail = FOOTER_LEN - FOOTER_TAIL_LEN;
        f[tail] = self.offset_width;
        f[tail + 1] = FORMAT_VERSION;
        f[tail + 4..tail + 8].copy_from_slice(&self.meta_crc.to_le_bytes());
        let crc = crc32fast::hash(&f[..tail + 8]);
        f[tail + 8..tail + 12].copy_from_slice(&crc.to_le_bytes());
        f[FOOTER_LEN - 8..].copy_from_slice(&MAGIC);
        f
    }

    /// Reads the footer at the end of `file`: `Ok((footer, footer length))`, or `Err((file offset,
    /// reason))` when the end of the file is not a valid footer.
    pub fn decode(file: &[u8]) -> Result<(Footer, usize), (u64, String)> {
        let len = file.len();
        if len < FOOTER_TAIL_LEN || file[len - 8..] != MAGIC {
            return Err((
                len.saturating_sub(8) as u64,
                "bad magic at the end of the file (truncated or not an SSTable)".into(),
            ));
        }
        let version = file[len - FOOTER_TAIL_LEN + 1];
        let footer_len = match version {
            FORMAT_VERSION => FOOTER_LEN,
            FORMAT_VERSION_1 => FOOTER_LEN_V1,
            other => {
                return Err(((len - FOOTER_TAIL_LEN + 1) as u64, format!("unsupported SSTable format version {other}")))
            }
        };
        if len < HEADER_LEN + footer_len {
            return Err((0, format!("file of {len} bytes is too short to be an SSTable")));
        }
        let start = len - footer_len;
        let f = &file[start..];
        let tail = footer_len - FOOTER_TAIL_LEN;
        if crc32fast::hash(&f[..tail + 8]) != u32_at(f, tail + 8) {
            return Err(((start + tail + 8) as u64, "footer checksum mismatch".into()));
        }
        if u32_at(f, tail + 12) != 0 {
            return Err(((start + tail + 12) as u64, "reserved footer bytes are not zero".into()));
        }
        let width = f[tail];
        if width != 4 && width != 8 {
            return Err(((start + tail) as u64, format!("bad index offset width {width}")));
        }
        let field = |i: usize| u64_at(f, i * 8);
        let footer = if version == FORMAT_VERSION_1 {
            Footer {
                format_version: version,
                data_len: field(0),
                chunks_offset: field(1),
                index_offset: field(2),
                entries_offset: field(3),
                row_index_offset: field(4),
                bloom_offset: field(4),
                stats_offset: field(5),
                partition_count: field(6),
                row_index_count: 0,
                offset_width: width,
                meta_crc: u32_at(f, tail + 4),
            }
        } else {
            Footer {
                format_version: version,
                data_len: field(0),
                chunks_offset: field(1),
                index_offset: field(2),
                entries_offset: field(3),
                row_index_offset: field(4),
                bloom_offset: field(5),
                stats_offset: field(6),
                partition_count: field(7),
                row_index_count: field(8),
                offset_width: width,
                meta_crc: u32_at(f, tail + 4),
            }
        };
        Ok((footer, footer_len))
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
            format_version: FORMAT_VERSION,
            data_len: 1,
            chunks_offset: 2,
            index_offset: 3,
            entries_offset: 4,
            row_index_offset: 5,
            bloom_offset: 6,
            stats_offset: 7,
            partition_count: 8,
            row_index_count: 9,
            offset_width: 8,
            meta_crc: 10,
        };
        let mut file = vec![0u8; HEADER_LEN];
        file.extend_from_slice(&footer.encode());
        assert_eq!(Footer::decode(&file), Ok((footer, FOOTER_LEN)));
    }

    #[test]
    fn a_footer_with_a_flipped_bit_is_rejected() {
        let mut file = vec![0u8; HEADER_LEN];
        file.extend_from_slice(&Footer { offset_width: 4, ..Default::default() }.encode());
        for i in HEADER_LEN..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 1;
            assert!(Footer::decode(&bad).is_err(), "byte {i}");
        }
    }
}
