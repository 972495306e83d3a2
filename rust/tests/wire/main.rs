//! Property tests of the ψ wire format, one module per payload kind as in `rust/wire/`, and
//! of `decode_any`, which dispatches on the kind byte.

mod chain;
mod gauss;
mod topk;

use proptest::collection::vec;
use proptest::prelude::*;
use tsd::wire::encode_any;
use tsd::{decode_any, Payload};

fn payload_strategy() -> impl Strategy<Value = Payload> {
    prop_oneof![
        topk::psi_strategy().prop_map(Payload::from),
        chain::chain_strategy().prop_map(Payload::from),
        gauss::gauss_strategy().prop_map(Payload::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_kind_round_trips_through_decode_any(payload in payload_strategy()) {
        prop_assert_eq!(decode_any(&encode_any(&payload)).unwrap(), payload);
    }

    #[test]
    fn arbitrary_bytes_never_panic_decode_any(bytes in vec(any::<u8>(), 0..400)) {
        let _ = decode_any(&bytes);
    }
}
