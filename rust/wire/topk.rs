//! The top-K payload on the wire: kind 1 (one byte per score code) and kind 3 (b-bit codes,
//! bit-packed): encode, decode, and exact encoded sizes.
//!
//! Layout (documented byte by byte in `docs/PSI_FORMAT.md`):
//! `version u8 | kind u8 | vocab varint | K varint | [bits u8, kind 3 only] | tau f32 |
//!  scale f32 | eps f32 | ids (Elias–Fano) | codes | crc32 u32`, all little-endian. Kind 1
//! carries one byte per code; kind 3 carries K · bits bits, least significant bit first,
//! zero-padded to a byte. A payload with 8-bit codes is always kind 1 and one with narrower
//! codes always kind 3, so every payload has exactly one byte string.
//! Ids are sorted, so Elias–Fano (`wire::ids`) needs about K·(2 + log2(V/K)) bits.

use super::bits::{write_varint, BitReader, BitWriter};
use super::ids::{ids_len, read_ids, write_ids};
use super::{
    check_envelope, check_length_and_checksum, f32_at, read_count, seal, truncated, varint_len,
    CHECKSUM_BYTES, KIND_TOP_K, KIND_TOP_K_PACKED, MIN_ENCODED_LEN, VERSION,
};
use crate::error::{PsiDecodeError, TsdError};
use crate::psi::{validate_codes, validate_header, validate_scalars, PsiTopK, MAX_CODE_BITS};

/// tau, scale and eps, one f32 each.
const SCALAR_BYTES: usize = 12;

/// Bytes of the codes section: one per code at 8 bits, else K · bits bits packed.
fn codes_len(k: u64, bits: u8) -> u64 {
    (k * u64::from(bits)).div_ceil(8)
}

/// The kind byte, and the bytes the kind adds to the header (the `bits` byte of kind 3).
fn kind_for(bits: u8) -> (u8, u64) {
    if bits == MAX_CODE_BITS {
        (KIND_TOP_K, 0)
    } else {
        (KIND_TOP_K_PACKED, 1)
    }
}

#[inline]
fn encoded_len_u64(vocab: u64, k: u64, bits: u8) -> u64 {
    2 + varint_len(vocab)
        + varint_len(k)
        + kind_for(bits).1
        + SCALAR_BYTES as u64
        + ids_len(vocab, k)
        + codes_len(k, bits)
        + CHECKSUM_BYTES as u64
}

/// Exact encoded size in bytes of a top-K payload with these V and K and 8-bit codes.
pub fn encoded_len(vocab: u32, k: usize) -> usize {
    encoded_len_bits(vocab, k, MAX_CODE_BITS)
}

/// Exact encoded size in bytes of a top-K payload with these V, K and code width (1..=8).
pub fn encoded_len_bits(vocab: u32, k: usize, bits: u8) -> usize {
    encoded_len_u64(u64::from(vocab), k as u64, bits) as usize
}

/// Appends the encoding of `psi` to `out`.
pub fn encode_into(psi: &PsiTopK, out: &mut Vec<u8>) {
    let start = out.len();
    let (vocab, k, bits) = (u64::from(psi.vocab()), psi.k() as u64, psi.code_bits());
    let (kind, _) = kind_for(bits);
    out.reserve(encoded_len_u64(vocab, k, bits) as usize);
    out.push(VERSION);
    out.push(kind);
    write_varint(out, vocab);
    write_varint(out, k);
    if kind == KIND_TOP_K_PACKED {
        out.push(bits);
    }
    out.extend_from_slice(&psi.tau().to_le_bytes());
    out.extend_from_slice(&psi.scale().to_le_bytes());
    out.extend_from_slice(&psi.eps().to_le_bytes());

    write_ids(out, vocab, psi.ids());
    if kind == KIND_TOP_K {
        out.extend_from_slice(psi.codes());
    } else {
        let codes_start = out.len();
        out.resize(codes_start + codes_len(k, bits) as usize, 0);
        let mut writer = BitWriter::new(&mut out[codes_start..]);
        for &code in psi.codes() {
            writer.push(u64::from(code), u32::from(bits));
        }
        writer.finish();
    }
    seal(out, start);
}

/// Encodes `psi` into a fresh byte vector.
pub fn encode(psi: &PsiTopK) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_len_bits(psi.vocab(), psi.k(), psi.code_bits()));
    encode_into(psi, &mut out);
    out
}

fn malformed(field: &'static str, reason: String) -> TsdError {
    PsiDecodeError::Malformed { field, reason }.into()
}

/// The code width of a kind 3 payload, read from its `bits` byte (1..=7).
fn read_bits(bytes: &[u8], at: usize) -> Result<u8, TsdError> {
    let bits = *bytes
        .get(at)
        .ok_or_else(|| truncated(MIN_ENCODED_LEN as u64, bytes.len()))?;
    if !(1..MAX_CODE_BITS).contains(&bits) {
        return Err(malformed(
            "bits",
            format!(
                "a packed payload's code width must be in 1..={}, got {bits} \
                 (8-bit codes are written as kind 1)",
                MAX_CODE_BITS - 1
            ),
        ));
    }
    Ok(bits)
}

/// Appends K codes of `bits` bits from `section` to `codes`; a one in the padding is
/// malformed.
fn unpack_codes(section: &[u8], k: usize, bits: u8, codes: &mut Vec<u8>) -> Result<(), TsdError> {
    let reader = BitReader::new(section);
    let width = usize::from(bits);
    let mask = (1u64 << width) - 1;
    codes.extend((0..k).map(|i| (reader.window(i * width) & mask) as u8));
    if reader.count_ones_from(k * width) != 0 {
        return Err(malformed(
            "codes",
            "the padding after the last packed code must be zero".to_owned(),
        ));
    }
    Ok(())
}

/// The scalar fields of a decoded payload; its ids and codes go to the caller's vectors.
struct Scalars {
    vocab: u32,
    scale: f32,
    tau: f32,
    eps: f32,
    bits: u8,
}

/// Decodes and validates a payload of kind 1 or 3, its ids and codes into `ids` and `codes`
/// (whatever they held is replaced). Checks run in order: structure (version, kind, code
/// width, length), integrity (checksum), then meaning (field validation), so that a corrupted
/// byte reports as a checksum failure rather than as a misleading field error.
fn decode_parts(
    bytes: &[u8],
    ids: &mut Vec<u32>,
    codes: &mut Vec<u8>,
) -> Result<Scalars, TsdError> {
    let kind = check_envelope(bytes, &[KIND_TOP_K, KIND_TOP_K_PACKED])?;
    let (vocab, used_v) = read_count(bytes, 2, "vocab")?;
    let (k, used_k) = read_count(bytes, 2 + used_v, "K")?;
    let mut scalars = 2 + used_v + used_k;
    let bits = if kind == KIND_TOP_K {
        MAX_CODE_BITS
    } else {
        scalars += 1;
        read_bits(bytes, scalars - 1)?
    };
    check_length_and_checksum(bytes, encoded_len_u64(vocab, k, bits))?;

    validate_header(vocab, k)?;
    let (vocab, k_usize) = (vocab as u32, k as usize);
    let tau = f32_at(bytes, scalars);
    let scale = f32_at(bytes, scalars + 4);
    let eps = f32_at(bytes, scalars + 8);
    validate_scalars(vocab, k_usize, scale, tau, eps)?;

    let ids_start = scalars + SCALAR_BYTES;
    // Every slot is overwritten: a reused vector of the same length is not touched here.
    ids.resize(k_usize, 0);
    let ids_end = ids_start + read_ids(&bytes[ids_start..], vocab, ids)?;
    let codes_end = ids_end + codes_len(k, bits) as usize;
    codes.clear();
    if kind == KIND_TOP_K {
        codes.extend_from_slice(&bytes[ids_end..codes_end]);
    } else {
        unpack_codes(&bytes[ids_end..codes_end], k_usize, bits, codes)?;
    }
    validate_codes(bits, codes)?;
    Ok(Scalars {
        vocab,
        scale,
        tau,
        eps,
        bits,
    })
}

/// Decodes and validates a payload of kind 1 or 3 into a new [`PsiTopK`] (see
/// [`Decoder`] to decode many without allocating).
pub fn decode(bytes: &[u8]) -> Result<PsiTopK, TsdError> {
    let (mut ids, mut codes) = (Vec::new(), Vec::new());
    let s = decode_parts(bytes, &mut ids, &mut codes)?;
    Ok(PsiTopK::from_validated(
        s.vocab, ids, codes, s.scale, s.tau, s.eps, s.bits,
    ))
}

/// Decodes payloads of kind 1 or 3 one after another into a payload it keeps, reusing its id
/// and code vectors: after the first payload, decoding allocates only when K grows. Every
/// check of [`decode`] runs, in the same order, with the same errors.
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    /// The last payload decoded; `None` before the first and after an error.
    payload: Option<PsiTopK>,
}

impl Decoder {
    /// Decodes and validates `bytes`; the payload stays borrowed until the next call.
    pub fn decode(&mut self, bytes: &[u8]) -> Result<&PsiTopK, TsdError> {
        let (mut ids, mut codes) = self
            .payload
            .take()
            .map(PsiTopK::into_buffers)
            .unwrap_or_default();
        let s = decode_parts(bytes, &mut ids, &mut codes)?;
        Ok(self.payload.insert(PsiTopK::from_validated(
            s.vocab, ids, codes, s.scale, s.tau, s.eps, s.bits,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::PsiValidationError;

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

    #[test]
    fn a_decoder_reads_what_decode_reads_payload_after_payload() {
        let mut decoder = Decoder::default();
        let mut corrupt = encode(&sample(500, 32));
        corrupt[20] ^= 1;
        let streams = [
            encode(&sample(1000, 64)),
            encode(&packed(500, 32, 3)),
            corrupt,
            encode(&sample(1 << 24, 128)),
            encode(&sample(7, 3)),
            encode(&sample(1000, 64)),
        ];
        for bytes in &streams {
            assert_eq!(decoder.decode(bytes).cloned(), decode(bytes));
        }
    }

    fn packed(vocab: u32, k: u32, bits: u8) -> PsiTopK {
        let psi = sample(vocab, k);
        let mask = (1u16 << bits) - 1;
        let codes = psi
            .codes()
            .iter()
            .map(|&c| (u16::from(c) & mask) as u8)
            .collect();
        PsiTopK::with_code_bits(
            vocab,
            psi.ids().to_vec(),
            codes,
            0.0123,
            0.9,
            psi.eps(),
            bits,
        )
        .unwrap()
    }

    #[test]
    fn packed_codes_round_trip_at_every_width() {
        for bits in 1..=8 {
            for (vocab, k) in [(1, 1), (7, 3), (500, 32), (1000, 61), (1 << 24, 128)] {
                let psi = packed(vocab, k, bits);
                let bytes = encode(&psi);
                assert_eq!(bytes.len(), encoded_len_bits(vocab, k as usize, bits));
                let expected_kind = if bits == 8 {
                    KIND_TOP_K
                } else {
                    KIND_TOP_K_PACKED
                };
                assert_eq!(bytes[1], expected_kind);
                assert_eq!(decode(&bytes).unwrap(), psi);
            }
        }
        // Kind 3 spends one byte on `bits` and saves K·(8 − bits) bits.
        assert_eq!(encoded_len_bits(500, 32, 4), encoded_len(500, 32) + 1 - 16);
    }

    #[test]
    fn packed_errors_are_named() {
        let bytes = encode(&packed(1000, 61, 3));
        // bits is the byte after the two one- or two-byte varints: V = 1000 takes two.
        let at = 2 + 2 + 1;
        assert_eq!(bytes[at], 3);
        for bad in [0u8, 8, 9] {
            let mut body = bytes[..bytes.len() - 4].to_vec();
            body[at] = bad;
            match decode(&with_checksum(body)) {
                Err(TsdError::PsiDecode(PsiDecodeError::Malformed { field, .. })) => {
                    assert_eq!(field, "bits");
                }
                other => panic!("bits = {bad}: {other:?}"),
            }
        }
        // 61 codes of 3 bits leave 5 padding bits in the last byte: a one there is malformed.
        let mut body = bytes[..bytes.len() - 4].to_vec();
        let last = body.len() - 1;
        body[last] |= 0x80;
        match decode(&with_checksum(body)) {
            Err(TsdError::PsiDecode(PsiDecodeError::Malformed { field, .. })) => {
                assert_eq!(field, "codes");
            }
            other => panic!("{other:?}"),
        }
        for cut in 0..bytes.len() {
            assert!(matches!(
                decode(&bytes[..cut]),
                Err(TsdError::PsiDecode(PsiDecodeError::Truncated { .. }))
            ));
        }
    }
}
