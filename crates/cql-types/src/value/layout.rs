//! Splitting serialized composite values (collections, tuples, UDTs, vectors) into their element bytes,
//! with Cassandra's error messages for malformed input. Shared by decoding, validation, comparison,
//! literal printing and key encoding.

use crate::{CqlType, ValueError};

/// Reads a big-endian `i32` at `*pos`, advancing it.
pub(crate) fn read_i32(bytes: &[u8], pos: &mut usize) -> Option<i32> {
    let chunk: [u8; 4] = bytes.get(*pos..*pos + 4)?.try_into().ok()?;
    *pos += 4;
    Some(i32::from_be_bytes(chunk))
}

/// Reads `len` bytes at `*pos`, advancing it.
pub(crate) fn read_slice<'a>(bytes: &'a [u8], pos: &mut usize, len: usize) -> Option<&'a [u8]> {
    let end = pos.checked_add(len)?;
    let slice = bytes.get(*pos..end)?;
    *pos = end;
    Some(slice)
}

/// The values of a serialized list, set (`per_element == 1`) or map (`per_element == 2`, keys and values
/// alternating), `None` for a null (negative length) value. `what` names the collection in messages.
pub(crate) fn split_collection<'a>(
    bytes: &'a [u8],
    per_element: usize,
    what: &str,
) -> Result<Vec<Option<&'a [u8]>>, ValueError> {
    let underflow = || ValueError(format!("Not enough bytes to read a {what}"));
    let mut pos = 0;
    let count = read_i32(bytes, &mut pos).ok_or_else(underflow)?;
    let count = usize::try_from(count)
        .map_err(|_| ValueError(format!("The data cannot be deserialized as a {what}")))?
        .checked_mul(per_element)
        .ok_or_else(underflow)?;
    let mut values = Vec::with_capacity(count.min(bytes.len() / 4));
    for _ in 0..count {
        let len = read_i32(bytes, &mut pos).ok_or_else(underflow)?;
        match usize::try_from(len) {
            Ok(len) => values.push(Some(read_slice(bytes, &mut pos, len).ok_or_else(underflow)?)),
            Err(_) => values.push(None),
        }
    }
    if pos != bytes.len() {
        return Err(ValueError(format!("Unexpected extraneous bytes after {what} value")));
    }
    Ok(values)
}

/// What a tuple-shaped value is, for messages.
#[derive(Clone, Copy)]
pub(crate) enum TupleKind<'t> {
    Tuple,
    Udt(&'t [(String, CqlType)]),
}

impl TupleKind<'_> {
    fn describe(self, i: usize) -> String {
        match self {
            TupleKind::Tuple => format!("{i}th component"),
            TupleKind::Udt(fields) => {
                format!("{i}th field {}", fields.get(i).map(|(name, _)| name.as_str()).unwrap_or_default())
            }
        }
    }
}

/// The components of a serialized tuple or UDT with `arity` declared components, `None` for null ones.
/// Fewer components than declared is allowed (fields added later), more is not.
pub(crate) fn split_tuple<'a>(
    bytes: &'a [u8],
    arity: usize,
    kind: TupleKind<'_>,
) -> Result<Vec<Option<&'a [u8]>>, ValueError> {
    let mut pos = 0;
    let mut components = Vec::with_capacity(arity.min(bytes.len() / 4 + 1));
    for i in 0..arity {
        if pos == bytes.len() {
            break;
        }
        let len = read_i32(bytes, &mut pos)
            .ok_or_else(|| ValueError(format!("Not enough bytes to read size of {}", kind.describe(i))))?;
        match usize::try_from(len) {
            Ok(len) => components.push(Some(
                read_slice(bytes, &mut pos, len)
                    .ok_or_else(|| ValueError(format!("Not enough bytes to read {}", kind.describe(i))))?,
            )),
            Err(_) => components.push(None),
        }
    }
    if pos != bytes.len() {
        let what = match kind {
            TupleKind::Tuple => "tuple",
            TupleKind::Udt(_) => "UDT",
        };
        return Err(ValueError(format!("Invalid remaining data after end of {what} value")));
    }
    Ok(components)
}

/// The elements of a serialized `vector<element, dimension>` (`typ` is the vector type, for messages).
pub(crate) fn split_vector<'a>(
    typ: &CqlType,
    element: &CqlType,
    dimension: u32,
    bytes: &'a [u8],
) -> Result<Vec<&'a [u8]>, ValueError> {
    if bytes.is_empty() {
        return Err(ValueError::new("Invalid empty vector value"));
    }
    let dimension = usize::try_from(dimension).unwrap_or(usize::MAX);
    let underflow = || ValueError(format!("Not enough bytes to read a {typ}"));
    let mut elements = Vec::with_capacity(dimension.min(bytes.len()));
    let mut pos = 0;
    match element.value_length_if_fixed() {
        Some(size) => {
            let expected = size.checked_mul(dimension).ok_or_else(underflow)?;
            if bytes.len() < expected {
                return Err(underflow());
            }
            for _ in 0..dimension {
                elements.push(read_slice(bytes, &mut pos, size).ok_or_else(underflow)?);
            }
        }
        None => {
            for _ in 0..dimension {
                if pos >= bytes.len() {
                    return Err(underflow());
                }
                let len = crate::vint::read_unsigned(bytes, &mut pos).ok_or_else(underflow)?;
                let len = usize::try_from(len).map_err(|_| underflow())?;
                elements.push(read_slice(bytes, &mut pos, len).ok_or_else(underflow)?);
            }
        }
    }
    if pos != bytes.len() {
        return Err(ValueError(format!("Unexpected {} extraneous bytes after {typ} value", bytes.len() - pos)));
    }
    Ok(elements)
}

/// The (name, type) of each field of a UDT type, or an error for an unresolved UDT.
pub(crate) fn udt_fields(typ: &CqlType) -> Result<&[(String, CqlType)], ValueError> {
    match typ {
        CqlType::Udt { fields, name, .. } if fields.is_empty() => {
            Err(ValueError(format!("User type {name} is not resolved (its fields are unknown)")))
        }
        CqlType::Udt { fields, .. } => Ok(fields),
        other => Err(ValueError(format!("{other} is not a user-defined type"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list_bytes(elements: &[&[u8]]) -> Vec<u8> {
        let mut out = (elements.len() as i32).to_be_bytes().to_vec();
        for e in elements {
            out.extend_from_slice(&(e.len() as i32).to_be_bytes());
            out.extend_from_slice(e);
        }
        out
    }

    #[test]
    fn collection_splits_into_length_prefixed_elements() {
        let bytes = list_bytes(&[b"ab", b""]);
        assert_eq!(split_collection(&bytes, 1, "list").unwrap(), vec![Some(&b"ab"[..]), Some(&b""[..])]);
    }

    #[test]
    fn collection_with_missing_bytes_is_rejected() {
        let mut bytes = list_bytes(&[b"ab"]);
        bytes.pop();
        assert_eq!(split_collection(&bytes, 1, "list").unwrap_err().0, "Not enough bytes to read a list");
    }

    #[test]
    fn collection_with_trailing_bytes_is_rejected() {
        let mut bytes = list_bytes(&[b"ab"]);
        bytes.push(0);
        assert_eq!(split_collection(&bytes, 1, "set").unwrap_err().0, "Unexpected extraneous bytes after set value");
    }

    #[test]
    fn collection_with_negative_count_is_rejected() {
        assert_eq!(
            split_collection(&(-1i32).to_be_bytes(), 1, "map").unwrap_err().0,
            "The data cannot be deserialized as a map"
        );
    }

    #[test]
    fn tuple_may_have_fewer_components_than_declared() {
        let bytes = [0, 0, 0, 1, 7];
        assert_eq!(split_tuple(&bytes, 3, TupleKind::Tuple).unwrap(), vec![Some(&[7u8][..])]);
    }

    #[test]
    fn tuple_negative_length_is_null() {
        let bytes = [0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(split_tuple(&bytes, 1, TupleKind::Tuple).unwrap(), vec![None]);
    }

    #[test]
    fn tuple_with_extra_components_is_rejected() {
        let bytes = [0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            split_tuple(&bytes, 1, TupleKind::Tuple).unwrap_err().0,
            "Invalid remaining data after end of tuple value"
        );
    }

    #[test]
    fn udt_messages_name_the_field() {
        let fields = vec![("street".to_string(), CqlType::TEXT)];
        let bytes = [0, 0, 0, 5, b'a'];
        assert_eq!(
            split_tuple(&bytes, 1, TupleKind::Udt(&fields)).unwrap_err().0,
            "Not enough bytes to read 0th field street"
        );
    }
}
