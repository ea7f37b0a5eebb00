//! Cassandra's variable-length integers (`VIntCoding`): an unsigned vint is big-endian, and the number of
//! leading 1 bits of its first byte is the number of bytes that follow (up to 8). A signed vint is the
//! zig-zag encoding of the value written as an unsigned vint. Durations and vector element lengths use them.

/// Appends `value` as an unsigned vint.
pub(crate) fn write_unsigned(value: u64, out: &mut Vec<u8>) {
    let magnitude = (value | 1).leading_zeros();
    let size = ((639 - magnitude * 9) >> 6) as usize;
    if size == 1 {
        out.push(value as u8);
        return;
    }
    let extra = size - 1;
    let be = value.to_be_bytes();
    let start = out.len();
    if size == 9 {
        out.push(0xFF);
        out.extend_from_slice(&be);
    } else {
        out.extend_from_slice(be.get(8 - size..).unwrap_or_default());
        if let Some(first) = out.get_mut(start) {
            *first |= !(0xFFu8 >> extra);
        }
    }
}

/// Appends `value` as a signed (zig-zag) vint.
pub(crate) fn write_signed(value: i64, out: &mut Vec<u8>) {
    write_unsigned(((value << 1) ^ (value >> 63)) as u64, out);
}

/// Reads an unsigned vint at `*pos`, advancing it; `None` if the bytes end first.
pub(crate) fn read_unsigned(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let first = *bytes.get(*pos)?;
    *pos += 1;
    if first < 0x80 {
        return Some(u64::from(first));
    }
    let extra = (!first).leading_zeros() as usize;
    let mut value = u64::from(first & (0xFFu16 >> extra) as u8);
    for _ in 0..extra {
        value = (value << 8) | u64::from(*bytes.get(*pos)?);
        *pos += 1;
    }
    Some(value)
}

/// Reads a signed (zig-zag) vint at `*pos`, advancing it.
pub(crate) fn read_signed(bytes: &[u8], pos: &mut usize) -> Option<i64> {
    let n = read_unsigned(bytes, pos)?;
    Some(((n >> 1) as i64) ^ -((n & 1) as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsigned(v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_unsigned(v, &mut out);
        out
    }

    #[test]
    fn small_unsigned_vint_is_one_byte() {
        assert_eq!(unsigned(127), vec![0x7F]);
    }

    #[test]
    fn two_byte_unsigned_vint_has_one_leading_one_bit() {
        assert_eq!(unsigned(128), vec![0x80, 0x80]);
        assert_eq!(unsigned(0x3FFF), vec![0xBF, 0xFF]);
    }

    #[test]
    fn largest_unsigned_vint_is_nine_bytes() {
        assert_eq!(unsigned(u64::MAX), vec![0xFF; 9]);
    }

    #[test]
    fn signed_vint_uses_zig_zag() {
        let mut out = Vec::new();
        write_signed(-1, &mut out);
        write_signed(1, &mut out);
        assert_eq!(out, vec![0x01, 0x02]);
    }

    #[test]
    fn vints_round_trip() {
        for v in [0i64, 1, -1, 63, -64, 64, 1 << 20, -(1 << 40), i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            write_signed(v, &mut out);
            let mut pos = 0;
            assert_eq!(read_signed(&out, &mut pos), Some(v));
            assert_eq!(pos, out.len());
        }
    }

    #[test]
    fn truncated_vint_reads_as_none() {
        let mut pos = 0;
        assert_eq!(read_unsigned(&[0xC0, 0x01], &mut pos), None);
    }
}
