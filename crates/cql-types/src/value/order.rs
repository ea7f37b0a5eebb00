//! Order-defining transforms shared by value comparison and the byte-comparable key encoding, so that
//! both agree by construction.

use std::cmp::Ordering;

use num_bigint::{BigInt, Sign};

/// A float's bits transformed so that unsigned comparison is Java's `Float.compare`: NaNs (made
/// canonical) after +Infinity, `-0.0` before `0.0`.
pub(crate) fn float_sort_key(bits: u32) -> u32 {
    let bits = if f32::from_bits(bits).is_nan() { 0x7FC0_0000 } else { bits };
    if bits & 0x8000_0000 != 0 {
        !bits
    } else {
        bits | 0x8000_0000
    }
}

/// The inverse of [`float_sort_key`] (NaN comes back canonical).
pub(crate) fn float_from_sort_key(key: u32) -> u32 {
    if key & 0x8000_0000 != 0 {
        key & 0x7FFF_FFFF
    } else {
        !key
    }
}

/// [`float_sort_key`] for doubles (Java's `Double.compare`).
pub(crate) fn double_sort_key(bits: u64) -> u64 {
    let bits = if f64::from_bits(bits).is_nan() { 0x7FF8_0000_0000_0000 } else { bits };
    if bits & (1 << 63) != 0 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The inverse of [`double_sort_key`].
pub(crate) fn double_from_sort_key(key: u64) -> u64 {
    if key & (1 << 63) != 0 {
        key & !(1 << 63)
    } else {
        !key
    }
}

/// Compares two big-endian two's-complement byte strings as Cassandra's fixed-width integer types do:
/// the first byte signed, the rest unsigned.
pub(crate) fn signed_be_cmp(a: &[u8], b: &[u8]) -> Ordering {
    match (a.split_first(), b.split_first()) {
        (Some((fa, ra)), Some((fb, rb))) => (*fa as i8).cmp(&(*fb as i8)).then_with(|| ra.cmp(rb)),
        _ => a.cmp(b),
    }
}

/// The most significant half of a UUID with its timestamp fields moved to the front
/// (`time_hi_and_version`, `time_mid`, `time_low`), as Cassandra's `reorderTimestampBytes`.
pub(crate) fn reorder_timestamp(msb: u64) -> u64 {
    (msb << 48) | ((msb << 16) & 0xFFFF_0000_0000) | (msb >> 32)
}

/// The inverse of [`reorder_timestamp`].
pub(crate) fn reorder_back_timestamp(reordered: u64) -> u64 {
    (reordered >> 48) | ((reordered & 0xFFFF_0000_0000) >> 16) | (reordered << 32)
}

fn halves(bytes: &[u8; 16]) -> (u64, u64) {
    let mut msb = [0u8; 8];
    let mut lsb = [0u8; 8];
    msb.copy_from_slice(&bytes[..8]);
    lsb.copy_from_slice(&bytes[8..]);
    (u64::from_be_bytes(msb), u64::from_be_bytes(lsb))
}

/// The version of a 16-byte UUID.
pub(crate) fn uuid_version(bytes: &[u8; 16]) -> u8 {
    bytes[6] >> 4
}

/// Cassandra's `UUIDType` order: version first, then the timestamp for version 1 (the rest unsigned
/// for other versions), then the least significant half unsigned.
pub(crate) fn uuid_cmp(a: &[u8; 16], b: &[u8; 16]) -> Ordering {
    let ((msb_a, lsb_a), (msb_b, lsb_b)) = (halves(a), halves(b));
    let (va, vb) = (uuid_version(a), uuid_version(b));
    va.cmp(&vb)
        .then_with(|| {
            if va == 1 {
                (reorder_timestamp(msb_a) as i64).cmp(&(reorder_timestamp(msb_b) as i64))
            } else {
                msb_a.cmp(&msb_b)
            }
        })
        .then_with(|| lsb_a.cmp(&lsb_b))
}

/// The least significant half of a timeuuid transformed so that unsigned comparison is the signed
/// byte-by-byte comparison Cassandra's `TimeUUIDType` uses.
pub(crate) const TIMEUUID_LSB_FLIP: u64 = 0x8080_8080_8080_8080;

/// Cassandra's `TimeUUIDType` order: the embedded timestamp, then the rest as signed bytes.
pub(crate) fn timeuuid_cmp(a: &[u8; 16], b: &[u8; 16]) -> Ordering {
    let ((msb_a, lsb_a), (msb_b, lsb_b)) = (halves(a), halves(b));
    (reorder_timestamp(msb_a) as i64)
        .cmp(&(reorder_timestamp(msb_b) as i64))
        .then_with(|| (lsb_a ^ TIMEUUID_LSB_FLIP).cmp(&(lsb_b ^ TIMEUUID_LSB_FLIP)))
}

/// A decimal in normalized scientific form, `sign × 0.d1d2…dn × 10^exponent` with `d1 != 0` and
/// `dn != 0`, which orders decimals numerically regardless of their scale (`1.0 == 1.00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecimalParts {
    /// -1, 0 or 1.
    pub sign: i8,
    pub exponent: i64,
    /// Decimal digits 0..=9, most significant first; empty for zero.
    pub digits: Vec<u8>,
}

impl DecimalParts {
    /// The normalized form of `unscaled × 10^-scale`.
    pub(crate) fn new(unscaled: &BigInt, scale: i64) -> DecimalParts {
        let sign = match unscaled.sign() {
            Sign::Minus => -1,
            Sign::NoSign => return DecimalParts { sign: 0, exponent: 0, digits: vec![] },
            Sign::Plus => 1,
        };
        let mut digits: Vec<u8> = unscaled.magnitude().to_str_radix(10).bytes().map(|b| b - b'0').collect();
        let exponent = digits.len() as i64 - scale;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        DecimalParts { sign, exponent, digits }
    }

    /// Parses a serialized decimal (`i32` scale then the unscaled varint); `None` if shorter than 5 bytes.
    pub(crate) fn from_serialized(bytes: &[u8]) -> Option<DecimalParts> {
        let (scale, unscaled) = bytes.split_first_chunk::<4>()?;
        if unscaled.is_empty() {
            return None;
        }
        Some(DecimalParts::new(&BigInt::from_signed_bytes_be(unscaled), i64::from(i32::from_be_bytes(*scale))))
    }

    /// The serialized decimal of this value at `scale` (`1` at scale 2 is `1.00`); `None` when the
    /// value has more significant decimal places than `scale` or needs more than a million padding
    /// zeros.
    pub(crate) fn to_serialized_at_scale(&self, scale: i32) -> Option<Vec<u8>> {
        let mut out = scale.to_be_bytes().to_vec();
        if self.sign == 0 {
            out.push(0);
            return Some(out);
        }
        let minimal_scale = (self.digits.len() as i64).checked_sub(self.exponent)?;
        let pad = usize::try_from(i64::from(scale).checked_sub(minimal_scale)?).ok().filter(|p| *p <= 1_000_000)?;
        let mut text: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        text.push_str(&"0".repeat(pad));
        let magnitude = BigInt::parse_bytes(text.as_bytes(), 10)?;
        let unscaled = if self.sign < 0 { -magnitude } else { magnitude };
        out.extend_from_slice(&unscaled.to_signed_bytes_be());
        Some(out)
    }
}

impl Ord for DecimalParts {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sign.cmp(&other.sign).then_with(|| {
            let magnitude =
                self.exponent.cmp(&other.exponent).then_with(|| self.digits.as_slice().cmp(other.digits.as_slice()));
            if self.sign < 0 {
                magnitude.reverse()
            } else {
                magnitude
            }
        })
    }
}

impl PartialOrd for DecimalParts {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_sort_key_orders_like_java_compare() {
        let values = [f32::NEG_INFINITY, -1.5, -0.0, 0.0, 1e-30, 2.0, f32::INFINITY, f32::NAN];
        for pair in values.windows(2) {
            assert!(float_sort_key(pair[0].to_bits()) < float_sort_key(pair[1].to_bits()), "{pair:?}");
        }
    }

    #[test]
    fn float_sort_key_round_trips() {
        for v in [-3.5f32, -0.0, 0.0, 7.25] {
            assert_eq!(float_from_sort_key(float_sort_key(v.to_bits())), v.to_bits());
        }
    }

    #[test]
    fn all_nans_share_one_sort_key() {
        assert_eq!(float_sort_key(0xFFC0_0001), float_sort_key(f32::NAN.to_bits()));
        assert_eq!(double_sort_key(0xFFF8_0000_0000_0001), double_sort_key(f64::NAN.to_bits()));
    }

    #[test]
    fn timestamp_reordering_round_trips() {
        let msb = 0x0123_4567_89AB_1DEF;
        assert_eq!(reorder_timestamp(msb), 0x1DEF_89AB_0123_4567);
        assert_eq!(reorder_back_timestamp(reorder_timestamp(msb)), msb);
    }

    #[test]
    fn decimal_parts_ignore_trailing_zeros_and_scale() {
        let a = DecimalParts::new(&BigInt::from(10), 1);
        let b = DecimalParts::new(&BigInt::from(100), 2);
        assert_eq!(a, b);
        assert_eq!(a, DecimalParts { sign: 1, exponent: 1, digits: vec![1] });
    }

    #[test]
    fn decimal_parts_order_numerically() {
        let parts = |u: i64, s: i64| DecimalParts::new(&BigInt::from(u), s);
        assert!(parts(-5, 0) < parts(-45, 1));
        assert!(parts(-45, 1) < parts(0, 3));
        assert!(parts(0, 3) < parts(12, 3));
        assert!(parts(12, 3) < parts(12, 2));
        assert!(parts(12, 2) < parts(121, 3));
    }

    #[test]
    fn decimal_parts_serialize_at_the_scale_asked() {
        let parts = DecimalParts::new(&BigInt::from(1500), 0);
        assert_eq!(parts.to_serialized_at_scale(-2).unwrap(), vec![0xFF, 0xFF, 0xFF, 0xFE, 15]);
        assert_eq!(parts.to_serialized_at_scale(1).unwrap(), vec![0, 0, 0, 1, 0x3A, 0x98]);
        assert_eq!(parts.to_serialized_at_scale(-3), None);
    }
}
