//! The versioned ψ wire format: encode, decode, and exact encoded sizes.
//!
//! Layout (documented byte by byte in `docs/PSI_FORMAT.md`):
//! `version u8 | kind u8 | vocab varint | K varint | tau f32 | scale f32 | eps f32 |
//!  ids (Elias–Fano) | codes u8 × K | crc32 u32`, all little-endian.
//! Ids are sorted, so Elias–Fano needs about K·(2 + log2(V/K)) bits instead of K·log2(V).

use super::bits::{read_varint, write_varint, BitReader, BitWriter, VarintError};
use crate::error::{PsiDecodeError, TsdError};
use crate::psi::{validate_header, validate_ids, validate_scalars, PsiTopK};

/// The wire format version this build writes and reads.
pub const VERSION: u8 = 1;
/// Payload kind tag of the top-K payload.
pub const KIND_TOP_K: u8 = 1;
/// Payload kind tag of the chain payload (see `wire_chain`).
pub const KIND_CHAIN: u8 = 2;
/// A vocab of at most 2^24 takes at most 4 varint bytes; so does K <= vocab.
const MAX_VARINT_BYTES: usize = 4;
pub(crate) const CHECKSUM_BYTES: usize = 4;
const SCALAR_BYTES: usize = 12;
/// The shortest valid payload: V = K = 1.
pub const MIN_ENCODED_LEN: usize = 2 + 1 + 1 + SCALAR_BYTES + 1 + 1 + CHECKSUM_BYTES;

/// Elias–Fano split for K sorted ids below `vocab`: `low` bits stored verbatim per id, the
/// high parts as unary gaps in a `upper`-bit region.
#[derive(Debug, Clone, Copy, PartialEq)]
struct EliasFano {
    low: u32,
    upper: u64,
    k: u64,
}

impl EliasFano {
    fn new(vocab: u64, k: u64) -> Self {
        let ratio = vocab.checked_div(k).unwrap_or(0);
        let low = if ratio <= 1 { 0 } else { ratio.ilog2() };
        let upper = k + (vocab.saturating_sub(1) >> low);
        Self { low, upper, k }
    }

    fn total_bits(&self) -> u64 {
        self.k * u64::from(self.low) + self.upper
    }

    fn bytes(&self) -> u64 {
        self.total_bits().div_ceil(8)
    }
}

pub(crate) fn varint_len(value: u64) -> u64 {
    u64::from((64 - value.leading_zeros()).max(1).div_ceil(7))
}

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

/// Appends the Elias–Fano section of the sorted `ids` below `vocab`.
pub(crate) fn write_ids(out: &mut Vec<u8>, vocab: u64, ids: &[u32]) {
    let ef = EliasFano::new(vocab, ids.len() as u64);
    let end = out.len() + ef.bytes() as usize;
    let low_mask = (1u32 << ef.low) - 1;
    let mut writer = BitWriter::new(out);
    for &id in ids {
        writer.push(u64::from(id & low_mask), ef.low);
    }
    // The high parts in unary: the gap to the previous high part in zeros, then a one.
    let mut previous = 0;
    for &id in ids {
        let high = id >> ef.low;
        writer.zeros(u64::from(high - previous));
        writer.push(1, 1);
        previous = high;
    }
    writer.finish();
    // The rest of the high-bit region and the padding are zeros.
    out.resize(end, 0);
}

/// Bytes of the Elias–Fano section for K ids below V.
pub(crate) fn ids_len(vocab: u64, k: u64) -> u64 {
    EliasFano::new(vocab, k).bytes()
}

/// Appends the CRC-32 of everything written since `start`.
pub(crate) fn seal(out: &mut Vec<u8>, start: usize) {
    let checksum = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&checksum.to_le_bytes());
}

/// Encodes `psi` into a fresh byte vector.
pub fn encode(psi: &PsiTopK) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_len(psi.vocab(), psi.k()));
    encode_into(psi, &mut out);
    out
}

pub(crate) fn truncated(expected: u64, got: usize) -> TsdError {
    PsiDecodeError::Truncated {
        expected: expected as usize,
        got,
    }
    .into()
}

pub(crate) fn read_count(bytes: &[u8], field: &'static str) -> Result<(u64, usize), TsdError> {
    read_varint(bytes, MAX_VARINT_BYTES).map_err(|err| match err {
        VarintError::Truncated => truncated(MIN_ENCODED_LEN as u64, bytes.len()),
        VarintError::Overlong => PsiDecodeError::Malformed {
            field,
            reason: format!("not a canonical varint of at most {MAX_VARINT_BYTES} bytes"),
        }
        .into(),
    })
}

pub(crate) fn f32_at(bytes: &[u8], at: usize) -> f32 {
    f32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Decodes and validates a payload. Checks run in order: structure (version, kind, length),
/// integrity (checksum), then meaning (field validation), so that a corrupted byte reports
/// as a checksum failure rather than as a misleading field error.
pub fn decode(bytes: &[u8]) -> Result<PsiTopK, TsdError> {
    check_envelope(bytes, KIND_TOP_K)?;
    let (vocab, used_v) = read_count(&bytes[2..], "vocab")?;
    let (k, used_k) = read_count(&bytes[2 + used_v..], "K")?;
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

/// Checks the version byte and that the kind byte is `kind`.
pub(crate) fn check_envelope(bytes: &[u8], kind: u8) -> Result<(), TsdError> {
    let got = bytes.len();
    let version = *bytes
        .first()
        .ok_or_else(|| truncated(MIN_ENCODED_LEN as u64, got))?;
    if version != VERSION {
        return Err(PsiDecodeError::UnsupportedVersion {
            found: version,
            supported: VERSION,
        }
        .into());
    }
    let found = *bytes
        .get(1)
        .ok_or_else(|| truncated(MIN_ENCODED_LEN as u64, got))?;
    match found {
        _ if found == kind => Ok(()),
        KIND_TOP_K | KIND_CHAIN => Err(PsiDecodeError::UnexpectedKind {
            found,
            expected: kind,
        }
        .into()),
        _ => Err(PsiDecodeError::UnknownKind { found }.into()),
    }
}

/// Checks that the payload is exactly `expected` bytes long and that its CRC-32 matches.
pub(crate) fn check_length_and_checksum(bytes: &[u8], expected: u64) -> Result<(), TsdError> {
    let got = bytes.len();
    if (got as u64) < expected {
        return Err(truncated(expected, got));
    }
    if (got as u64) > expected {
        return Err(PsiDecodeError::TrailingBytes {
            extra: (got as u64 - expected) as usize,
        }
        .into());
    }
    let body_len = got - CHECKSUM_BYTES;
    let stored = u32::from_le_bytes([
        bytes[body_len],
        bytes[body_len + 1],
        bytes[body_len + 2],
        bytes[body_len + 3],
    ]);
    let computed = crc32fast::hash(&bytes[..body_len]);
    if stored != computed {
        return Err(PsiDecodeError::ChecksumMismatch { stored, computed }.into());
    }
    Ok(())
}

/// Reads the Elias–Fano section of `k` ids below `vocab` starting at `start`; returns the ids
/// and the offset just past the section. The caller validates order and range.
pub(crate) fn read_ids(
    bytes: &[u8],
    start: usize,
    vocab: u32,
    k: usize,
) -> Result<(Vec<u32>, usize), TsdError> {
    let ef = EliasFano::new(u64::from(vocab), k as u64);
    let end = start + ef.bytes() as usize;
    Ok((decode_ids(&bytes[start..end], ef)?, end))
}

fn malformed_ids(reason: &str) -> TsdError {
    PsiDecodeError::Malformed {
        field: "ids",
        reason: reason.to_owned(),
    }
    .into()
}

fn decode_ids(section: &[u8], ef: EliasFano) -> Result<Vec<u32>, TsdError> {
    let k = ef.k as usize;
    let low = ef.low as usize;
    let reader = BitReader::new(section);
    let upper_start = k * low;
    let upper_end = upper_start + ef.upper as usize;
    // Exactly K ones may follow the low bits: none in the padding, none past the K-th id.
    if reader.count_ones_from(upper_start) != k {
        return Err(malformed_ids(
            "the high-bit region and padding must hold exactly K ones",
        ));
    }
    let low_mask = (1u64 << low) - 1;
    let mut ids = Vec::with_capacity(k);
    let mut base = upper_start;
    let mut bits = reader.window(base);
    while ids.len() < k {
        if bits == 0 {
            base += 64 - base % 8;
            bits = reader.window(base);
            continue;
        }
        let one = base + bits.trailing_zeros() as usize;
        bits &= bits - 1;
        if one >= upper_end {
            return Err(malformed_ids(
                "a one lies in the padding after the high-bit region",
            ));
        }
        let i = ids.len();
        let high = (one - upper_start - i) as u64;
        let full = (high << low) | (reader.window(i * low) & low_mask);
        ids.push(u32::try_from(full).map_err(|_| malformed_ids("an id does not fit in 32 bits"))?);
    }
    Ok(ids)
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
        let ef = EliasFano::new(2, 3);
        body.extend(std::iter::repeat_n(0, ef.bytes() as usize + 3));
        assert!(matches!(
            decode(&with_checksum(body)),
            Err(TsdError::PsiValidation(PsiValidationError::KExceedsVocab {
                k: 3,
                vocab: 2
            }))
        ));
    }
}
