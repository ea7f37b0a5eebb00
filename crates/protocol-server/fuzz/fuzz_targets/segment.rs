//! Arbitrary bytes as a v5 connection's input after READY: segments (plain and LZ4), then the
//! envelopes they carry and the requests in those. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| protocol_server::fuzzing::segment_input(data));
