//! Byte-comparable key encodings: the storage engine sorts partitions and rows with plain `memcmp`,
//! so keys are stored in these forms.
//!
//! * A **storage key** ([`storage_key`]) orders partitions as Cassandra does: by Murmur3 token, then by
//!   the serialized partition key's bytes. It is the token as 8 order-preserving bytes
//!   ([`token_prefix`]) followed by the serialized partition key ([`serialize_partition_key`], which is
//!   also what the token is computed over). It is not prefix-free: store it length-delimited if another
//!   key is appended to it.
//! * A **clustering key** is the concatenation of one code per clustering column
//!   ([`encode_clustering_component`]), whose memcmp order is the rows' order: each code preserves
//!   Cassandra's comparator order for its type (reversed for `DESC` columns), no code is a prefix of
//!   another, and each code's first byte is in `0x01..=0xFE`. So a clustering prefix sorts before every
//!   key extending it and [`prefix_end`] (the prefix followed by `0xFF`) after all of them.

mod clustering;
mod partition;

pub use clustering::{decode_clustering, encode_clustering, encode_clustering_component, prefix_end};
pub use partition::{
    partition_key_of_storage_key, serialize_partition_key, split_partition_key, storage_key, token_of_storage_key,
    token_prefix, validate_partition_key,
};
