//! Partition keys: Cassandra's serialized form, and the token-ordered storage key built from it.

use crate::token::murmur3_token;
use crate::ValueError;

/// The largest serialized partition key Cassandra accepts.
const MAX_KEY_LENGTH: usize = 65_535;

/// Cassandra's serialization of a partition key from its components' serialized values: a single
/// component is its value itself; several are in `CompositeType` form, each as a big-endian `u16`
/// length, the bytes and a `0x00` end-of-component byte. The token is computed over this.
///
/// Check the result with [`validate_partition_key`]: a component longer than 65535 bytes cannot be
/// represented (its length field is saturated and the key is then rejected as too long).
pub fn serialize_partition_key(components: &[&[u8]]) -> Vec<u8> {
    match components {
        [single] => single.to_vec(),
        _ => {
            let mut out = Vec::with_capacity(components.iter().map(|c| c.len() + 3).sum());
            for component in components {
                out.extend_from_slice(&u16::try_from(component.len()).unwrap_or(u16::MAX).to_be_bytes());
                out.extend_from_slice(component);
                out.push(0);
            }
            out
        }
    }
}

/// Checks a serialized partition key as Cassandra does before writing or reading it:
/// `Key may not be empty`, `Key length of 70000 is longer than maximum of 65535`.
pub fn validate_partition_key(serialized: &[u8]) -> Result<(), ValueError> {
    if serialized.is_empty() {
        return Err(ValueError::new("Key may not be empty"));
    }
    if serialized.len() > MAX_KEY_LENGTH {
        return Err(ValueError(format!(
            "Key length of {} is longer than maximum of {MAX_KEY_LENGTH}",
            serialized.len()
        )));
    }
    Ok(())
}

/// The components of a serialized partition key with `component_count` components (the inverse of
/// [`serialize_partition_key`]).
pub fn split_partition_key(component_count: usize, serialized: &[u8]) -> Result<Vec<Vec<u8>>, ValueError> {
    match component_count {
        0 => Err(ValueError::new("A partition key has at least one component")),
        1 => Ok(vec![serialized.to_vec()]),
        _ => {
            let malformed = || ValueError(format!("Invalid composite partition key of {component_count} components"));
            let mut components = Vec::with_capacity(component_count);
            let mut rest = serialized;
            for _ in 0..component_count {
                let (len, after) = rest.split_first_chunk::<2>().ok_or_else(malformed)?;
                let len = usize::from(u16::from_be_bytes(*len));
                let (value, after) = after.split_at_checked(len).ok_or_else(malformed)?;
                let (end_of_component, after) = after.split_first().ok_or_else(malformed)?;
                if *end_of_component != 0 {
                    return Err(malformed());
                }
                components.push(value.to_vec());
                rest = after;
            }
            if !rest.is_empty() {
                return Err(malformed());
            }
            Ok(components)
        }
    }
}

/// A token as 8 bytes whose memcmp order is the tokens' signed order (sign bit flipped, big-endian).
pub fn token_prefix(token: i64) -> [u8; 8] {
    ((token as u64) ^ (1 << 63)).to_be_bytes()
}

/// The storage key of a partition: [`token_prefix`] of its Murmur3 token, then the serialized key.
pub fn storage_key(serialized_partition_key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + serialized_partition_key.len());
    out.extend_from_slice(&token_prefix(murmur3_token(serialized_partition_key)));
    out.extend_from_slice(serialized_partition_key);
    out
}

/// The token a storage key starts with.
pub fn token_of_storage_key(key: &[u8]) -> Result<i64, ValueError> {
    let (prefix, _) = key
        .split_first_chunk::<8>()
        .ok_or_else(|| ValueError(format!("A storage key has at least 8 bytes ({})", key.len())))?;
    Ok((u64::from_be_bytes(*prefix) ^ (1 << 63)) as i64)
}

/// The serialized partition key inside a storage key (empty if the key is shorter than a token).
pub fn partition_key_of_storage_key(key: &[u8]) -> &[u8] {
    key.get(8..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_component_key_is_the_value_itself() {
        assert_eq!(serialize_partition_key(&[&[0, 0, 0, 1]]), vec![0, 0, 0, 1]);
    }

    #[test]
    fn composite_key_has_length_value_and_end_of_component_byte() {
        let key = serialize_partition_key(&[&[0, 0, 0, 1], b"ab"]);
        assert_eq!(key, vec![0, 4, 0, 0, 0, 1, 0, 0, 2, b'a', b'b', 0]);
    }

    #[test]
    fn composite_key_splits_back_into_components() {
        let key = serialize_partition_key(&[&[0, 0, 0, 1], b"", b"xyz"]);
        assert_eq!(split_partition_key(3, &key).unwrap(), vec![vec![0, 0, 0, 1], vec![], b"xyz".to_vec()]);
    }

    #[test]
    fn composite_key_with_wrong_component_count_is_rejected() {
        let key = serialize_partition_key(&[&[1], &[2]]);
        assert!(split_partition_key(3, &key).is_err());
        assert!(split_partition_key(2, &key[..key.len() - 1]).is_err());
    }

    #[test]
    fn empty_partition_key_is_rejected() {
        assert_eq!(validate_partition_key(&[]).unwrap_err().0, "Key may not be empty");
    }

    #[test]
    fn oversized_partition_key_is_rejected() {
        assert_eq!(
            validate_partition_key(&vec![0; 70_000]).unwrap_err().0,
            "Key length of 70000 is longer than maximum of 65535"
        );
    }

    #[test]
    fn token_prefix_orders_tokens_by_memcmp() {
        let tokens = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX];
        for pair in tokens.windows(2) {
            assert!(token_prefix(pair[0]) < token_prefix(pair[1]));
        }
    }

    #[test]
    fn storage_key_starts_with_the_token_and_ends_with_the_key() {
        let key = storage_key(&1i32.to_be_bytes());
        assert_eq!(token_of_storage_key(&key).unwrap(), -4069959284402364209);
        assert_eq!(partition_key_of_storage_key(&key), &[0, 0, 0, 1]);
    }

    #[test]
    fn storage_keys_sort_by_token() {
        let mut keys: Vec<Vec<u8>> = (1..=20i32).map(|k| storage_key(&k.to_be_bytes())).collect();
        keys.sort();
        let tokens: Vec<i64> = keys.iter().map(|k| token_of_storage_key(k).unwrap()).collect();
        let mut sorted = tokens.clone();
        sorted.sort();
        assert_eq!(tokens, sorted);
    }

    #[test]
    fn short_storage_key_has_no_token() {
        assert!(token_of_storage_key(&[1, 2, 3]).is_err());
        assert_eq!(partition_key_of_storage_key(&[1, 2, 3]), &[] as &[u8]);
    }
}
