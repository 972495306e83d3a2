//! Fuzzes decoding a payload of any kind: both decoders see the same bytes, at most one
//! accepts them, the kind byte alone says which, and the other names that kind in its error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tsd_fuzz::for_each_input(data, |bytes| {
        tsd_fuzz::check_any(bytes);
    });
});
