//! Fuzzes `tsd::decode_any`: it returns what the decoder the kind byte picks returns; both
//! decoders see the same bytes, at most one accepts them, and the other names the kind.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tsd_fuzz::for_each_input(data, |bytes| {
        tsd_fuzz::check_any(bytes);
    });
});
