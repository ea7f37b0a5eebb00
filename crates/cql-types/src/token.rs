//! Cassandra's `Murmur3Partitioner` token: the first 64-bit half of MurmurHash3 x64 128 (seed 0) over
//! the serialized partition key ([`crate::key::serialize_partition_key`]), computed as Cassandra's
//! `MurmurHash.hash3_x64_128` does it, including its quirk of reading the tail bytes as *signed* bytes.
//! `i64::MIN` is reserved for the minimum token, so a hash equal to it becomes `i64::MAX`; the empty key
//! has the minimum token.

const C1: u64 = 0x87c3_7b91_1142_53d5;
const C2: u64 = 0x4cf5_ad43_2745_937f;

fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

fn mix_k1(k1: u64) -> u64 {
    k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2)
}

fn mix_k2(k2: u64) -> u64 {
    k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1)
}

/// A tail byte as Cassandra reads it: sign-extended to 64 bits.
fn signed(b: u8) -> u64 {
    i64::from(b as i8) as u64
}

/// Cassandra's `MurmurHash.hash3_x64_128(key, 0, key.length, seed)`: both 64-bit halves.
pub fn murmur3_x64_128(key: &[u8], seed: u64) -> (u64, u64) {
    let mut h1 = seed;
    let mut h2 = seed;
    let mut blocks = key.chunks_exact(16);
    for block in &mut blocks {
        let (lo, hi) = block.split_at(8);
        let k1 = u64::from_le_bytes(lo.try_into().unwrap_or_default());
        let k2 = u64::from_le_bytes(hi.try_into().unwrap_or_default());
        h1 ^= mix_k1(k1);
        h1 = h1.rotate_left(27).wrapping_add(h2).wrapping_mul(5).wrapping_add(0x52dc_e729);
        h2 ^= mix_k2(k2);
        h2 = h2.rotate_left(31).wrapping_add(h1).wrapping_mul(5).wrapping_add(0x3849_5ab5);
    }
    let tail = blocks.remainder();
    let mut k1: u64 = 0;
    let mut k2: u64 = 0;
    for (i, b) in tail.iter().enumerate().rev() {
        if i >= 8 {
            k2 ^= signed(*b) << ((i - 8) * 8);
        } else {
            k1 ^= signed(*b) << (i * 8);
        }
    }
    if tail.len() > 8 {
        h2 ^= mix_k2(k2);
    }
    if !tail.is_empty() {
        h1 ^= mix_k1(k1);
    }
    let len = key.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}

/// The Murmur3Partitioner token of a serialized partition key.
pub fn murmur3_token(key: &[u8]) -> i64 {
    if key.is_empty() {
        return i64::MIN;
    }
    let token = murmur3_x64_128(key, 0).0 as i64;
    if token == i64::MIN {
        i64::MAX
    } else {
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `SELECT token(id)` for int keys 1..=20, from the cassandra-dtest replication test's table of
    /// "pre-computed murmur 3 hashes" (and key 1 from cqlsh's own test suite).
    #[test]
    fn int_keys_have_cassandras_tokens() {
        let expected: [(i32, i64); 20] = [
            (1, -4069959284402364209),
            (2, -3248873570005575792),
            (3, 9010454139840013625),
            (4, -2729420104000364805),
            (5, -7509452495886106294),
            (6, 2705480034054113608),
            (7, 1634052884888577606),
            (8, -3799847372828181882),
            (9, 3728482343045213994),
            (10, -6715243485458697746),
            (11, -4156302194539278891),
            (12, 8582886034424406875),
            (13, -5034495173465742853),
            (14, 4279681877540623768),
            (15, -1191135763843456182),
            (16, -5477287129830487822),
            (17, 5467144456125416399),
            (18, -2695747960476065067),
            (19, -3974532302236993209),
            (20, 1388667306199997068),
        ];
        for (key, token) in expected {
            assert_eq!(murmur3_token(&key.to_be_bytes()), token, "key {key}");
        }
    }

    /// Known answers published by the DataStax drivers' token tests ("inputs and result values from
    /// Cassandra"), covering full blocks and tails with high (negative) bytes.
    #[test]
    fn byte_keys_have_cassandras_tokens() {
        let cases: [(&[u8], i64); 10] = [
            (&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], -5563837382979743776),
            (&[2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], -1513403162740402161),
            (&[255; 16], -2824192546314762522),
            (&[0, 1, 2, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255], 6463632673159404390),
            (&[254; 17], -1672437813826982685),
            (&[254, 254, 254, 254], 4566408979886474012),
            (&[0, 0, 0, 0], -3485513579396041028),
            (&[0, 1, 127, 127], 6573459401642635627),
            (&[226, 231, 226, 231, 226, 231, 1], 2222373981930033306),
            (&[0, 0, 0, 0, 0, 0, 0, 0x80], 78142285821850151),
        ];
        for (key, token) in cases {
            assert_eq!(murmur3_token(key), token, "key {key:?}");
        }
    }

    #[test]
    fn text_keys_have_cassandras_tokens() {
        assert_eq!(murmur3_token(b"123"), -7468325962851647638);
        assert_eq!(murmur3_token(b"9223372036854775807"), 7162290910810015547);
        assert_eq!(murmur3_token(&[0xfe; 8]), -8927430733708461935);
        assert_eq!(murmur3_token(&[0x10; 8]), 1446172840243228796);
    }

    #[test]
    fn long_key_spanning_several_blocks_has_cassandras_token() {
        let key: Vec<u8> = [0x00, 0xff, 0x10, 0xfa, 0x99].repeat(10);
        assert_eq!(murmur3_token(&key), 5837342703291459765);
    }

    #[test]
    fn empty_key_has_the_minimum_token() {
        assert_eq!(murmur3_token(&[]), i64::MIN);
    }
}
