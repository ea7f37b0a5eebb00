//! Byte-comparable clustering keys.
//!
//! One component's code is a header byte, `0x01` for the empty value or `0x02` for any other value,
//! followed for the latter by a type-specific body:
//!
//! | type | body |
//! |------|------|
//! | tinyint, smallint, int, bigint, timestamp | the big-endian bytes with the sign bit flipped |
//! | date, time | the serialized bytes (Cassandra orders them as unsigned bytes) |
//! | boolean | `0x00` or `0x01` |
//! | float, double | the IEEE bits, negatives inverted, others with the sign bit set (NaN made canonical) |
//! | text, ascii, blob, inet, custom | the bytes with `0x00` escaped as `0x00 0xFF`, then `0x00 0x00` |
//! | varint | sign byte, then the magnitude's length and the magnitude (inverted for negatives) |
//! | decimal | sign byte, the decimal exponent and the significant digits (inverted for negatives), then the scale (sign-flipped big-endian `i32`) |
//! | uuid | version, then the timestamp-first (version 1) or plain high half, then the low half |
//! | timeuuid | the timestamp-first high half, then the low half with each byte's top bit flipped |
//! | frozen list, set | each element's code, then `0x00` |
//! | frozen map | each key's and value's codes, then `0x00` |
//! | tuple, frozen UDT | per component up to the last non-null one: `0x01` if null, else `0x02` and its code; then `0x00` |
//! | vector | each element's code |
//!
//! A `DESC` component's code is the whole code inverted. Decoding gives back the serialized value,
//! normalized where several serialized forms are equal for Cassandra's comparator: `varint`s minimal,
//! booleans as `0x00`/`0x01`, NaNs canonical, tuples and UDTs without trailing nulls. A `decimal` keeps
//! its scale (`1.50` comes back as `1.50`), so decimals equal in value but not in scale (`1.0`, `1.00`)
//! have adjacent but distinct codes, where Cassandra's comparator makes them one clustering value.

use num_bigint::{BigInt, Sign};

use crate::value::layout::{split_collection, split_tuple, split_vector, udt_fields, TupleKind};
use crate::value::order::{
    double_from_sort_key, double_sort_key, float_from_sort_key, float_sort_key, reorder_back_timestamp,
    reorder_timestamp, uuid_version, DecimalParts, TIMEUUID_LSB_FLIP,
};
use crate::{vint, CqlType, CqlValue, NativeType, ValueError};

const EMPTY: u8 = 0x01;
const PRESENT: u8 = 0x02;
const END: u8 = 0x00;
const NULL_COMPONENT: u8 = 0x01;
const PRESENT_COMPONENT: u8 = 0x02;

/// Appends the code of one clustering column's serialized `value` of type `typ` to `out`; `reversed` for
/// a `DESC` column. The value is validated first. Counters, durations and non-frozen collections and
/// UDTs cannot be clustering columns (as in Cassandra) and are rejected.
pub fn encode_clustering_component(
    typ: &CqlType,
    value: &[u8],
    reversed: bool,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    check_clusterable(typ, typ)?;
    CqlValue::validate(typ, value)?;
    let start = out.len();
    let encoded = encode(typ, value, out);
    if encoded.is_err() {
        out.truncate(start);
    } else if reversed {
        if let Some(code) = out.get_mut(start..) {
            code.iter_mut().for_each(|b| *b = !*b);
        }
    }
    encoded
}

/// The clustering key of a row (or a prefix of one): the codes of `values`, the serialized values of
/// the first clustering columns of `types` (type, reversed) in order.
pub fn encode_clustering(types: &[(CqlType, bool)], values: &[&[u8]]) -> Result<Vec<u8>, ValueError> {
    if values.len() > types.len() {
        return Err(ValueError(format!("Expected at most {} clustering values, got {}", types.len(), values.len())));
    }
    let mut out = Vec::new();
    for ((typ, reversed), value) in types.iter().zip(values) {
        encode_clustering_component(typ, value, *reversed, &mut out)?;
    }
    Ok(out)
}

/// The key just after every clustering key that extends `prefix`: `prefix` followed by `0xFF`.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = Vec::with_capacity(prefix.len() + 1);
    end.extend_from_slice(prefix);
    end.push(0xFF);
    end
}

/// The serialized values of a clustering key built by [`encode_clustering`] for columns `types`
/// (type, reversed); fewer values than types when the key is a prefix.
pub fn decode_clustering(types: &[(CqlType, bool)], key: &[u8]) -> Result<Vec<Vec<u8>>, ValueError> {
    let mut values = Vec::new();
    let mut pos = 0;
    for (typ, reversed) in types {
        if pos == key.len() {
            break;
        }
        let mut reader = Reader { data: key, pos, flip: if *reversed { 0xFF } else { 0 } };
        let mut value = Vec::new();
        decode(typ, &mut reader, &mut value)?;
        pos = reader.pos;
        values.push(value);
    }
    if pos != key.len() {
        return Err(ValueError(format!("Unexpected {} bytes after the clustering key", key.len() - pos)));
    }
    Ok(values)
}

fn check_clusterable(typ: &CqlType, top: &CqlType) -> Result<(), ValueError> {
    let unsupported = |what: &str| Err(ValueError(format!("{what} is not supported in a clustering key ({top})")));
    match typ {
        CqlType::Native(NativeType::Counter) => unsupported("counter"),
        CqlType::Native(NativeType::Duration) => unsupported("duration"),
        t if t.is_multi_cell() => unsupported("A non-frozen collection or UDT"),
        CqlType::List { element, .. } | CqlType::Set { element, .. } | CqlType::Vector { element, .. } => {
            check_clusterable(element, top)
        }
        CqlType::Map { key, value, .. } => {
            check_clusterable(key, top)?;
            check_clusterable(value, top)
        }
        CqlType::Tuple(types) => types.iter().try_for_each(|t| check_clusterable(t, top)),
        CqlType::Udt { fields, .. } => fields.iter().try_for_each(|(_, t)| check_clusterable(t, top)),
        CqlType::Native(_) | CqlType::Custom(_) => Ok(()),
    }
}

fn encode(typ: &CqlType, value: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    if value.is_empty() && typ.allows_empty() {
        out.push(EMPTY);
        return Ok(());
    }
    out.push(PRESENT);
    match typ {
        CqlType::Native(n) => encode_native(*n, value, out),
        CqlType::Custom(_) => {
            encode_escaped(value, out);
            Ok(())
        }
        CqlType::List { element, .. } | CqlType::Set { element, .. } => {
            let what = if matches!(typ, CqlType::List { .. }) { "list" } else { "set" };
            for part in split_collection(value, 1, what)? {
                encode(element, non_null(part)?, out)?;
            }
            out.push(END);
            Ok(())
        }
        CqlType::Map { key, value: value_type, .. } => {
            for pair in split_collection(value, 2, "map")?.chunks_exact(2) {
                if let [k, v] = pair {
                    encode(key, non_null(*k)?, out)?;
                    encode(value_type, non_null(*v)?, out)?;
                }
            }
            out.push(END);
            Ok(())
        }
        CqlType::Tuple(types) => {
            encode_components(types.iter(), split_tuple(value, types.len(), TupleKind::Tuple)?, out)
        }
        CqlType::Udt { .. } => {
            let fields = udt_fields(typ)?;
            let parts = split_tuple(value, fields.len(), TupleKind::Udt(fields))?;
            encode_components(fields.iter().map(|(_, t)| t), parts, out)
        }
        CqlType::Vector { element, dimension } => {
            split_vector(typ, element, *dimension, value)?.into_iter().try_for_each(|e| encode(element, e, out))
        }
    }
}

fn non_null(part: Option<&[u8]>) -> Result<&[u8], ValueError> {
    part.ok_or_else(|| ValueError::new("null is not supported inside collections"))
}

fn encode_components<'t>(
    types: impl Iterator<Item = &'t CqlType>,
    mut parts: Vec<Option<&[u8]>>,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    while parts.last().is_some_and(Option::is_none) {
        parts.pop();
    }
    for (typ, part) in types.zip(parts) {
        match part {
            None => out.push(NULL_COMPONENT),
            Some(bytes) => {
                out.push(PRESENT_COMPONENT);
                encode(typ, bytes, out)?;
            }
        }
    }
    out.push(END);
    Ok(())
}

fn encode_native(n: NativeType, value: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    match n {
        NativeType::Tinyint | NativeType::Smallint | NativeType::Int | NativeType::Bigint | NativeType::Timestamp => {
            if let Some((first, rest)) = value.split_first() {
                out.push(first ^ 0x80);
                out.extend_from_slice(rest);
            }
        }
        NativeType::Date | NativeType::Time => out.extend_from_slice(value),
        NativeType::Boolean => out.push(u8::from(value.first().is_some_and(|b| *b != 0))),
        NativeType::Float => {
            let bits = u32::from_be_bytes(value.try_into().map_err(|_| invalid(n))?);
            out.extend_from_slice(&float_sort_key(bits).to_be_bytes());
        }
        NativeType::Double => {
            let bits = u64::from_be_bytes(value.try_into().map_err(|_| invalid(n))?);
            out.extend_from_slice(&double_sort_key(bits).to_be_bytes());
        }
        NativeType::Ascii | NativeType::Text | NativeType::Blob | NativeType::Inet => encode_escaped(value, out),
        NativeType::Varint => encode_varint(&BigInt::from_signed_bytes_be(value), out),
        NativeType::Decimal => {
            encode_decimal(&DecimalParts::from_serialized(value).ok_or_else(|| invalid(n))?, out);
            // The scale, after the value: equal values keep the scale they were written with.
            let scale = value.first_chunk::<4>().map_or(0, |s| u32::from_be_bytes(*s));
            out.extend_from_slice(&(scale ^ (1 << 31)).to_be_bytes());
        }
        NativeType::Uuid => {
            let bytes: &[u8; 16] = value.try_into().map_err(|_| invalid(n))?;
            let (msb, lsb) = halves(bytes);
            let version = uuid_version(bytes);
            out.push(version);
            out.extend_from_slice(&(if version == 1 { reorder_timestamp(msb) } else { msb }).to_be_bytes());
            out.extend_from_slice(&lsb.to_be_bytes());
        }
        NativeType::Timeuuid => {
            let (msb, lsb) = halves(value.try_into().map_err(|_| invalid(n))?);
            out.extend_from_slice(&reorder_timestamp(msb).to_be_bytes());
            out.extend_from_slice(&(lsb ^ TIMEUUID_LSB_FLIP).to_be_bytes());
        }
        NativeType::Counter | NativeType::Duration => return Err(invalid(n)),
    }
    Ok(())
}

fn invalid(n: NativeType) -> ValueError {
    ValueError(format!("Invalid {} value in a clustering key", n.name()))
}

fn halves(bytes: &[u8; 16]) -> (u64, u64) {
    let (msb, lsb) = bytes.split_at(8);
    (u64::from_be_bytes(msb.try_into().unwrap_or_default()), u64::from_be_bytes(lsb.try_into().unwrap_or_default()))
}

fn encode_escaped(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// An order-preserving, self-delimiting length: the count of its minimal big-endian bytes, then them.
fn length_code(len: usize) -> Vec<u8> {
    let be = (len as u64).to_be_bytes();
    let significant = be.iter().position(|b| *b != 0).map_or(&be[..0], |i| &be[i..]);
    let mut code = vec![significant.len() as u8];
    code.extend_from_slice(significant);
    code
}

fn magnitude_bytes(n: &BigInt) -> Vec<u8> {
    if n.sign() == Sign::NoSign {
        Vec::new()
    } else {
        n.magnitude().to_bytes_be()
    }
}

/// Non-negative: `0x01`, length, magnitude. Negative `v`: `0x00`, then the length and magnitude of
/// `-v - 1`, inverted, so that larger magnitudes sort first.
fn encode_varint(v: &BigInt, out: &mut Vec<u8>) {
    if v.sign() == Sign::Minus {
        let m: BigInt = -v - 1;
        let magnitude = magnitude_bytes(&m);
        out.push(0x00);
        out.extend(length_code(magnitude.len()).iter().map(|b| !b));
        out.extend(magnitude.iter().map(|b| !b));
    } else {
        let magnitude = magnitude_bytes(v);
        out.push(0x01);
        out.extend(length_code(magnitude.len()));
        out.extend(magnitude);
    }
}

/// Zero: `0x01`. Positive: `0x02`, the exponent (sign-flipped big-endian), each digit + 1, `0x00`.
/// Negative: `0x00` and the same inverted.
fn encode_decimal(parts: &DecimalParts, out: &mut Vec<u8>) {
    let flip = match parts.sign {
        0 => {
            out.push(0x01);
            return;
        }
        s if s > 0 => {
            out.push(0x02);
            0x00
        }
        _ => {
            out.push(0x00);
            0xFF
        }
    };
    out.extend(((parts.exponent as u64) ^ (1 << 63)).to_be_bytes().iter().map(|b| b ^ flip));
    out.extend(parts.digits.iter().map(|d| (d + 1) ^ flip));
    out.push(flip);
}

/// Reads a code, undoing the inversion of a `DESC` component.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    flip: u8,
}

impl Reader<'_> {
    fn peek(&self) -> Result<u8, ValueError> {
        self.data.get(self.pos).map(|b| b ^ self.flip).ok_or_else(|| ValueError::new("Truncated clustering key"))
    }

    fn byte(&mut self) -> Result<u8, ValueError> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], ValueError> {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte()?;
        }
        Ok(out)
    }

    fn take(&mut self, len: usize, out: &mut Vec<u8>) -> Result<(), ValueError> {
        if self.data.len().saturating_sub(self.pos) < len {
            return Err(ValueError::new("Truncated clustering key"));
        }
        for _ in 0..len {
            out.push(self.byte()?);
        }
        Ok(())
    }
}

fn malformed(what: &str) -> ValueError {
    ValueError(format!("Malformed {what} in a clustering key"))
}

fn decode(typ: &CqlType, r: &mut Reader<'_>, out: &mut Vec<u8>) -> Result<(), ValueError> {
    match r.byte()? {
        EMPTY if typ.allows_empty() => Ok(()),
        PRESENT => decode_body(typ, r, out),
        _ => Err(malformed("component header")),
    }
}

fn write_length_prefixed(value: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&i32::try_from(value.len()).unwrap_or(i32::MAX).to_be_bytes());
    out.extend_from_slice(value);
}

fn decode_body(typ: &CqlType, r: &mut Reader<'_>, out: &mut Vec<u8>) -> Result<(), ValueError> {
    match typ {
        CqlType::Native(n) => decode_native(*n, r, out),
        CqlType::Custom(_) => decode_escaped(r, out),
        CqlType::List { element, .. } | CqlType::Set { element, .. } => {
            let mut count: i32 = 0;
            let mut elements = Vec::new();
            while r.peek()? != END {
                let mut element_bytes = Vec::new();
                decode(element, r, &mut element_bytes)?;
                write_length_prefixed(&element_bytes, &mut elements);
                count = count.saturating_add(1);
            }
            r.byte()?;
            out.extend_from_slice(&count.to_be_bytes());
            out.extend_from_slice(&elements);
            Ok(())
        }
        CqlType::Map { key, value, .. } => {
            let mut count: i32 = 0;
            let mut entries = Vec::new();
            while r.peek()? != END {
                for t in [key.as_ref(), value.as_ref()] {
                    let mut bytes = Vec::new();
                    decode(t, r, &mut bytes)?;
                    write_length_prefixed(&bytes, &mut entries);
                }
                count = count.saturating_add(1);
            }
            r.byte()?;
            out.extend_from_slice(&count.to_be_bytes());
            out.extend_from_slice(&entries);
            Ok(())
        }
        CqlType::Tuple(types) => decode_components(types.iter(), r, out),
        CqlType::Udt { .. } => decode_components(udt_fields(typ)?.iter().map(|(_, t)| t), r, out),
        CqlType::Vector { element, dimension } => {
            let fixed = element.value_length_if_fixed().is_some();
            for _ in 0..*dimension {
                let mut bytes = Vec::new();
                decode(element, r, &mut bytes)?;
                if !fixed {
                    vint::write_unsigned(bytes.len() as u64, out);
                }
                out.extend_from_slice(&bytes);
            }
            Ok(())
        }
    }
}

fn decode_components<'t>(
    mut types: impl Iterator<Item = &'t CqlType>,
    r: &mut Reader<'_>,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    let start = out.len();
    loop {
        let marker = r.byte()?;
        if marker == END {
            if out.len() == start {
                // All components null: one explicit null keeps the value from being the empty value.
                out.extend_from_slice(&(-1i32).to_be_bytes());
            }
            return Ok(());
        }
        let typ = types.next().ok_or_else(|| malformed("tuple (too many components)"))?;
        match marker {
            NULL_COMPONENT => out.extend_from_slice(&(-1i32).to_be_bytes()),
            PRESENT_COMPONENT => {
                let mut bytes = Vec::new();
                decode(typ, r, &mut bytes)?;
                write_length_prefixed(&bytes, out);
            }
            _ => return Err(malformed("tuple component")),
        }
    }
}

fn decode_native(n: NativeType, r: &mut Reader<'_>, out: &mut Vec<u8>) -> Result<(), ValueError> {
    let signed_fixed = |r: &mut Reader<'_>, out: &mut Vec<u8>, len: usize| -> Result<(), ValueError> {
        let start = out.len();
        r.take(len, out)?;
        if let Some(first) = out.get_mut(start) {
            *first ^= 0x80;
        }
        Ok(())
    };
    match n {
        NativeType::Tinyint => signed_fixed(r, out, 1),
        NativeType::Smallint => signed_fixed(r, out, 2),
        NativeType::Int => signed_fixed(r, out, 4),
        NativeType::Bigint | NativeType::Timestamp => signed_fixed(r, out, 8),
        NativeType::Date => r.take(4, out),
        NativeType::Time => r.take(8, out),
        NativeType::Boolean => match r.byte()? {
            b @ (0 | 1) => {
                out.push(b);
                Ok(())
            }
            _ => Err(malformed("boolean")),
        },
        NativeType::Float => {
            out.extend_from_slice(&float_from_sort_key(u32::from_be_bytes(r.bytes()?)).to_be_bytes());
            Ok(())
        }
        NativeType::Double => {
            out.extend_from_slice(&double_from_sort_key(u64::from_be_bytes(r.bytes()?)).to_be_bytes());
            Ok(())
        }
        NativeType::Ascii | NativeType::Text | NativeType::Blob | NativeType::Inet => decode_escaped(r, out),
        NativeType::Varint => {
            out.extend_from_slice(&decode_varint(r)?.to_signed_bytes_be());
            Ok(())
        }
        NativeType::Decimal => {
            let parts = decode_decimal(r)?;
            let scale = (u32::from_be_bytes(r.bytes()?) ^ (1 << 31)) as i32;
            out.extend_from_slice(&parts.to_serialized_at_scale(scale).ok_or_else(|| malformed("decimal"))?);
            Ok(())
        }
        NativeType::Uuid => {
            let version = r.byte()?;
            let high = u64::from_be_bytes(r.bytes()?);
            let msb = if version == 1 { reorder_back_timestamp(high) } else { high };
            if (msb >> 12) & 0xF != u64::from(version) {
                return Err(malformed("uuid"));
            }
            out.extend_from_slice(&msb.to_be_bytes());
            r.take(8, out)
        }
        NativeType::Timeuuid => {
            let msb = reorder_back_timestamp(u64::from_be_bytes(r.bytes()?));
            let lsb = u64::from_be_bytes(r.bytes()?) ^ TIMEUUID_LSB_FLIP;
            out.extend_from_slice(&msb.to_be_bytes());
            out.extend_from_slice(&lsb.to_be_bytes());
            Ok(())
        }
        NativeType::Counter | NativeType::Duration => Err(invalid(n)),
    }
}

fn decode_escaped(r: &mut Reader<'_>, out: &mut Vec<u8>) -> Result<(), ValueError> {
    loop {
        match r.byte()? {
            0 => match r.byte()? {
                0xFF => out.push(0),
                0x00 => return Ok(()),
                _ => return Err(malformed("escaped bytes")),
            },
            b => out.push(b),
        }
    }
}

fn read_length(r: &mut Reader<'_>, flip: u8) -> Result<usize, ValueError> {
    let count = r.byte()? ^ flip;
    if count > 8 {
        return Err(malformed("length"));
    }
    let mut len: u64 = 0;
    for _ in 0..count {
        len = (len << 8) | u64::from(r.byte()? ^ flip);
    }
    let len = usize::try_from(len).map_err(|_| malformed("length"))?;
    if r.data.len().saturating_sub(r.pos) < len {
        return Err(ValueError::new("Truncated clustering key"));
    }
    Ok(len)
}

fn decode_varint(r: &mut Reader<'_>) -> Result<BigInt, ValueError> {
    let flip = match r.byte()? {
        0x01 => 0x00,
        0x00 => 0xFF,
        _ => return Err(malformed("varint")),
    };
    let len = read_length(r, flip)?;
    let mut magnitude = Vec::with_capacity(len);
    for _ in 0..len {
        magnitude.push(r.byte()? ^ flip);
    }
    let m = BigInt::from_bytes_be(Sign::Plus, &magnitude);
    Ok(if flip == 0 { m } else { -m - 1 })
}

fn decode_decimal(r: &mut Reader<'_>) -> Result<DecimalParts, ValueError> {
    let (sign, flip) = match r.byte()? {
        0x01 => return Ok(DecimalParts { sign: 0, exponent: 0, digits: vec![] }),
        0x02 => (1, 0x00),
        0x00 => (-1, 0xFF),
        _ => return Err(malformed("decimal")),
    };
    let exponent_bytes: [u8; 8] = r.bytes()?;
    let exponent = (u64::from_be_bytes(exponent_bytes.map(|b| b ^ flip)) ^ (1 << 63)) as i64;
    let mut digits = Vec::new();
    loop {
        match r.byte()? ^ flip {
            0 => break,
            d @ 1..=10 => digits.push(d - 1),
            _ => return Err(malformed("decimal")),
        }
    }
    if digits.first() == Some(&0) || digits.last() == Some(&0) || digits.is_empty() {
        return Err(malformed("decimal"));
    }
    Ok(DecimalParts { sign, exponent, digits })
}

#[cfg(test)]
mod tests;
