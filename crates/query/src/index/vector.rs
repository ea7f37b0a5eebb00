//! Vector similarity for `ORDER BY v ANN OF [...]`: the scores SAI ranks rows by (higher is
//! nearer), computed exactly over the candidate rows.

use super::Similarity;

/// The elements of a serialized `vector<float, n>` (n big-endian floats), if it has `dimension` of them.
pub fn floats(bytes: &[u8], dimension: usize) -> Option<Vec<f32>> {
    if bytes.len() != dimension * 4 {
        return None;
    }
    Some(bytes.chunks_exact(4).map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect())
}

/// True for a vector cosine similarity cannot use.
pub fn is_zero(v: &[f32]) -> bool {
    v.iter().map(|x| x * x).sum::<f32>() < 1e-12
}

/// The similarity score of two vectors of the same dimension, as the ANN index ranks them:
/// cosine `(1 + cos) / 2`, dot product `(1 + dot) / 2`, euclidean `1 / (1 + squared distance)`.
pub fn score(f: Similarity, a: &[f32], b: &[f32]) -> f32 {
    match f {
        Similarity::Euclidean => {
            let d: f32 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
            1.0 / (1.0 + d)
        }
        Similarity::DotProduct => {
            let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            (1.0 + dot) / 2.0
        }
        Similarity::Cosine => {
            let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
            let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
            if na == 0.0 || nb == 0.0 {
                return 0.0;
            }
            (1.0 + dot / (na * nb)) / 2.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_rank_nearer_vectors_higher() {
        let q = [1.0, 0.0];
        for f in [Similarity::Cosine, Similarity::Euclidean, Similarity::DotProduct] {
            assert!(score(f, &q, &[1.0, 0.0]) > score(f, &q, &[0.0, 1.0]), "{f:?}");
        }
        assert_eq!(score(Similarity::Cosine, &q, &[2.0, 0.0]), 1.0);
        assert_eq!(score(Similarity::Euclidean, &q, &[1.0, 0.0]), 1.0);
        assert_eq!(score(Similarity::DotProduct, &[1.0, 1.0], &[1.0, 1.0]), 1.5);
    }

    #[test]
    fn floats_are_read_big_endian_with_the_dimension_checked() {
        let mut b = Vec::new();
        b.extend_from_slice(&1.5f32.to_be_bytes());
        b.extend_from_slice(&(-2.0f32).to_be_bytes());
        assert_eq!(floats(&b, 2), Some(vec![1.5, -2.0]));
        assert_eq!(floats(&b, 3), None);
    }
}
