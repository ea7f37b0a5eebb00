//! The bloom filter over partition keys, and the 64-bit key hash it uses.
//!
//! Bit `i` of the filter is bit `i % 64` of little-endian word `i / 64`. A key sets the `k` bits
//! `(h1 + j·h2) mod m` for `j` in `0..k` (Kirsch–Mitzenmacher double hashing), where `h1` is
//! [`hash64`] of the key and `h2` is an odd number derived from `h1` by a second mixing step.
//! The hash is part of the file format: changing it needs a new format version.

/// Serialized filter: `m (bits) u64 | k u32 | reserved u32 | m/64 words u64`.
pub(crate) const BLOOM_HEADER_LEN: usize = 16;

const K0: u64 = 0x9e37_79b9_7f4a_7c15;
const K1: u64 = 0xc2b2_ae3d_27d4_eb4f;
const K2: u64 = 0x1656_67b1_9e37_79f9;

/// Multiplies to 128 bits and folds the halves together: every input bit reaches many output bits.
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// A bijective final mix (xor-shift-multiply rounds) so that close inputs land far apart.
fn finalize(mut x: u64) -> u64 {
    x ^= x >> 32;
    x = x.wrapping_mul(0xd6e8_feb8_6659_fd93);
    x ^= x >> 29;
    x = x.wrapping_mul(0xa5cb_9243_a6ac_0e8b);
    x ^ (x >> 32)
}

fn read_le(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

/// The 64-bit hash of a key used by the bloom filter. Stable: it is part of the file format.
pub fn hash64(data: &[u8]) -> u64 {
    let mut h = K0 ^ (data.len() as u64).wrapping_mul(K1);
    let mut blocks = data.chunks_exact(16);
    for block in &mut blocks {
        h = fold_mul(read_le(&block[..8]) ^ h ^ K1, read_le(&block[8..]) ^ K2).wrapping_add(h.rotate_left(29));
    }
    let tail = blocks.remainder();
    let (a, b) = if tail.len() > 8 { (read_le(&tail[..8]), read_le(&tail[8..])) } else { (read_le(tail), 0) };
    h = fold_mul(a ^ h ^ K2, b ^ K1 ^ (data.len() as u64)).wrapping_add(h.rotate_left(29));
    finalize(h)
}

fn second_hash(h1: u64) -> u64 {
    finalize(h1 ^ K0) | 1
}

/// How many bits and hash functions a filter of `n` keys needs for a false-positive chance `p`.
pub(crate) fn dimensions(n: usize, p: f64) -> (u64, u32) {
    let p = if p.is_finite() { p.clamp(1e-9, 1.0) } else { 0.01 };
    let n = n.max(1) as f64;
    let ln2 = std::f64::consts::LN_2;
    let bits = (-n * p.ln() / (ln2 * ln2)).ceil().max(64.0);
    let words = (bits / 64.0).ceil();
    let m = (words * 64.0) as u64;
    let k = ((m as f64 / n) * ln2).round().clamp(1.0, 30.0) as u32;
    (m, k)
}

/// Builds the serialized filter of the given key hashes.
pub(crate) fn build(hashes: &[u64], fp_chance: f64) -> Vec<u8> {
    let (m, k) = dimensions(hashes.len(), fp_chance);
    let mut words = vec![0u64; (m / 64) as usize];
    for &h1 in hashes {
        let h2 = second_hash(h1);
        let mut h = h1;
        for _ in 0..k {
            let bit = h % m;
            words[(bit / 64) as usize] |= 1 << (bit % 64);
            h = h.wrapping_add(h2);
        }
    }
    let mut out = Vec::with_capacity(BLOOM_HEADER_LEN + words.len() * 8);
    out.extend_from_slice(&m.to_le_bytes());
    out.extend_from_slice(&k.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    for w in words {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out
}

/// A serialized filter, read in place (from the mmap).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BloomView {
    pub bits: u64,
    pub k: u32,
}

impl BloomView {
    /// Checks the header of a serialized filter: `Err(reason)` when it does not describe `section`.
    pub fn parse(section: &[u8]) -> Result<BloomView, &'static str> {
        if section.len() < BLOOM_HEADER_LEN {
            return Err("bloom filter shorter than its header");
        }
        let bits = read_le(&section[..8]);
        let k = read_le(&section[8..12]) as u32;
        if bits == 0 || !bits.is_multiple_of(64) || !(1..=30).contains(&k) {
            return Err("bad bloom filter dimensions");
        }
        if (section.len() - BLOOM_HEADER_LEN) as u64 != bits / 8 {
            return Err("bloom filter size does not match its bit count");
        }
        Ok(BloomView { bits, k })
    }

    /// False when the key is certainly absent. `section` is what [`BloomView::parse`] accepted.
    pub fn may_contain(&self, section: &[u8], key: &[u8]) -> bool {
        let words = &section[BLOOM_HEADER_LEN..];
        let h1 = hash64(key);
        let h2 = second_hash(h1);
        let mut h = h1;
        for _ in 0..self.k {
            let bit = h % self.bits;
            let at = (bit / 64) as usize * 8;
            let word = read_le(&words[at..at + 8]);
            if word & (1 << (bit % 64)) == 0 {
                return false;
            }
            h = h.wrapping_add(h2);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_stable() {
        // Part of the file format: these values must never change.
        let values: Vec<u64> = [&b""[..], b"a", b"partition key", &[0u8; 40]].iter().map(|k| hash64(k)).collect();
        let mut dedup = values.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(dedup.len(), values.len());
        assert_eq!(values, STABLE_VALUES.to_vec());
    }

    const STABLE_VALUES: [u64; 4] =
        [15770060680986335635, 18408567349726014056, 14736722717345270142, 9305648265643556608];

    #[test]
    fn the_hash_depends_on_every_byte_and_the_length() {
        let base = vec![7u8; 37];
        let h = hash64(&base);
        for i in 0..base.len() {
            let mut changed = base.clone();
            changed[i] ^= 1;
            assert_ne!(hash64(&changed), h, "byte {i}");
        }
        assert_ne!(hash64(&base[..36]), h);
        assert_ne!(hash64(&[0u8; 3]), hash64(&[0u8; 4]));
    }

    #[test]
    fn a_one_percent_filter_uses_about_ten_bits_and_seven_hashes_per_key() {
        let (m, k) = dimensions(10_000, 0.01);
        assert!((95_000..=96_000).contains(&m), "{m}");
        assert_eq!(k, 7);
    }

    #[test]
    fn every_added_key_may_be_contained() {
        let keys: Vec<Vec<u8>> = (0..1000u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let filter = build(&keys.iter().map(|k| hash64(k)).collect::<Vec<_>>(), 0.01);
        let view = BloomView::parse(&filter).unwrap();
        assert!(keys.iter().all(|k| view.may_contain(&filter, k)));
    }
}
