//! Segment files: naming, the header, entry framing, and reading a segment back for replay.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use tracing::warn;

use crate::{CommitLogError, Position, ReplayStats, SegmentDamage};

/// First bytes of every segment.
pub(crate) const MAGIC: [u8; 8] = *b"SIBYLCL\n";
/// Version of the segment format (header and framing).
pub(crate) const SEGMENT_VERSION: u8 = 1;
/// `magic(8) | version(1) | reserved(3) | segment id(8) | crc32 of the previous 20 bytes(4)`.
pub(crate) const HEADER_LEN: u64 = 24;
/// `len(4) | crc32(len)(4)` before the payload, `crc32(payload)(4)` after it.
pub(crate) const FRAME_OVERHEAD: usize = 12;
/// The largest record a frame can carry.
pub(crate) const MAX_RECORD_LEN: usize = (u32::MAX as usize) - FRAME_OVERHEAD;

pub(crate) fn segment_file_name(id: u64) -> String {
    format!("CommitLog-{id}.log")
}

/// The segment id of a file named `CommitLog-<id>.log`.
pub(crate) fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("CommitLog-")?.strip_suffix(".log")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CommitLogError + '_ {
    move |source| CommitLogError::Io { path: path.to_owned(), source }
}

/// The segments in `dir`, sorted by id.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, CommitLogError> {
    let mut segments = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let name = entry.file_name();
        if let Some(id) = name.to_str().and_then(parse_segment_file_name) {
            segments.push((id, entry.path()));
        }
    }
    segments.sort_unstable();
    Ok(segments)
}

pub(crate) fn encode_header(id: u64) -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[..8].copy_from_slice(&MAGIC);
    h[8] = SEGMENT_VERSION;
    h[12..20].copy_from_slice(&id.to_le_bytes());
    let crc = crc32fast::hash(&h[..20]);
    h[20..24].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Appends the frame of `record` to `out`.
pub(crate) fn encode_frame(record: &[u8], out: &mut Vec<u8>) {
    let len = (record.len() as u32).to_le_bytes();
    out.reserve(record.len() + FRAME_OVERHEAD);
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc32fast::hash(&len).to_le_bytes());
    out.extend_from_slice(record);
    out.extend_from_slice(&crc32fast::hash(record).to_le_bytes());
}

/// An open segment being appended to.
pub(crate) struct ActiveSegment {
    pub id: u64,
    pub path: PathBuf,
    pub file: std::sync::Arc<File>,
    /// Where the next frame goes.
    pub offset: u64,
    /// The file, preallocated to the segment size and mapped shared: frames are copied into it (see
    /// the crate doc). `None` when the file system cannot preallocate: frames are then written.
    map: Option<memmap2::MmapRaw>,
}

impl ActiveSegment {
    /// Creates `dir/CommitLog-<id>.log` (it must not exist), writes its header, and preallocates and
    /// maps `capacity` bytes when the file system allows (blocks reserved with `posix_fallocate`, so
    /// that copying into the map never meets a full disk).
    pub fn create(dir: &Path, id: u64, capacity: Option<u64>) -> Result<ActiveSegment, CommitLogError> {
        let path = dir.join(segment_file_name(id));
        let file = OpenOptions::new().read(true).write(true).create_new(true).open(&path).map_err(io_err(&path))?;
        file.write_all_at(&encode_header(id), 0).map_err(io_err(&path))?;
        let map = match capacity {
            Some(capacity) => map_preallocated(&file, &path, capacity)?,
            None => None,
        };
        Ok(ActiveSegment { id, path, file: std::sync::Arc::new(file), offset: HEADER_LEN, map })
    }

    pub fn position(&self) -> Position {
        Position { segment: self.id, offset: self.offset }
    }

    /// Whether a frame of `frame_len` bytes can be copied into the map at the current offset.
    pub fn fits_map(&self, frame_len: u64) -> bool {
        self.map.as_ref().is_some_and(|m| self.offset + frame_len <= m.len() as u64)
    }

    /// Copies the frame of `record` into the map at the current offset and moves past it; the caller
    /// checked [`ActiveSegment::fits_map`]. The bytes are then in the OS page cache.
    pub fn copy_frame(&mut self, record: &[u8]) {
        let Some(map) = &self.map else { return };
        let len = (record.len() as u32).to_le_bytes();
        let len_crc = crc32fast::hash(&len).to_le_bytes();
        let crc = crc32fast::hash(record).to_le_bytes();
        let at = self.offset as usize;
        let end = at + record.len() + FRAME_OVERHEAD;
        assert!(end <= map.len(), "frame past the end of the mapped segment");
        // SAFETY: `at..end` lies inside the mapping (checked above), which lives as long as `self`;
        // only the holder of the writer mutex (`&mut self`) writes to it, each byte once, and nothing
        // reads it through the map.
        unsafe {
            let base = map.as_mut_ptr().add(at);
            std::ptr::copy_nonoverlapping(len.as_ptr(), base, 4);
            std::ptr::copy_nonoverlapping(len_crc.as_ptr(), base.add(4), 4);
            std::ptr::copy_nonoverlapping(record.as_ptr(), base.add(8), record.len());
            std::ptr::copy_nonoverlapping(crc.as_ptr(), base.add(8 + record.len()), 4);
        }
        self.offset = end as u64;
    }

    /// Unmaps the file and cuts the preallocated space after the last frame (when the segment is
    /// closed: rolled or the log closed).
    pub fn seal(&mut self) -> Result<(), CommitLogError> {
        if self.map.take().is_some() {
            self.file.set_len(self.offset).map_err(io_err(&self.path))?;
        }
        Ok(())
    }
}

/// Preallocates `capacity` bytes of `file` and maps them, or `None` when the file system does not
/// support preallocation (frames are then written with `pwrite`).
fn map_preallocated(file: &File, path: &Path, capacity: u64) -> Result<Option<memmap2::MmapRaw>, CommitLogError> {
    use std::os::fd::AsRawFd;
    let Ok(len) = libc::off_t::try_from(capacity) else { return Ok(None) };
    if capacity <= HEADER_LEN {
        return Ok(None);
    }
    // SAFETY: a plain system call on a file descriptor we own.
    match unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) } {
        0 => {}
        libc::EOPNOTSUPP | libc::EINVAL | libc::ENOSYS => return Ok(None),
        errno => return Err(io_err(path)(io::Error::from_raw_os_error(errno))),
    }
    let map = memmap2::MmapOptions::new().len(capacity as usize).map_raw(file).map_err(io_err(path))?;
    Ok(Some(map))
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

fn damaged(stats: &mut ReplayStats, path: &Path, offset: usize, corrupt: bool, skipped: usize, reason: &'static str) {
    if corrupt {
        stats.corrupt_segments += 1;
    } else {
        stats.torn_segments += 1;
    }
    stats.skipped_bytes += skipped as u64;
    stats.damage.push(SegmentDamage { path: path.to_owned(), offset: offset as u64, corrupt, reason });
}

/// Replays the entries of one segment, oldest first. Stops at the first entry that is incomplete
/// (a torn tail) or fails a checksum (corruption), with a warning; every entry before it is replayed.
pub(crate) fn replay_segment(
    id: u64,
    path: &Path,
    replay: &mut dyn FnMut(Position, &[u8]),
    stats: &mut ReplayStats,
) -> Result<(), CommitLogError> {
    let data = fs::read(path).map_err(io_err(path))?;
    stats.segments += 1;
    if data.len() < HEADER_LEN as usize {
        warn!(path = %path.display(), len = data.len(), "commitlog segment has a torn header; skipping it");
        damaged(stats, path, 0, false, data.len(), "torn segment header");
        return Ok(());
    }
    let header_ok = data[..8] == MAGIC && crc32fast::hash(&data[..20]) == u32_at(&data, 20);
    if !header_ok {
        warn!(path = %path.display(), offset = 0, "commitlog segment header is corrupt; skipping the segment");
        damaged(stats, path, 0, true, data.len(), "segment header fails its checksum");
        return Ok(());
    }
    if data[8] != SEGMENT_VERSION {
        return Err(CommitLogError::UnsupportedVersion { path: path.to_owned(), version: data[8] });
    }
    let header_id = u64::from_le_bytes(data[12..20].try_into().unwrap_or_default());
    if header_id != id {
        warn!(path = %path.display(), header_id, "commitlog segment header names another segment; skipping it");
        damaged(stats, path, 0, true, data.len(), "segment header names another segment");
        return Ok(());
    }

    let mut offset = HEADER_LEN as usize;
    while offset < data.len() {
        // The preallocated, never written rest of a segment the process did not close: a clean end.
        // (Zeros followed by anything else fail the length checksum below.)
        if data[offset..].iter().all(|&b| b == 0) {
            break;
        }
        let left = data.len() - offset;
        if left < 8 {
            warn!(path = %path.display(), offset, "commitlog segment ends with a torn entry header; replay of it stops here");
            damaged(stats, path, offset, false, left, "torn entry header");
            return Ok(());
        }
        let len = u32_at(&data, offset);
        if crc32fast::hash(&data[offset..offset + 4]) != u32_at(&data, offset + 4) {
            warn!(path = %path.display(), offset, skipped_bytes = left,
                "commitlog entry length fails its checksum; replay of this segment stops here");
            damaged(stats, path, offset, true, left, "entry length fails its checksum");
            return Ok(());
        }
        let frame_len = len as usize + FRAME_OVERHEAD;
        if frame_len > left {
            warn!(path = %path.display(), offset, "commitlog segment ends with a torn entry; replay of it stops here");
            damaged(stats, path, offset, false, left, "torn entry");
            return Ok(());
        }
        let payload = &data[offset + 8..offset + 8 + len as usize];
        if crc32fast::hash(payload) != u32_at(&data, offset + 8 + len as usize) {
            let last = frame_len == left;
            warn!(path = %path.display(), offset, last_entry = last, skipped_bytes = left,
                "commitlog entry fails its checksum; replay of this segment stops here");
            damaged(stats, path, offset, true, left, "entry fails its checksum");
            return Ok(());
        }
        offset += frame_len;
        stats.records += 1;
        stats.bytes += len as u64;
        replay(Position { segment: id, offset: offset as u64 }, payload);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_file_names_round_trip() {
        assert_eq!(parse_segment_file_name(&segment_file_name(42)), Some(42));
    }

    #[test]
    fn other_file_names_are_not_segments() {
        for name in ["CommitLog-.log", "CommitLog-1.log.tmp", "CommitLog-x.log", "commitlog-1.log", "CommitLog--1.log"]
        {
            assert_eq!(parse_segment_file_name(name), None, "{name}");
        }
    }

    #[test]
    fn a_frame_is_the_record_plus_twelve_bytes() {
        let mut out = Vec::new();
        encode_frame(b"abc", &mut out);
        assert_eq!(out.len(), 3 + FRAME_OVERHEAD);
        assert_eq!(&out[8..11], b"abc");
    }
}
