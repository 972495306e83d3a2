//! Fuzzes the Gaussian payload decoder (kind 4): whatever the bytes, it returns a payload that
//! validates and re-encodes to those bytes, or a decode/validation error; it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tsd_fuzz::for_each_input(data, |bytes| {
        let _ = tsd_fuzz::check_gauss(bytes);
    });
});
