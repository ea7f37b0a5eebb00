//! Arbitrary bytes as a v3/v4 connection's input: frames, their (compressed) bodies and every
//! request message of every version. Nothing may panic, and every error must be an error value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| protocol_server::fuzzing::connection_input(data));
