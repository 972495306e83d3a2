//! Property tests of the Gaussian payload (kind 4): valid payloads round-trip, any corrupted
//! byte is detected, and sealed bytes with a Gaussian header decode or fail by name.

use proptest::collection::vec;
use proptest::prelude::*;
use tsd::error::TsdError;
use tsd::psi::gauss::{LOGVAR_MAX, LOGVAR_MIN};
use tsd::psi::PsiGauss;
use tsd::wire;

pub(crate) fn gauss_strategy() -> impl Strategy<Value = PsiGauss> {
    (1usize..40).prop_flat_map(|d| {
        (vec(-1e6f64..1e6, d), vec(LOGVAR_MIN..=LOGVAR_MAX, d))
            .prop_map(|(means, logvars)| PsiGauss::craft(&means, &logvars).unwrap())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_payloads_round_trip(psi in gauss_strategy()) {
        let bytes = wire::gauss::encode(&psi);
        prop_assert_eq!(bytes.len(), wire::gauss::encoded_len(psi.dim()));
        prop_assert_eq!(wire::gauss::decode(&bytes).unwrap(), psi);
    }

    #[test]
    fn single_byte_corruption_is_always_detected(psi in gauss_strategy(), at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut bytes = wire::gauss::encode(&psi);
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        prop_assert!(wire::gauss::decode(&bytes).is_err());
    }

    #[test]
    fn sealed_bytes_with_a_gaussian_header_never_panic(body in vec(any::<u8>(), 0..200), d in 0u8..70) {
        let mut bytes = vec![1u8, 4, d];
        bytes.extend_from_slice(&body);
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        match wire::gauss::decode(&bytes) {
            Ok(psi) => prop_assert_eq!(wire::gauss::encode(&psi), bytes),
            Err(TsdError::PsiDecode(_) | TsdError::PsiValidation(_)) => {}
            Err(other) => prop_assert!(false, "unexpected error kind {:?}", other),
        }
    }
}
