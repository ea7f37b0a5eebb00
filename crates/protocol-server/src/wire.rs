//! The primitive types of the native protocol (spec §3): readers over `&mut &[u8]` that return
//! errors instead of panicking, and writers that append to a [`BytesMut`].
//!
//! Readers advance the slice past what they consumed; on error the slice position is unspecified
//! (the whole message is rejected anyway).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{BufMut, BytesMut};

/// A body that does not hold what the spec says it must.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("not enough bytes to read {what}: need {needed}, {available} left")]
    Truncated { what: &'static str, needed: usize, available: usize },
    #[error("{what} is not valid UTF-8")]
    InvalidUtf8 { what: &'static str },
    #[error("invalid length {length} for {what}")]
    InvalidLength { what: &'static str, length: i64 },
    #[error("invalid address size {0} for [inet] (must be 4 or 16)")]
    InvalidInetSize(u8),
}

pub type WireResult<T> = Result<T, WireError>;

/// The entries of a [bytes map], borrowed from the body.
pub type BytesMap<'a> = Vec<(&'a str, Option<&'a [u8]>)>;

/// A [value] as sent: bytes, null (-1) or, from v4 on, not set (-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawValue<'a> {
    Null,
    Unset,
    Bytes(&'a [u8]),
}

fn take<'a>(buf: &mut &'a [u8], n: usize, what: &'static str) -> WireResult<&'a [u8]> {
    if buf.len() < n {
        return Err(WireError::Truncated { what, needed: n, available: buf.len() });
    }
    let (head, tail) = buf.split_at(n);
    *buf = tail;
    Ok(head)
}

fn take_array<const N: usize>(buf: &mut &[u8], what: &'static str) -> WireResult<[u8; N]> {
    let bytes = take(buf, N, what)?;
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    Ok(out)
}

fn utf8<'a>(bytes: &'a [u8], what: &'static str) -> WireResult<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| WireError::InvalidUtf8 { what })
}

/// [byte]
pub fn read_byte(buf: &mut &[u8]) -> WireResult<u8> {
    Ok(take_array::<1>(buf, "[byte]")?[0])
}

/// [short]: 2 bytes, unsigned.
pub fn read_short(buf: &mut &[u8]) -> WireResult<u16> {
    Ok(u16::from_be_bytes(take_array(buf, "[short]")?))
}

/// [int]
pub fn read_int(buf: &mut &[u8]) -> WireResult<i32> {
    Ok(i32::from_be_bytes(take_array(buf, "[int]")?))
}

/// [long]
pub fn read_long(buf: &mut &[u8]) -> WireResult<i64> {
    Ok(i64::from_be_bytes(take_array(buf, "[long]")?))
}

/// [string]
pub fn read_string<'a>(buf: &mut &'a [u8]) -> WireResult<&'a str> {
    let len = read_short(buf)? as usize;
    utf8(take(buf, len, "[string]")?, "[string]")
}

/// [long string]
pub fn read_long_string<'a>(buf: &mut &'a [u8]) -> WireResult<&'a str> {
    let len = read_int(buf)?;
    if len < 0 {
        return Err(WireError::InvalidLength { what: "[long string]", length: len.into() });
    }
    utf8(take(buf, len as usize, "[long string]")?, "[long string]")
}

/// [uuid]
pub fn read_uuid(buf: &mut &[u8]) -> WireResult<uuid::Uuid> {
    Ok(uuid::Uuid::from_bytes(take_array(buf, "[uuid]")?))
}

/// [string list]
pub fn read_string_list(buf: &mut &[u8]) -> WireResult<Vec<String>> {
    let n = read_short(buf)? as usize;
    let mut out = Vec::with_capacity(n.min(buf.len() / 2));
    for _ in 0..n {
        out.push(read_string(buf)?.to_owned());
    }
    Ok(out)
}

/// [bytes]: `None` for a negative length (null).
pub fn read_bytes<'a>(buf: &mut &'a [u8]) -> WireResult<Option<&'a [u8]>> {
    let len = read_int(buf)?;
    if len < 0 {
        return Ok(None);
    }
    take(buf, len as usize, "[bytes]").map(Some)
}

/// [value]: -1 is null, -2 is "not set" (only when `allow_unset`, i.e. v4+; in v3 any negative
/// length is null, as Cassandra reads it), below -2 is an error.
pub fn read_value<'a>(buf: &mut &'a [u8], allow_unset: bool) -> WireResult<RawValue<'a>> {
    let len = read_int(buf)?;
    match len {
        0.. => take(buf, len as usize, "[value]").map(RawValue::Bytes),
        _ if !allow_unset => Ok(RawValue::Null),
        -1 => Ok(RawValue::Null),
        -2 => Ok(RawValue::Unset),
        _ => Err(WireError::InvalidLength { what: "[value]", length: len.into() }),
    }
}

/// [short bytes]
pub fn read_short_bytes<'a>(buf: &mut &'a [u8]) -> WireResult<&'a [u8]> {
    let len = read_short(buf)? as usize;
    take(buf, len, "[short bytes]")
}

/// [inet]: address size, address, port.
pub fn read_inet(buf: &mut &[u8]) -> WireResult<SocketAddr> {
    let ip = read_inetaddr(buf)?;
    let port = read_int(buf)?;
    Ok(SocketAddr::new(ip, port as u16))
}

/// [inetaddr] (v5): address size and address, no port.
pub fn read_inetaddr(buf: &mut &[u8]) -> WireResult<IpAddr> {
    match read_byte(buf)? {
        4 => Ok(IpAddr::V4(Ipv4Addr::from(take_array::<4>(buf, "[inet]")?))),
        16 => Ok(IpAddr::V6(Ipv6Addr::from(take_array::<16>(buf, "[inet]")?))),
        n => Err(WireError::InvalidInetSize(n)),
    }
}

/// [consistency]: the raw code (validated by the caller).
pub fn read_consistency(buf: &mut &[u8]) -> WireResult<u16> {
    read_short(buf)
}

/// [string map], in wire order.
pub fn read_string_map(buf: &mut &[u8]) -> WireResult<Vec<(String, String)>> {
    let n = read_short(buf)? as usize;
    let mut out = Vec::with_capacity(n.min(buf.len() / 4));
    for _ in 0..n {
        let k = read_string(buf)?.to_owned();
        let v = read_string(buf)?.to_owned();
        out.push((k, v));
    }
    Ok(out)
}

/// [string multimap], in wire order.
pub fn read_string_multimap(buf: &mut &[u8]) -> WireResult<Vec<(String, Vec<String>)>> {
    let n = read_short(buf)? as usize;
    let mut out = Vec::with_capacity(n.min(buf.len() / 4));
    for _ in 0..n {
        let k = read_string(buf)?.to_owned();
        let v = read_string_list(buf)?;
        out.push((k, v));
    }
    Ok(out)
}

/// [bytes map], in wire order, borrowing the values.
pub fn read_bytes_map<'a>(buf: &mut &'a [u8]) -> WireResult<BytesMap<'a>> {
    let n = read_short(buf)? as usize;
    let mut out = Vec::with_capacity(n.min(buf.len() / 6));
    for _ in 0..n {
        let k = read_string(buf)?;
        let v = read_bytes(buf)?;
        out.push((k, v));
    }
    Ok(out)
}

/// [byte]
pub fn write_byte(out: &mut BytesMut, v: u8) {
    out.put_u8(v);
}

/// [short]
pub fn write_short(out: &mut BytesMut, v: u16) {
    out.put_u16(v);
}

/// [int]
pub fn write_int(out: &mut BytesMut, v: i32) {
    out.put_i32(v);
}

/// [long]
pub fn write_long(out: &mut BytesMut, v: i64) {
    out.put_i64(v);
}

/// The longest prefix of `s` that fits in `max` bytes without splitting a character.
fn clamp_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// [string]. A string longer than 65535 bytes cannot be represented and is cut at that length
/// (only error messages could be that long).
pub fn write_string(out: &mut BytesMut, s: &str) {
    let s = clamp_str(s, u16::MAX as usize);
    out.put_u16(s.len() as u16);
    out.put_slice(s.as_bytes());
}

/// [long string]
pub fn write_long_string(out: &mut BytesMut, s: &str) {
    out.put_i32(s.len() as i32);
    out.put_slice(s.as_bytes());
}

/// [uuid]
pub fn write_uuid(out: &mut BytesMut, id: &uuid::Uuid) {
    out.put_slice(id.as_bytes());
}

/// [string list]
pub fn write_string_list<S: AsRef<str>>(out: &mut BytesMut, list: &[S]) {
    out.put_u16(list.len().min(u16::MAX as usize) as u16);
    for s in list.iter().take(u16::MAX as usize) {
        write_string(out, s.as_ref());
    }
}

/// [bytes]: `None` is written as length -1 (null).
pub fn write_bytes(out: &mut BytesMut, v: Option<&[u8]>) {
    match v {
        Some(b) => {
            out.put_i32(b.len() as i32);
            out.put_slice(b);
        }
        None => out.put_i32(-1),
    }
}

/// [value]
pub fn write_value(out: &mut BytesMut, v: RawValue<'_>) {
    match v {
        RawValue::Bytes(b) => write_bytes(out, Some(b)),
        RawValue::Null => out.put_i32(-1),
        RawValue::Unset => out.put_i32(-2),
    }
}

/// [short bytes]
pub fn write_short_bytes(out: &mut BytesMut, b: &[u8]) {
    let b = &b[..b.len().min(u16::MAX as usize)];
    out.put_u16(b.len() as u16);
    out.put_slice(b);
}

/// [inetaddr] (v5)
pub fn write_inetaddr(out: &mut BytesMut, ip: &IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            out.put_u8(4);
            out.put_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            out.put_u8(16);
            out.put_slice(&v6.octets());
        }
    }
}

/// [inet]
pub fn write_inet(out: &mut BytesMut, addr: &SocketAddr) {
    write_inetaddr(out, &addr.ip());
    out.put_i32(addr.port().into());
}

/// [consistency]
pub fn write_consistency(out: &mut BytesMut, code: u16) {
    out.put_u16(code);
}

/// [string map]
pub fn write_string_map<K: AsRef<str>, V: AsRef<str>>(out: &mut BytesMut, map: &[(K, V)]) {
    out.put_u16(map.len() as u16);
    for (k, v) in map {
        write_string(out, k.as_ref());
        write_string(out, v.as_ref());
    }
}

/// [string multimap]
pub fn write_string_multimap<K: AsRef<str>, V: AsRef<str>>(out: &mut BytesMut, map: &[(K, Vec<V>)]) {
    out.put_u16(map.len() as u16);
    for (k, v) in map {
        write_string(out, k.as_ref());
        write_string_list(out, v);
    }
}

/// [bytes map]
pub fn write_bytes_map(out: &mut BytesMut, map: &[(&str, Option<&[u8]>)]) {
    out.put_u16(map.len() as u16);
    for (k, v) in map {
        write_string(out, k);
        write_bytes(out, *v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
        let mut out = BytesMut::new();
        f(&mut out);
        out.to_vec()
    }

    #[test]
    fn short_is_two_bytes_big_endian_and_unsigned() {
        assert_eq!(written(|o| write_short(o, 0xFFFE)), [0xFF, 0xFE]);
        assert_eq!(read_short(&mut &[0xFF, 0xFE][..]), Ok(0xFFFE));
    }

    #[test]
    fn int_and_long_are_big_endian_twos_complement() {
        assert_eq!(written(|o| write_int(o, -2)), [0xFF, 0xFF, 0xFF, 0xFE]);
        assert_eq!(written(|o| write_long(o, 1)), [0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(read_int(&mut &[0x80, 0, 0, 0][..]), Ok(i32::MIN));
        assert_eq!(read_long(&mut &[0xFF; 8][..]), Ok(-1));
    }

    #[test]
    fn string_is_short_length_then_utf8() {
        assert_eq!(written(|o| write_string(o, "hé")), [0, 3, b'h', 0xC3, 0xA9]);
        let mut buf = &[0, 3, b'h', 0xC3, 0xA9, 9][..];
        assert_eq!(read_string(&mut buf), Ok("hé"));
        assert_eq!(buf, [9]);
    }

    #[test]
    fn string_with_invalid_utf8_is_an_error() {
        assert_eq!(read_string(&mut &[0, 1, 0xFF][..]), Err(WireError::InvalidUtf8 { what: "[string]" }));
    }

    #[test]
    fn long_string_is_int_length_then_utf8() {
        assert_eq!(written(|o| write_long_string(o, "ab")), [0, 0, 0, 2, b'a', b'b']);
        assert_eq!(read_long_string(&mut &[0, 0, 0, 2, b'a', b'b'][..]), Ok("ab"));
    }

    #[test]
    fn long_string_with_negative_length_is_an_error() {
        assert!(matches!(read_long_string(&mut &[0xFF, 0xFF, 0xFF, 0xFF][..]), Err(WireError::InvalidLength { .. })));
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        assert!(matches!(read_int(&mut &[1, 2][..]), Err(WireError::Truncated { needed: 4, available: 2, .. })));
        assert!(matches!(read_string(&mut &[0, 5, b'a'][..]), Err(WireError::Truncated { .. })));
        assert!(matches!(read_long_string(&mut &[0x7F, 0xFF, 0xFF, 0xFF][..]), Err(WireError::Truncated { .. })));
        assert!(matches!(read_bytes(&mut &[0, 0, 0, 9, 1][..]), Err(WireError::Truncated { .. })));
        assert!(matches!(read_string_list(&mut &[0xFF, 0xFF][..]), Err(WireError::Truncated { .. })));
        assert!(matches!(read_uuid(&mut &[0; 15][..]), Err(WireError::Truncated { .. })));
        assert!(matches!(read_byte(&mut &[][..]), Err(WireError::Truncated { .. })));
    }

    #[test]
    fn uuid_is_sixteen_raw_bytes() {
        let id = uuid::Uuid::from_bytes([7; 16]);
        assert_eq!(written(|o| write_uuid(o, &id)), [7; 16]);
        assert_eq!(read_uuid(&mut &[7; 16][..]), Ok(id));
    }

    #[test]
    fn string_list_is_short_count_then_strings() {
        assert_eq!(written(|o| write_string_list(o, &["a", "bc"])), [0, 2, 0, 1, b'a', 0, 2, b'b', b'c']);
        assert_eq!(read_string_list(&mut &[0, 2, 0, 1, b'a', 0, 2, b'b', b'c'][..]), Ok(vec!["a".into(), "bc".into()]));
    }

    #[test]
    fn bytes_negative_length_is_null() {
        assert_eq!(written(|o| write_bytes(o, None)), [0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(written(|o| write_bytes(o, Some(&[5]))), [0, 0, 0, 1, 5]);
        assert_eq!(read_bytes(&mut &[0xFF, 0xFF, 0xFF, 0xFE][..]), Ok(None));
        assert_eq!(read_bytes(&mut &[0, 0, 0, 0][..]), Ok(Some(&[][..])));
    }

    #[test]
    fn value_minus_one_is_null_and_minus_two_is_unset_in_v4() {
        assert_eq!(read_value(&mut &[0xFF, 0xFF, 0xFF, 0xFF][..], true), Ok(RawValue::Null));
        assert_eq!(read_value(&mut &[0xFF, 0xFF, 0xFF, 0xFE][..], true), Ok(RawValue::Unset));
        assert_eq!(read_value(&mut &[0, 0, 0, 1, 3][..], true), Ok(RawValue::Bytes(&[3])));
        assert_eq!(written(|o| write_value(o, RawValue::Unset)), [0xFF, 0xFF, 0xFF, 0xFE]);
    }

    #[test]
    fn value_below_minus_two_is_an_error_in_v4() {
        assert!(matches!(
            read_value(&mut &[0xFF, 0xFF, 0xFF, 0xFD][..], true),
            Err(WireError::InvalidLength { length: -3, .. })
        ));
    }

    #[test]
    fn value_any_negative_length_is_null_in_v3() {
        assert_eq!(read_value(&mut &[0xFF, 0xFF, 0xFF, 0xFE][..], false), Ok(RawValue::Null));
        assert_eq!(read_value(&mut &[0xFF, 0xFF, 0xFF, 0x00][..], false), Ok(RawValue::Null));
    }

    #[test]
    fn short_bytes_is_short_length_then_bytes() {
        assert_eq!(written(|o| write_short_bytes(o, &[1, 2])), [0, 2, 1, 2]);
        assert_eq!(read_short_bytes(&mut &[0, 2, 1, 2][..]), Ok(&[1, 2][..]));
    }

    #[test]
    fn inet_is_size_address_and_int_port() {
        let v4: SocketAddr = "127.0.0.1:9042".parse().unwrap();
        let bytes = written(|o| write_inet(o, &v4));
        assert_eq!(bytes, [4, 127, 0, 0, 1, 0, 0, 0x23, 0x52]);
        assert_eq!(read_inet(&mut &bytes[..]), Ok(v4));
        let v6: SocketAddr = "[::1]:1".parse().unwrap();
        let bytes = written(|o| write_inet(o, &v6));
        assert_eq!(bytes.len(), 1 + 16 + 4);
        assert_eq!(read_inet(&mut &bytes[..]), Ok(v6));
    }

    #[test]
    fn inet_with_bad_size_is_an_error() {
        assert_eq!(read_inet(&mut &[5, 0, 0, 0, 0, 0][..]), Err(WireError::InvalidInetSize(5)));
    }

    #[test]
    fn string_map_and_multimap_keep_wire_order() {
        let map = [("K", "v"), ("A", "b")];
        let bytes = written(|o| write_string_map(o, &map));
        assert_eq!(bytes, [0, 2, 0, 1, b'K', 0, 1, b'v', 0, 1, b'A', 0, 1, b'b']);
        assert_eq!(read_string_map(&mut &bytes[..]), Ok(vec![("K".into(), "v".into()), ("A".into(), "b".into())]));
        let multi = [("K", vec!["x", "y"])];
        let bytes = written(|o| write_string_multimap(o, &multi));
        assert_eq!(bytes, [0, 1, 0, 1, b'K', 0, 2, 0, 1, b'x', 0, 1, b'y']);
        assert_eq!(read_string_multimap(&mut &bytes[..]), Ok(vec![("K".into(), vec!["x".into(), "y".into()])]));
    }

    #[test]
    fn bytes_map_is_short_count_then_string_and_bytes_pairs() {
        let bytes = written(|o| write_bytes_map(o, &[("k", Some(&[1][..])), ("n", None)]));
        assert_eq!(bytes, [0, 2, 0, 1, b'k', 0, 0, 0, 1, 1, 0, 1, b'n', 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(read_bytes_map(&mut &bytes[..]), Ok(vec![("k", Some(&[1][..])), ("n", None)]));
    }

    #[test]
    fn overlong_string_is_cut_at_a_char_boundary() {
        let s = "é".repeat(40_000); // 80 000 bytes
        let bytes = written(|o| write_string(o, &s));
        let len = u16::from_be_bytes([bytes[0], bytes[1]]) as usize;
        assert_eq!(len, 65534);
        assert!(std::str::from_utf8(&bytes[2..]).is_ok());
    }
}
