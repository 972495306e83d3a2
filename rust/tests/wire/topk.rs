//! Property tests of the top-K wire format (kinds 1 and 3): every valid ψ round-trips, and no byte
//! string panics the decoder.

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use tsd::error::TsdError;
use tsd::psi::PsiTopK;
use tsd::wire::topk::{decode, encode, encoded_len, encoded_len_bits};

pub(crate) fn psi_strategy() -> impl Strategy<Value = PsiTopK> {
    (1u32..=1 << 24)
        .prop_flat_map(|vocab| {
            let max_k = vocab.min(200) as usize;
            (Just(vocab), btree_set(0..vocab, 1..=max_k))
        })
        .prop_flat_map(|(vocab, ids)| {
            let k = ids.len();
            (
                Just(vocab),
                Just(ids.into_iter().collect::<Vec<u32>>()),
                vec(any::<u8>(), k),
                0f32..10.0,
                1e-3f32..100.0,
                0f64..0.999,
            )
        })
        .prop_map(|(vocab, ids, codes, scale, tau, tail)| {
            let rest = vocab - ids.len() as u32;
            let eps = if rest == 0 {
                0.0
            } else {
                (tail / f64::from(rest)) as f32
            };
            PsiTopK::new(vocab, ids, codes, scale, tau, eps).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn valid_payloads_round_trip(psi in psi_strategy()) {
        let bytes = encode(&psi);
        prop_assert_eq!(bytes.len(), encoded_len(psi.vocab(), psi.k()));
        prop_assert_eq!(decode(&bytes).unwrap(), psi);
    }

    #[test]
    fn single_byte_corruption_is_always_detected(psi in psi_strategy(), at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut bytes = encode(&psi);
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        prop_assert!(decode(&bytes).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..400)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn bytes_with_a_valid_header_never_panic(body in vec(any::<u8>(), 0..200), vocab in 1u32..5000, k in 0u32..300) {
        let mut bytes = vec![1u8, 1];
        let mut push_varint = |mut v: u32| {
            while v >= 0x80 { bytes.push((v as u8) | 0x80); v >>= 7; }
            bytes.push(v as u8);
        };
        push_varint(vocab);
        push_varint(k);
        bytes.extend_from_slice(&body);
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        match decode(&bytes) {
            Ok(psi) => prop_assert_eq!(encode(&psi), bytes),
            Err(TsdError::PsiDecode(_) | TsdError::PsiValidation(_)) => {}
            Err(other) => prop_assert!(false, "unexpected error kind {:?}", other),
        }
    }
}

/// Payloads of every code width, codes below 2^bits.
fn packed_strategy() -> impl Strategy<Value = PsiTopK> {
    (psi_strategy(), 1u8..=8).prop_map(|(psi, bits)| {
        let mask = ((1u16 << bits) - 1) as u8;
        let codes = psi.codes().iter().map(|&c| c & mask).collect();
        PsiTopK::with_code_bits(
            psi.vocab(),
            psi.ids().to_vec(),
            codes,
            psi.scale(),
            psi.tau(),
            psi.eps(),
            bits,
        )
        .unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn packed_payloads_round_trip(psi in packed_strategy()) {
        let bytes = encode(&psi);
        prop_assert_eq!(bytes.len(), encoded_len_bits(psi.vocab(), psi.k(), psi.code_bits()));
        prop_assert_eq!(bytes[1], if psi.code_bits() == 8 { 1 } else { 3 });
        prop_assert_eq!(decode(&bytes).unwrap(), psi);
    }

    #[test]
    fn bytes_with_a_packed_header_never_panic(body in vec(any::<u8>(), 0..200), vocab in 1u32..5000, k in 0u32..300, bits in 0u8..=9) {
        let mut bytes = vec![1u8, 3];
        let mut push_varint = |mut v: u32| {
            while v >= 0x80 { bytes.push((v as u8) | 0x80); v >>= 7; }
            bytes.push(v as u8);
        };
        push_varint(vocab);
        push_varint(k);
        bytes.push(bits);
        bytes.extend_from_slice(&body);
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        match decode(&bytes) {
            Ok(psi) => prop_assert_eq!(encode(&psi), bytes),
            Err(TsdError::PsiDecode(_) | TsdError::PsiValidation(_)) => {}
            Err(other) => prop_assert!(false, "unexpected error kind {:?}", other),
        }
    }
}
