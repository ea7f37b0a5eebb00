//! Property tests: random bytes, and random bodies behind valid headers and segment checksums,
//! never make the decoders panic (the same entry points the fuzz targets in `fuzz/` use).

use bytes::BytesMut;
use proptest::collection::vec;
use proptest::prelude::*;
use protocol_server::fuzzing::{connection_input, segment_input};
use protocol_server::segment::SegmentCodec;

/// The opcodes a client may send.
const REQUEST_OPCODES: [u8; 8] = [0x01, 0x05, 0x07, 0x09, 0x0A, 0x0B, 0x0D, 0x0F];

fn frame(version: u8, flags: u8, opcode: u8, body: &[u8]) -> Vec<u8> {
    let mut f = vec![version, flags, 0, 1, opcode];
    f.extend_from_slice(&(body.len() as u32).to_be_bytes());
    f.extend_from_slice(body);
    f
}

/// A body that starts like real messages do (strings, ints, flags) more often than random bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..256),
        (vec(any::<u8>(), 0..64), any::<u16>(), vec(any::<u8>(), 0..64)).prop_map(|(text, n, tail)| {
            let mut b = (text.len() as i32).to_be_bytes().to_vec();
            b.extend_from_slice(&text);
            b.extend_from_slice(&[0, 1]);
            b.extend_from_slice(&n.to_be_bytes());
            b.extend_from_slice(&tail);
            b
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_the_frame_decoder(data in vec(any::<u8>(), 0..4096)) {
        connection_input(&data);
    }

    #[test]
    fn random_bodies_behind_valid_headers_never_panic(
        frames in vec((3u8..=5, any::<u8>(), prop::sample::select(REQUEST_OPCODES.to_vec()), body()), 1..8),
    ) {
        let mut data = Vec::new();
        for (version, flags, opcode, body) in &frames {
            data.extend(frame(*version, *flags, *opcode, body));
        }
        connection_input(&data);
    }

    #[test]
    fn random_bytes_never_panic_the_segment_decoder(data in vec(any::<u8>(), 0..4096)) {
        segment_input(&data);
    }

    #[test]
    fn random_envelopes_in_valid_segments_never_panic(
        lz4 in any::<bool>(),
        frames in vec((any::<u8>(), prop::sample::select(REQUEST_OPCODES.to_vec()), body()), 1..8),
        garbage in vec(any::<u8>(), 0..64),
    ) {
        let mut envelopes = Vec::new();
        for (flags, opcode, body) in &frames {
            envelopes.extend(frame(5, *flags, *opcode, body));
        }
        envelopes.extend(garbage);
        let mut wire = BytesMut::new();
        SegmentCodec { lz4 }.encode(&envelopes, &mut wire, &mut BytesMut::new());
        segment_input(&wire);
    }
}
