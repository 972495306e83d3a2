//! Property tests of the chain wire format (kind 2): every valid chain round-trips, every
//! single-byte corruption is caught, and no byte string panics the decoder.

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use tsd::error::TsdError;
use tsd::psi::chain::{code_rows, PsiChain};
use tsd::wire;

pub(crate) fn chain_strategy() -> impl Strategy<Value = PsiChain> {
    (2u32..=1 << 20, 1usize..=6, 1usize..=12)
        .prop_filter("K < V", |(vocab, _, k)| (*k as u32) < *vocab)
        .prop_flat_map(|(vocab, length, k)| {
            (
                Just((vocab, k)),
                vec(btree_set(0..vocab, k..=k), length),
                vec(any::<u8>(), code_rows(length, k) * k),
                vec(0f32..1.0, length),
                0.01f32..10.0,
                vec(0f64..0.999, length),
            )
        })
        .prop_map(|((vocab, k), ids, codes, scales, tau, tails)| {
            let rest = f64::from(vocab - k as u32);
            let eps = tails.iter().map(|t| (t / rest) as f32).collect();
            let ids = ids.into_iter().flatten().collect();
            PsiChain::new(vocab, k, tau, ids, codes, scales, eps).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_chains_round_trip(chain in chain_strategy()) {
        let bytes = wire::chain::encode(&chain);
        prop_assert_eq!(bytes.len(), wire::chain::encoded_len(chain.vocab(), chain.len(), chain.k()));
        prop_assert_eq!(wire::chain::decode(&bytes).unwrap(), chain);
    }

    #[test]
    fn single_byte_corruption_is_always_detected(chain in chain_strategy(), at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut bytes = wire::chain::encode(&chain);
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        prop_assert!(wire::chain::decode(&bytes).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..400)) {
        let _ = wire::chain::decode(&bytes);
    }

    #[test]
    fn bytes_with_a_valid_header_never_panic(body in vec(any::<u8>(), 0..300), vocab in 1u32..5000, length in 0u32..40, k in 0u32..20) {
        let mut bytes = vec![1u8, 2];
        let mut push_varint = |mut v: u32| {
            while v >= 0x80 { bytes.push((v as u8) | 0x80); v >>= 7; }
            bytes.push(v as u8);
        };
        push_varint(vocab);
        push_varint(length);
        push_varint(k);
        bytes.extend_from_slice(&body);
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        match wire::chain::decode(&bytes) {
            Ok(chain) => prop_assert_eq!(wire::chain::encode(&chain), bytes),
            Err(TsdError::PsiDecode(_) | TsdError::PsiValidation(_)) => {}
            Err(other) => prop_assert!(false, "unexpected error kind {:?}", other),
        }
    }
}
