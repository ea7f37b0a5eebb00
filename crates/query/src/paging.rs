//! The paging state: an opaque, self-contained position (valid on any connection) that says where
//! the next page starts.

use bytes::{BufMut, Bytes, BytesMut};

use crate::Error;

const VERSION: u8 = 1;

/// Where a page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagingState {
    /// The storage key of the partition of the last row returned.
    pub partition_key: Bytes,
    /// The clustering key of the last row returned; `None` when that partition is finished.
    pub clustering: Option<Bytes>,
    /// What is left of the statement's LIMIT.
    pub remaining: Option<i32>,
    /// For statements over explicit partition keys (IN), the index of that partition in their order.
    pub key_index: u32,
    /// Rows already returned from that partition (for PER PARTITION LIMIT).
    pub partition_count: i32,
}

impl PagingState {
    pub fn encode(&self) -> Bytes {
        let mut b = BytesMut::new();
        b.put_u8(VERSION);
        b.put_u32(self.partition_key.len() as u32);
        b.put_slice(&self.partition_key);
        match &self.clustering {
            Some(c) => {
                b.put_u8(1);
                b.put_u32(c.len() as u32);
                b.put_slice(c);
            }
            None => b.put_u8(0),
        }
        b.put_i32(self.remaining.unwrap_or(-1));
        b.put_u32(self.key_index);
        b.put_i32(self.partition_count);
        b.freeze()
    }

    pub fn decode(bytes: &[u8]) -> Result<PagingState, Error> {
        let bad = || Error::Protocol("Invalid value for the paging state".to_string());
        let mut cur = bytes;
        let mut take = |n: usize| -> Result<&[u8], Error> {
            if cur.len() < n {
                return Err(bad());
            }
            let (a, b) = cur.split_at(n);
            cur = b;
            Ok(a)
        };
        if take(1)?[0] != VERSION {
            return Err(bad());
        }
        let u32_of = |s: &[u8]| u32::from_be_bytes([s[0], s[1], s[2], s[3]]);
        let len = u32_of(take(4)?) as usize;
        let partition_key = Bytes::copy_from_slice(take(len)?);
        let clustering = if take(1)?[0] == 1 {
            let len = u32_of(take(4)?) as usize;
            Some(Bytes::copy_from_slice(take(len)?))
        } else {
            None
        };
        let remaining = u32_of(take(4)?) as i32;
        let key_index = u32_of(take(4)?);
        let partition_count = u32_of(take(4)?) as i32;
        Ok(PagingState {
            partition_key,
            clustering,
            remaining: if remaining < 0 { None } else { Some(remaining) },
            key_index,
            partition_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_state_round_trips() {
        let s = PagingState {
            partition_key: Bytes::from_static(b"pk"),
            clustering: Some(Bytes::from_static(b"ck")),
            remaining: Some(7),
            key_index: 3,
            partition_count: 2,
        };
        assert_eq!(PagingState::decode(&s.encode()).unwrap(), s);
    }

    #[test]
    fn garbage_paging_state_is_a_protocol_error() {
        assert!(matches!(PagingState::decode(b"\x07xx"), Err(Error::Protocol(_))));
    }
}
