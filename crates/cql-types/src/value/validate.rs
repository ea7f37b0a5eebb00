//! Validation of serialized values, as Cassandra's serializers `validate` them, without building values.

use super::codec::{check_native, non_null};
use super::layout::{split_collection, split_tuple, split_vector, udt_fields, TupleKind};
use super::ValueError;
use crate::CqlType;

pub(super) fn validate(typ: &CqlType, bytes: &[u8]) -> Result<(), ValueError> {
    if bytes.is_empty() && typ.allows_empty() {
        return Ok(());
    }
    match typ {
        CqlType::Native(n) => check_native(*n, bytes),
        CqlType::Custom(_) => Ok(()),
        CqlType::List { element, .. } => validate_all(element, &split_collection(bytes, 1, "list")?),
        CqlType::Set { element, .. } => validate_all(element, &split_collection(bytes, 1, "set")?),
        CqlType::Map { key, value, .. } => {
            for pair in split_collection(bytes, 2, "map")?.chunks_exact(2) {
                if let [k, v] = pair {
                    validate(key, non_null(*k)?)?;
                    validate(value, non_null(*v)?)?;
                }
            }
            Ok(())
        }
        CqlType::Tuple(types) => {
            let parts = split_tuple(bytes, types.len(), TupleKind::Tuple)?;
            validate_components(types.iter(), &parts)
        }
        CqlType::Udt { .. } => {
            let fields = udt_fields(typ)?;
            let parts = split_tuple(bytes, fields.len(), TupleKind::Udt(fields))?;
            validate_components(fields.iter().map(|(_, t)| t), &parts)
        }
        CqlType::Vector { element, dimension } => {
            split_vector(typ, element, *dimension, bytes)?.into_iter().try_for_each(|e| validate(element, e))
        }
    }
}

fn validate_all(element: &CqlType, parts: &[Option<&[u8]>]) -> Result<(), ValueError> {
    parts.iter().try_for_each(|p| validate(element, non_null(*p)?))
}

fn validate_components<'t>(
    types: impl Iterator<Item = &'t CqlType>,
    parts: &[Option<&[u8]>],
) -> Result<(), ValueError> {
    types.zip(parts.iter()).try_for_each(|(t, p)| match p {
        Some(bytes) => validate(t, bytes),
        None => Ok(()),
    })
}
