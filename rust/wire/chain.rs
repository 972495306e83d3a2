//! The chain payload on the wire (kind 2), in the same versioned, checksummed envelope as the
//! top-K payload.
//!
//! Layout (documented byte by byte in `docs/PSI_FORMAT.md`):
//! `version u8 | kind u8 | vocab varint | L varint | K varint | tau f32 |
//!  L × (scale f32 | eps f32 | ids (Elias–Fano) | rows × K codes) | crc32 u32`,
//! where position 0 has one code row and every later position K + 1.

use super::bits::write_varint;
use super::ids::{ids_len, read_ids, write_ids};
use super::{
    check_envelope, check_length_and_checksum, f32_at, read_count, seal, varint_len,
    CHECKSUM_BYTES, KIND_CHAIN, VERSION,
};
use crate::error::{PsiDecodeError, PsiValidationError, TsdError};
use crate::psi::chain::{code_rows, row_index, rows_at, validate_chain_header, PsiChain};
use crate::psi::validate_scalars;

/// Exact encoded size of a chain payload, in u128 so that absurd headers cannot overflow.
fn encoded_len_u128(vocab: u64, length: u64, k: u64) -> u128 {
    let per_position = 8 + u128::from(ids_len(vocab, k));
    let rows = 1 + u128::from(length.saturating_sub(1)) * (u128::from(k) + 1);
    2 + u128::from(varint_len(vocab) + varint_len(length) + varint_len(k))
        + 4
        + u128::from(length) * per_position
        + rows * u128::from(k)
        + CHECKSUM_BYTES as u128
}

/// Exact encoded size in bytes of a chain payload with these V, L and K.
pub fn encoded_len(vocab: u32, length: usize, k: usize) -> usize {
    encoded_len_u128(u64::from(vocab), length as u64, k as u64) as usize
}

/// Appends the encoding of `chain` to `out`.
pub fn encode_into(chain: &PsiChain, out: &mut Vec<u8>) {
    let start = out.len();
    let (vocab, k) = (chain.vocab(), chain.k());
    out.reserve(encoded_len(vocab, chain.len(), k));
    out.push(VERSION);
    out.push(KIND_CHAIN);
    write_varint(out, u64::from(vocab));
    write_varint(out, chain.len() as u64);
    write_varint(out, k as u64);
    out.extend_from_slice(&chain.tau().to_le_bytes());
    for position in 0..chain.len() {
        out.extend_from_slice(&chain.scales()[position].to_le_bytes());
        out.extend_from_slice(&chain.eps()[position].to_le_bytes());
        write_ids(out, u64::from(vocab), chain.ids(position));
        let first_row = row_index(position, 0, k);
        let rows = first_row..first_row + chain.rows(position);
        out.extend_from_slice(&chain.all_codes()[rows.start * k..rows.end * k]);
    }
    seal(out, start);
}

/// Encodes `chain` into a fresh byte vector.
pub fn encode(chain: &PsiChain) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_len(chain.vocab(), chain.len(), chain.k()));
    encode_into(chain, &mut out);
    out
}

/// Names the position in an ids error: in a malformed section's reason, around a rule broken.
fn at_position(position: usize) -> impl Fn(TsdError) -> TsdError {
    move |err| match err {
        TsdError::PsiDecode(PsiDecodeError::Malformed { field, reason }) => {
            PsiDecodeError::Malformed {
                field,
                reason: format!("position {position}: {reason}"),
            }
            .into()
        }
        TsdError::PsiValidation(err) => PsiValidationError::AtPosition {
            position,
            source: Box::new(err),
        }
        .into(),
        other => other,
    }
}

/// Decodes and validates a chain payload, in the top-K decoder's order: structure, then the
/// checksum, then meaning (each position's errors name the position).
pub fn decode(bytes: &[u8]) -> Result<PsiChain, TsdError> {
    check_envelope(bytes, &[KIND_CHAIN])?;
    let mut at = 2;
    let (vocab, used) = read_count(bytes, at, "vocab")?;
    at += used;
    let (length, used) = read_count(bytes, at, "L")?;
    at += used;
    let (k, used) = read_count(bytes, at, "K")?;
    at += used;
    let expected = encoded_len_u128(vocab, length, k);
    check_length_and_checksum(bytes, u64::try_from(expected).unwrap_or(u64::MAX))?;

    validate_chain_header(vocab, length, k)?;
    let (vocab, length, k) = (vocab as u32, length as usize, k as usize);
    let tau = f32_at(bytes, at);
    at += 4;
    let mut ids = Vec::with_capacity(length * k);
    let mut codes = Vec::with_capacity(code_rows(length, k) * k);
    let (mut scales, mut eps) = (Vec::with_capacity(length), Vec::with_capacity(length));
    for position in 0..length {
        let at_here = |err| PsiValidationError::AtPosition {
            position,
            source: Box::new(err),
        };
        let (scale, tail) = (f32_at(bytes, at), f32_at(bytes, at + 4));
        validate_scalars(vocab, k, scale, tau, tail).map_err(at_here)?;
        let first = ids.len();
        ids.resize(first + k, 0);
        let end = at
            + 8
            + read_ids(&bytes[at + 8..], vocab, &mut ids[first..])
                .map_err(at_position(position))?;
        let rows = rows_at(position, k);
        codes.extend_from_slice(&bytes[end..end + rows * k]);
        scales.push(scale);
        eps.push(tail);
        at = end + rows * k;
    }
    Ok(PsiChain::from_validated(
        vocab, k, tau, ids, codes, scales, eps,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::topk;

    fn sample(vocab: u32, length: usize, k: usize) -> PsiChain {
        let step = vocab / k as u32;
        let ids: Vec<u32> = (0..length)
            .flat_map(|p| (0..k as u32).map(move |i| i * step + (p as u32 % step.max(1))))
            .collect();
        let codes: Vec<u8> = (0..code_rows(length, k) * k)
            .map(|i| (i * 37 % 256) as u8)
            .collect();
        let eps: Vec<f32> = (0..length)
            .map(|p| 0.5 / (vocab as f32 - k as f32 + 1.0) / (p as f32 + 1.0))
            .collect();
        let scales: Vec<f32> = (0..length).map(|p| 0.01 * (p as f32 + 1.0)).collect();
        PsiChain::new(vocab, k, 0.9, ids, codes, scales, eps).unwrap()
    }

    #[test]
    fn round_trips_and_matches_the_size_formula() {
        for (vocab, length, k) in [
            (1, 1, 1),
            (6, 3, 2),
            (65, 4, 8),
            (500, 2, 32),
            (1 << 24, 3, 16),
        ] {
            let chain = sample(vocab, length, k);
            let bytes = encode(&chain);
            assert_eq!(bytes.len(), encoded_len(vocab, length, k));
            assert_eq!(decode(&bytes).unwrap(), chain);
        }
    }

    #[test]
    fn a_one_position_chain_costs_one_byte_more_than_its_top_k_payload() {
        // The L varint is the only addition: position 0 is exactly a top-K payload's body.
        let chain = sample(500, 1, 32);
        let single = chain.conditional(0, 0);
        assert_eq!(encode(&chain).len(), topk::encode(&single).len() + 1);
    }

    #[test]
    fn the_decoders_refuse_each_others_kind_by_name() {
        let chain_bytes = encode(&sample(65, 2, 4));
        assert!(matches!(
            topk::decode(&chain_bytes),
            Err(TsdError::PsiDecode(PsiDecodeError::UnexpectedKind {
                found: 2,
                expected: 1
            }))
        ));
        let top_k = topk::encode(&sample(65, 1, 4).conditional(0, 0));
        assert!(matches!(
            decode(&top_k),
            Err(TsdError::PsiDecode(PsiDecodeError::UnexpectedKind {
                found: 1,
                expected: 2
            }))
        ));
    }

    #[test]
    fn every_strict_prefix_is_truncated_and_every_flip_is_caught() {
        let bytes = encode(&sample(65, 3, 4));
        for cut in 0..bytes.len() {
            assert!(
                matches!(
                    decode(&bytes[..cut]),
                    Err(TsdError::PsiDecode(PsiDecodeError::Truncated { .. }))
                ),
                "cut {cut}"
            );
        }
        // Flips past the header keep the length, so the checksum must catch them.
        for at in 5..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x04;
            assert!(
                matches!(
                    decode(&flipped),
                    Err(TsdError::PsiDecode(PsiDecodeError::ChecksumMismatch { .. }))
                ),
                "byte {at}"
            );
        }
    }

    #[test]
    fn semantic_errors_name_their_position() {
        let chain = sample(65, 3, 4);
        let mut eps = chain.eps().to_vec();
        eps[2] = 1.0;
        let bad = PsiChain::from_validated(
            65,
            4,
            chain.tau(),
            chain.all_ids().to_vec(),
            chain.all_codes().to_vec(),
            chain.scales().to_vec(),
            eps,
        );
        assert!(matches!(
            decode(&encode(&bad)),
            Err(TsdError::PsiValidation(PsiValidationError::AtPosition {
                position: 2,
                ..
            }))
        ));
        let mut body = vec![VERSION, KIND_CHAIN, 65, 40, 4];
        body.extend_from_slice(&1.0f32.to_le_bytes());
        let needed = encoded_len(65, 40, 4) - body.len() - CHECKSUM_BYTES;
        body.extend(std::iter::repeat_n(0, needed));
        let crc = crc32fast::hash(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            decode(&body),
            Err(TsdError::PsiValidation(PsiValidationError::ChainLength {
                length: 40,
                ..
            }))
        ));
    }
}
