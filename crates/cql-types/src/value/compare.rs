//! Cassandra's comparators on serialized values.

use std::cmp::Ordering;

use num_bigint::BigInt;

use super::layout::{split_collection, split_tuple, split_vector, TupleKind};
use super::order::{double_sort_key, float_sort_key, signed_be_cmp, timeuuid_cmp, uuid_cmp, DecimalParts};
use crate::{CqlType, NativeType};

pub(crate) fn compare(typ: &CqlType, a: &[u8], b: &[u8]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (false, false) => {}
    }
    let structured = match typ {
        CqlType::Native(n) => Some(compare_native(*n, a, b)),
        CqlType::Custom(_) => None,
        CqlType::List { element, .. } | CqlType::Set { element, .. } => {
            let what = if matches!(typ, CqlType::List { .. }) { "list" } else { "set" };
            match (split_collection(a, 1, what), split_collection(b, 1, what)) {
                (Ok(xs), Ok(ys)) => Some(compare_sequences(&xs, &ys, |_| element)),
                _ => None,
            }
        }
        CqlType::Map { key, value, .. } => match (split_collection(a, 2, "map"), split_collection(b, 2, "map")) {
            (Ok(xs), Ok(ys)) => Some(compare_sequences(&xs, &ys, |i| if i % 2 == 0 { key } else { value })),
            _ => None,
        },
        CqlType::Tuple(types) => compare_tuples(types.iter().collect(), a, b),
        CqlType::Udt { fields, .. } => compare_tuples(fields.iter().map(|(_, t)| t).collect(), a, b),
        CqlType::Vector { element, dimension } => {
            match (split_vector(typ, element, *dimension, a), split_vector(typ, element, *dimension, b)) {
                (Ok(xs), Ok(ys)) => Some(
                    xs.iter()
                        .zip(ys.iter())
                        .map(|(x, y)| compare(element, x, y))
                        .find(|o| o.is_ne())
                        .unwrap_or(Ordering::Equal),
                ),
                _ => None,
            }
        }
    };
    structured.unwrap_or_else(|| a.cmp(b))
}

fn trim_trailing_nulls(mut parts: Vec<Option<&[u8]>>) -> Vec<Option<&[u8]>> {
    while parts.last().is_some_and(Option::is_none) {
        parts.pop();
    }
    parts
}

/// Element by element (a null element first), then the shorter first.
fn compare_sequences<'t>(
    xs: &[Option<&[u8]>],
    ys: &[Option<&[u8]>],
    type_of: impl Fn(usize) -> &'t CqlType,
) -> Ordering {
    for (i, (x, y)) in xs.iter().zip(ys.iter()).enumerate() {
        let order = match (x, y) {
            (Some(x), Some(y)) => compare(type_of(i), x, y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        };
        if order.is_ne() {
            return order;
        }
    }
    xs.len().cmp(&ys.len())
}

/// Component by component, null before any value; trailing nulls (and missing components) are ignored.
fn compare_tuples(types: Vec<&CqlType>, a: &[u8], b: &[u8]) -> Option<Ordering> {
    let xs = trim_trailing_nulls(split_tuple(a, types.len(), TupleKind::Tuple).ok()?);
    let ys = trim_trailing_nulls(split_tuple(b, types.len(), TupleKind::Tuple).ok()?);
    Some(compare_sequences(&xs, &ys, |i| types.get(i).copied().unwrap_or(&CqlType::BLOB)))
}

fn compare_native(n: NativeType, a: &[u8], b: &[u8]) -> Ordering {
    match n {
        NativeType::Int
        | NativeType::Bigint
        | NativeType::Counter
        | NativeType::Smallint
        | NativeType::Tinyint
        | NativeType::Timestamp => signed_be_cmp(a, b),
        NativeType::Boolean => match (a.first(), b.first()) {
            (Some(x), Some(y)) => (*x != 0).cmp(&(*y != 0)),
            _ => a.cmp(b),
        },
        NativeType::Float => match (<[u8; 4]>::try_from(a), <[u8; 4]>::try_from(b)) {
            (Ok(x), Ok(y)) => float_sort_key(u32::from_be_bytes(x)).cmp(&float_sort_key(u32::from_be_bytes(y))),
            _ => a.cmp(b),
        },
        NativeType::Double => match (<[u8; 8]>::try_from(a), <[u8; 8]>::try_from(b)) {
            (Ok(x), Ok(y)) => double_sort_key(u64::from_be_bytes(x)).cmp(&double_sort_key(u64::from_be_bytes(y))),
            _ => a.cmp(b),
        },
        NativeType::Varint => BigInt::from_signed_bytes_be(a).cmp(&BigInt::from_signed_bytes_be(b)),
        NativeType::Decimal => match (DecimalParts::from_serialized(a), DecimalParts::from_serialized(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => a.cmp(b),
        },
        NativeType::Uuid => match (<&[u8; 16]>::try_from(a), <&[u8; 16]>::try_from(b)) {
            (Ok(x), Ok(y)) => uuid_cmp(x, y),
            _ => a.cmp(b),
        },
        NativeType::Timeuuid => match (<&[u8; 16]>::try_from(a), <&[u8; 16]>::try_from(b)) {
            (Ok(x), Ok(y)) => timeuuid_cmp(x, y),
            _ => a.cmp(b),
        },
        NativeType::Ascii
        | NativeType::Text
        | NativeType::Blob
        | NativeType::Inet
        | NativeType::Date
        | NativeType::Time
        | NativeType::Duration => a.cmp(b),
    }
}
