//! Serialization of [`CqlValue`]s and strict decoding of serialized values.

use std::cmp::Ordering;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bigdecimal::BigDecimal;
use num_bigint::BigInt;
use uuid::Uuid;

use super::layout::{split_collection, split_tuple, split_vector, udt_fields, TupleKind};
use super::{compare, CqlValue, ValueError};
use crate::{vint, CqlType, NativeType};

fn write_length_prefixed(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&i32::try_from(bytes.len()).unwrap_or(i32::MAX).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn write_count(count: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(&i32::try_from(count).unwrap_or(i32::MAX).to_be_bytes());
}

pub(super) fn serialize(value: &CqlValue, out: &mut Vec<u8>) {
    match value {
        CqlValue::Ascii(s) | CqlValue::Text(s) => out.extend_from_slice(s.as_bytes()),
        CqlValue::Bigint(n) | CqlValue::Counter(n) | CqlValue::Time(n) | CqlValue::Timestamp(n) => {
            out.extend_from_slice(&n.to_be_bytes())
        }
        CqlValue::Blob(b) => out.extend_from_slice(b),
        CqlValue::Boolean(b) => out.push(u8::from(*b)),
        CqlValue::Date(d) => out.extend_from_slice(&d.to_be_bytes()),
        CqlValue::Decimal(d) => {
            let (unscaled, scale) = d.as_bigint_and_exponent();
            let scale = i32::try_from(scale).unwrap_or(if scale < 0 { i32::MIN } else { i32::MAX });
            out.extend_from_slice(&scale.to_be_bytes());
            out.extend_from_slice(&unscaled.to_signed_bytes_be());
        }
        CqlValue::Double(f) => out.extend_from_slice(&f.to_bits().to_be_bytes()),
        CqlValue::Duration { months, days, nanoseconds } => {
            vint::write_signed(i64::from(*months), out);
            vint::write_signed(i64::from(*days), out);
            vint::write_signed(*nanoseconds, out);
        }
        CqlValue::Float(f) => out.extend_from_slice(&f.to_bits().to_be_bytes()),
        CqlValue::Inet(IpAddr::V4(ip)) => out.extend_from_slice(&ip.octets()),
        CqlValue::Inet(IpAddr::V6(ip)) => out.extend_from_slice(&ip.octets()),
        CqlValue::Int(n) => out.extend_from_slice(&n.to_be_bytes()),
        CqlValue::Smallint(n) => out.extend_from_slice(&n.to_be_bytes()),
        CqlValue::Tinyint(n) => out.extend_from_slice(&n.to_be_bytes()),
        CqlValue::Timeuuid(u) | CqlValue::Uuid(u) => out.extend_from_slice(u.as_bytes()),
        CqlValue::Varint(n) => out.extend_from_slice(&n.to_signed_bytes_be()),
        CqlValue::List(items) => {
            write_count(items.len(), out);
            for item in items {
                write_length_prefixed(&item.to_bytes(), out);
            }
        }
        CqlValue::Set(items) => {
            let element_type = items.first().map_or(CqlType::BLOB, natural_type);
            let mut encoded: Vec<Vec<u8>> = items.iter().map(CqlValue::to_bytes).collect();
            encoded.sort_by(|a, b| compare::compare(&element_type, a, b));
            encoded.dedup_by(|a, b| compare::compare(&element_type, a, b) == Ordering::Equal);
            write_count(encoded.len(), out);
            for item in &encoded {
                write_length_prefixed(item, out);
            }
        }
        CqlValue::Map(entries) => {
            let key_type = entries.first().map_or(CqlType::BLOB, |(k, _)| natural_type(k));
            let mut encoded: Vec<(Vec<u8>, Vec<u8>)> =
                entries.iter().map(|(k, v)| (k.to_bytes(), v.to_bytes())).collect();
            encoded.sort_by(|a, b| compare::compare(&key_type, &a.0, &b.0));
            let mut unique: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(encoded.len());
            for (key, value) in encoded {
                match unique.last_mut() {
                    Some(last) if compare::compare(&key_type, &last.0, &key) == Ordering::Equal => last.1 = value,
                    _ => unique.push((key, value)),
                }
            }
            write_count(unique.len(), out);
            for (key, value) in &unique {
                write_length_prefixed(key, out);
                write_length_prefixed(value, out);
            }
        }
        CqlValue::Tuple(components) | CqlValue::Udt(components) => {
            for component in components {
                match component {
                    Some(v) => write_length_prefixed(&v.to_bytes(), out),
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
        }
        CqlValue::Vector(items) => {
            for item in items {
                let bytes = item.to_bytes();
                if natural_type(item).value_length_if_fixed().is_none() {
                    vint::write_unsigned(bytes.len() as u64, out);
                }
                out.extend_from_slice(&bytes);
            }
        }
    }
}

pub(super) fn natural_type(value: &CqlValue) -> CqlType {
    let native = |n| CqlType::Native(n);
    let first_or_blob = |items: &[CqlValue]| items.first().map_or(CqlType::BLOB, natural_type);
    match value {
        CqlValue::Ascii(_) => native(NativeType::Ascii),
        CqlValue::Bigint(_) => native(NativeType::Bigint),
        CqlValue::Blob(_) => native(NativeType::Blob),
        CqlValue::Boolean(_) => native(NativeType::Boolean),
        CqlValue::Counter(_) => native(NativeType::Counter),
        CqlValue::Date(_) => native(NativeType::Date),
        CqlValue::Decimal(_) => native(NativeType::Decimal),
        CqlValue::Double(_) => native(NativeType::Double),
        CqlValue::Duration { .. } => native(NativeType::Duration),
        CqlValue::Float(_) => native(NativeType::Float),
        CqlValue::Inet(_) => native(NativeType::Inet),
        CqlValue::Int(_) => native(NativeType::Int),
        CqlValue::Smallint(_) => native(NativeType::Smallint),
        CqlValue::Text(_) => native(NativeType::Text),
        CqlValue::Time(_) => native(NativeType::Time),
        CqlValue::Timestamp(_) => native(NativeType::Timestamp),
        CqlValue::Timeuuid(_) => native(NativeType::Timeuuid),
        CqlValue::Tinyint(_) => native(NativeType::Tinyint),
        CqlValue::Uuid(_) => native(NativeType::Uuid),
        CqlValue::Varint(_) => native(NativeType::Varint),
        CqlValue::List(items) => CqlType::list(first_or_blob(items)).frozen(),
        CqlValue::Set(items) => CqlType::set(first_or_blob(items)).frozen(),
        CqlValue::Map(entries) => {
            let (k, v) =
                entries.first().map_or((CqlType::BLOB, CqlType::BLOB), |(k, v)| (natural_type(k), natural_type(v)));
            CqlType::map(k, v).frozen()
        }
        CqlValue::Tuple(components) => {
            CqlType::Tuple(components.iter().map(|c| c.as_ref().map_or(CqlType::BLOB, natural_type)).collect())
        }
        CqlValue::Udt(components) => CqlType::Udt {
            keyspace: String::new(),
            name: String::new(),
            fields: components
                .iter()
                .enumerate()
                .map(|(i, c)| (i.to_string(), c.as_ref().map_or(CqlType::BLOB, natural_type)))
                .collect(),
            frozen: true,
        },
        CqlValue::Vector(items) => CqlType::Vector {
            element: Box::new(first_or_blob(items)),
            dimension: u32::try_from(items.len()).unwrap_or(u32::MAX),
        },
    }
}

/// Decodes `bytes` as `typ`; `Ok(None)` is the empty value of a type that allows one.
pub(super) fn deserialize(typ: &CqlType, bytes: &[u8]) -> Result<Option<CqlValue>, ValueError> {
    if bytes.is_empty() && typ.allows_empty() && !typ.empty_is_a_value() {
        return Ok(None);
    }
    let value = match typ {
        CqlType::Native(n) => decode_native(*n, bytes)?,
        CqlType::Custom(_) => CqlValue::Blob(bytes.to_vec()),
        CqlType::List { element, .. } => CqlValue::List(decode_elements(element, bytes, "list")?),
        CqlType::Set { element, .. } => CqlValue::Set(decode_elements(element, bytes, "set")?),
        CqlType::Map { key, value, .. } => {
            let parts = split_collection(bytes, 2, "map")?;
            let mut entries = Vec::with_capacity(parts.len() / 2);
            for pair in parts.chunks_exact(2) {
                if let [k, v] = pair {
                    entries.push((strict(key, non_null(*k)?)?, strict(value, non_null(*v)?)?));
                }
            }
            CqlValue::Map(entries)
        }
        CqlType::Tuple(types) => {
            let parts = split_tuple(bytes, types.len(), TupleKind::Tuple)?;
            CqlValue::Tuple(decode_components(types.iter(), &parts)?)
        }
        CqlType::Udt { .. } => {
            let fields = udt_fields(typ)?;
            let parts = split_tuple(bytes, fields.len(), TupleKind::Udt(fields))?;
            CqlValue::Udt(decode_components(fields.iter().map(|(_, t)| t), &parts)?)
        }
        CqlType::Vector { element, dimension } => {
            let parts = split_vector(typ, element, *dimension, bytes)?;
            CqlValue::Vector(parts.into_iter().map(|p| strict(element, p)).collect::<Result<_, _>>()?)
        }
    };
    Ok(Some(value))
}

/// Decodes a value nested in a composite, where an empty value cannot be represented.
fn strict(typ: &CqlType, bytes: &[u8]) -> Result<CqlValue, ValueError> {
    deserialize(typ, bytes)?.ok_or_else(|| ValueError(format!("Empty value for type {typ}")))
}

pub(super) fn non_null(part: Option<&[u8]>) -> Result<&[u8], ValueError> {
    part.ok_or_else(|| ValueError::new("null is not supported inside collections"))
}

fn decode_elements(element: &CqlType, bytes: &[u8], what: &str) -> Result<Vec<CqlValue>, ValueError> {
    split_collection(bytes, 1, what)?.into_iter().map(|p| strict(element, non_null(p)?)).collect()
}

fn decode_components<'t>(
    types: impl Iterator<Item = &'t CqlType>,
    parts: &[Option<&[u8]>],
) -> Result<Vec<Option<CqlValue>>, ValueError> {
    types
        .enumerate()
        .map(|(i, t)| match parts.get(i).copied().flatten() {
            Some(bytes) => strict(t, bytes).map(Some),
            None => Ok(None),
        })
        .collect()
}

fn fixed<const N: usize>(bytes: &[u8], message: impl FnOnce(usize) -> String) -> Result<[u8; N], ValueError> {
    <[u8; N]>::try_from(bytes).map_err(|_| ValueError(message(bytes.len())))
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a non-empty serialized native value (or an empty one of a type that rejects empty values)
/// without building it.
pub(super) fn check_native(n: NativeType, bytes: &[u8]) -> Result<(), ValueError> {
    match n {
        NativeType::Text => {
            std::str::from_utf8(bytes).map_err(|_| ValueError::new("String didn't validate."))?;
            Ok(())
        }
        NativeType::Ascii => match bytes.iter().find(|b| !b.is_ascii()) {
            Some(b) => Err(ValueError(format!("Invalid byte for ascii: {}", *b as i8))),
            None => Ok(()),
        },
        NativeType::Blob | NativeType::Varint => Ok(()),
        NativeType::Decimal => decimal_parts(bytes).map(|_| ()),
        _ => decode_native(n, bytes).map(|_| ()),
    }
}

fn decimal_parts(bytes: &[u8]) -> Result<(i32, &[u8]), ValueError> {
    let Some((scale, unscaled)) = bytes.split_first_chunk::<4>() else {
        return Err(ValueError(format!("Expected 0 or at least 4 bytes ({})", bytes.len())));
    };
    if unscaled.is_empty() {
        return Err(ValueError::new("Invalid decimal: no bytes for the unscaled value"));
    }
    Ok((i32::from_be_bytes(*scale), unscaled))
}

fn decode_native(n: NativeType, b: &[u8]) -> Result<CqlValue, ValueError> {
    Ok(match n {
        NativeType::Ascii => {
            check_native(n, b)?;
            CqlValue::Ascii(String::from_utf8_lossy(b).into_owned())
        }
        NativeType::Text => {
            CqlValue::Text(String::from_utf8(b.to_vec()).map_err(|_| ValueError::new("String didn't validate."))?)
        }
        NativeType::Blob => CqlValue::Blob(b.to_vec()),
        NativeType::Bigint | NativeType::Counter => {
            let n8 = i64::from_be_bytes(fixed(b, |len| format!("Expected 8 or 0 byte long ({len})"))?);
            if n == NativeType::Counter {
                CqlValue::Counter(n8)
            } else {
                CqlValue::Bigint(n8)
            }
        }
        NativeType::Int => {
            CqlValue::Int(i32::from_be_bytes(fixed(b, |len| format!("Expected 4 or 0 byte int ({len})"))?))
        }
        NativeType::Smallint => {
            CqlValue::Smallint(i16::from_be_bytes(fixed(b, |len| format!("Expected 2 bytes for a smallint ({len})"))?))
        }
        NativeType::Tinyint => {
            CqlValue::Tinyint(i8::from_be_bytes(fixed(b, |len| format!("Expected 1 byte for a tinyint ({len})"))?))
        }
        NativeType::Boolean => {
            let [byte] = fixed(b, |len| format!("Expected 1 or 0 byte value ({len})"))?;
            CqlValue::Boolean(byte != 0)
        }
        NativeType::Float => CqlValue::Float(f32::from_bits(u32::from_be_bytes(fixed(b, |len| {
            format!("Expected 4 or 0 byte value for a float ({len})")
        })?))),
        NativeType::Double => CqlValue::Double(f64::from_bits(u64::from_be_bytes(fixed(b, |len| {
            format!("Expected 8 or 0 byte value for a double ({len})")
        })?))),
        NativeType::Timestamp => CqlValue::Timestamp(i64::from_be_bytes(fixed(b, |len| {
            format!("Expected 8 or 0 byte long for date ({len})")
        })?)),
        NativeType::Date => {
            CqlValue::Date(u32::from_be_bytes(fixed(b, |len| format!("Expected 4 byte long for date ({len})"))?))
        }
        NativeType::Time => {
            CqlValue::Time(i64::from_be_bytes(fixed(b, |len| format!("Expected 8 byte long for time ({len})"))?))
        }
        NativeType::Uuid => {
            CqlValue::Uuid(Uuid::from_bytes(fixed(b, |len| format!("UUID should be 16 or 0 bytes ({len})"))?))
        }
        NativeType::Timeuuid => {
            let bytes: [u8; 16] = fixed(b, |len| format!("UUID should be 16 or 0 bytes ({len})"))?;
            if super::order::uuid_version(&bytes) != 1 {
                return Err(ValueError::new("Invalid version for TimeUUID type."));
            }
            CqlValue::Timeuuid(Uuid::from_bytes(bytes))
        }
        NativeType::Inet => match b.len() {
            4 => CqlValue::Inet(IpAddr::V4(Ipv4Addr::from(fixed::<4>(b, |_| String::new())?))),
            16 => CqlValue::Inet(IpAddr::V6(Ipv6Addr::from(fixed::<16>(b, |_| String::new())?))),
            _ => return Err(ValueError(format!("Expected 4 or 16 byte inetaddress; got {}", hex(b)))),
        },
        NativeType::Varint => {
            if b.is_empty() {
                return Err(ValueError::new("Empty value for type varint"));
            }
            CqlValue::Varint(BigInt::from_signed_bytes_be(b))
        }
        NativeType::Decimal => {
            let (scale, unscaled) = decimal_parts(b)?;
            CqlValue::Decimal(BigDecimal::new(BigInt::from_signed_bytes_be(unscaled), i64::from(scale)))
        }
        NativeType::Duration => decode_duration(b)?,
    })
}

fn decode_duration(b: &[u8]) -> Result<CqlValue, ValueError> {
    if b.len() < 3 {
        return Err(ValueError(format!("Expected at least 3 bytes for a duration ({})", b.len())));
    }
    let underflow = || ValueError::new("Not enough bytes to read a duration");
    let mut pos = 0;
    let months = vint::read_signed(b, &mut pos).ok_or_else(underflow)?;
    let days = vint::read_signed(b, &mut pos).ok_or_else(underflow)?;
    let nanoseconds = vint::read_signed(b, &mut pos).ok_or_else(underflow)?;
    if pos != b.len() {
        return Err(ValueError::new("Unexpected extraneous bytes after duration value"));
    }
    let months = i32::try_from(months)
        .map_err(|_| ValueError(format!("The duration months must be a 32 bits integer but was: {months}")))?;
    let days = i32::try_from(days)
        .map_err(|_| ValueError(format!("The duration days must be a 32 bits integer but was: {days}")))?;
    let all_non_negative = months >= 0 && days >= 0 && nanoseconds >= 0;
    let all_non_positive = months <= 0 && days <= 0 && nanoseconds <= 0;
    if !(all_non_negative || all_non_positive) {
        return Err(ValueError(format!(
            "The duration months, days and nanoseconds must be all of the same sign ({months}, {days}, {nanoseconds})"
        )));
    }
    Ok(CqlValue::Duration { months, days, nanoseconds })
}
