//! The top-K payload on the wire (kind 1): encode, decode, and exact encoded sizes.
//!
//! Layout (documented byte by byte in `docs/PSI_FORMAT.md`):
//! `version u8 | kind u8 | vocab varint | K varint | tau f32 | scale f32 | eps f32 |
//!  ids (Elias–Fano) | codes u8 × K | crc32 u32`, all little-endian.
//! Ids are sorted, so Elias–Fano (`wire::ids`) needs about K·(2 + log2(V/K)) bits.

use super::bits::write_varint;
use super::ids::{ids_len, read_ids, write_ids};
use super::{
    check_envelope, check_length_and_checksum, f32_at, read_count, seal, varint_len,
    CHECKSUM_BYTES, KIND_TOP_K, VERSION,
};
use crate::error::TsdError;
use crate::psi::{validate_header, validate_ids, validate_scalars, PsiTopK};

/// tau, scale and eps, one f32 each.
const SCALAR_BYTES: usize = 12;

fn encoded_len_u64(vocab: u64, k: u64) -> u64 {
    2 + varint_len(vocab)
        + varint_len(k)
        + SCALAR_BYTES as u64
        + ids_len(vocab, k)
        + k
        + CHECKSUM_BYTES as u64
}

/// Exact encoded size in bytes of a top-K payload with these V and K.
pub fn encoded_len(vocab: u32, k: usize) -> usize {
    encoded_len_u64(u64::from(vocab), k as u64) as usize
}

/// Appends the encoding of `psi` to `out`.
pub fn encode_into(psi: &PsiTopK, out: &mut Vec<u8>) {
    let start = out.len();
    let (vocab, k) = (u64::from(psi.vocab()), psi.k() as u64);
    out.reserve(encoded_len_u64(vocab, k) as usize);
    out.push(VERSION);
    out.push(KIND_TOP_K);
    write_varint(out, vocab);
    write_varint(out, k);
    out.extend_from_slice(&psi.tau().to_le_bytes());
    out.extend_from_slice(&psi.scale().to_le_bytes());
    out.extend_from_slice(&psi.eps().to_le_bytes());

    write_ids(out, vocab, psi.ids());
    out.extend_from_slice(psi.codes());
    seal(out, start);
}

/// Encodes `psi` into a fresh byte vector.
pub fn encode(psi: &PsiTopK) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_len(psi.vocab(), psi.k()));
    encode_into(psi, &mut out);
    out
}

/// Decodes and validates a payload. Checks run in order: structure (version, kind, length),
/// integrity (checksum), then meaning (field validation), so that a corrupted byte reports
/// as a checksum failure rather than as a misleading field error.
pub fn decode(bytes: &[u8]) -> Result<PsiTopK, TsdError> {
    check_envelope(bytes, KIND_TOP_K)?;
    let (vocab, used_v) = read_count(bytes, 2, "vocab")?;
    let (k, used_k) = read_count(bytes, 2 + used_v, "K")?;
    check_length_and_checksum(bytes, encoded_len_u64(vocab, k))?;

    validate_header(vocab, k)?;
    let (vocab, k_usize) = (vocab as u32, k as usize);
    let scalars = 2 + used_v + used_k;
    let tau = f32_at(bytes, scalars);
    let scale = f32_at(bytes, scalars + 4);
    let eps = f32_at(bytes, scalars + 8);
    validate_scalars(vocab, k_usize, scale, tau, eps)?;

    let ids_start = scalars + SCALAR_BYTES;
    let (ids, ids_end) = read_ids(bytes, ids_start, vocab, k_usize)?;
    validate_ids(vocab, &ids)?;
    let codes = bytes[ids_end..ids_end + k_usize].to_vec();
    Ok(PsiTopK::from_validated(vocab, ids, codes, scale, tau, eps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{PsiDecodeError, PsiValidationError};
    use crate::wire::MIN_ENCODED_LEN;

    fn sample(vocab: u32, k: u32) -> PsiTopK {
        let step = vocab / k;
        let ids: Vec<u32> = (0..k).map(|i| i * step).collect();
        let codes: Vec<u8> = (0..k).map(|i| (i * 37 % 256) as u8).collect();
        let eps = if vocab > k {
            0.5 / (vocab - k) as f32
        } else {
            0.0
        };
        PsiTopK::new(vocab, ids, codes, 0.0123, 0.9, eps).unwrap()
    }

    fn with_checksum(mut body: Vec<u8>) -> Vec<u8> {
        let crc = crc32fast::hash(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        body
    }

    #[test]
    fn round_trips_and_matches_the_size_formula() {
        for (vocab, k) in [
            (1, 1),
            (2, 2),
            (500, 32),
            (1000, 64),
            (1 << 24, 128),
            (7, 3),
        ] {
            let psi = sample(vocab, k);
            let bytes = encode(&psi);
            assert_eq!(bytes.len(), encoded_len(vocab, k as usize));
            assert_eq!(decode(&bytes).unwrap(), psi);
        }
    }

    #[test]
    fn sizes_meet_the_link_budget() {
        assert!(encoded_len(500, 32) <= 80, "{}", encoded_len(500, 32));
        for k in 1..=128 {
            assert!(encoded_len(1 << 24, k) <= 1024);
        }
        assert_eq!(encoded_len(1, 1), MIN_ENCODED_LEN);
    }

    #[test]
    fn every_strict_prefix_is_truncated() {
        let bytes = encode(&sample(1000, 64));
        for cut in 0..bytes.len() {
            let err = decode(&bytes[..cut]).unwrap_err();
            assert!(
                matches!(err, TsdError::PsiDecode(PsiDecodeError::Truncated { .. })),
                "cut {cut}: {err:?}"
            );
        }
    }

    #[test]
    fn structural_errors_are_named() {
        let bytes = encode(&sample(1000, 64));
        let mut bad_version = bytes.clone();
        bad_version[0] = 9;
        assert!(matches!(
            decode(&bad_version),
            Err(TsdError::PsiDecode(PsiDecodeError::UnsupportedVersion {
                found: 9,
                ..
            }))
        ));
        let mut bad_kind = bytes.clone();
        bad_kind[1] = 7;
        assert!(matches!(
            decode(&bad_kind),
            Err(TsdError::PsiDecode(PsiDecodeError::UnknownKind {
                found: 7
            }))
        ));
        let mut flipped = bytes.clone();
        flipped[20] ^= 0x10;
        assert!(matches!(
            decode(&flipped),
            Err(TsdError::PsiDecode(PsiDecodeError::ChecksumMismatch { .. }))
        ));
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            decode(&long),
            Err(TsdError::PsiDecode(PsiDecodeError::TrailingBytes {
                extra: 1
            }))
        ));
    }

    #[test]
    fn semantic_errors_survive_a_valid_checksum() {
        // K = 3 > V = 2, written with a correct checksum.
        let mut body = vec![VERSION, KIND_TOP_K, 2, 3];
        body.extend_from_slice(&1.0f32.to_le_bytes());
        body.extend_from_slice(&0.1f32.to_le_bytes());
        body.extend_from_slice(&0.0f32.to_le_bytes());
        body.extend(std::iter::repeat_n(0, ids_len(2, 3) as usize + 3));
        assert!(matches!(
            decode(&with_checksum(body)),
            Err(TsdError::PsiValidation(PsiValidationError::KExceedsVocab {
                k: 3,
                vocab: 2
            }))
        ));
    }
}
