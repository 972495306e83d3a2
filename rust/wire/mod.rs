//! The versioned ψ wire format: one checksummed envelope, one codec file per payload kind
//! ([`topk`], [`chain`]), and [`decode_any`] / [`encode_any`], which dispatch on the kind byte.
//!
//! Every payload starts `version u8 | kind u8` and ends with the CRC-32 of everything before
//! it (`docs/PSI_FORMAT.md` documents each kind byte by byte). A new payload kind is a new
//! codec file here, a new kind tag, and one arm in each dispatch below.

mod bits;
pub mod chain;
mod cpu;
pub mod gauss;
mod ids;
mod lowbits;
pub mod topk;

use crate::error::{PsiDecodeError, TsdError};
use crate::psi::Payload;
use bits::{read_varint, VarintError};

/// The wire format version this build writes and reads.
pub const VERSION: u8 = 1;
/// Payload kind tag of the top-K payload ([`topk`]).
pub const KIND_TOP_K: u8 = 1;
/// Payload kind tag of the chain payload ([`chain`]).
pub const KIND_CHAIN: u8 = 2;
/// Payload kind tag of the top-K payload with bit-packed codes narrower than 8 bits ([`topk`]).
pub const KIND_TOP_K_PACKED: u8 = 3;
/// Payload kind tag of the quantised diagonal Gaussian ([`gauss`]).
pub const KIND_GAUSS: u8 = 4;
/// A vocab of at most 2^24 takes at most 4 varint bytes; so does K <= vocab.
const MAX_VARINT_BYTES: usize = 4;
pub(crate) const CHECKSUM_BYTES: usize = 4;
/// The shortest valid payload of any kind: a top-K payload with V = K = 1 (version, kind, two
/// one-byte varints, three f32 scalars, one ids byte, one code, the checksum).
pub const MIN_ENCODED_LEN: usize = 2 + 1 + 1 + 12 + 1 + 1 + CHECKSUM_BYTES;

/// Decodes and validates a payload of any kind, dispatching on its kind byte.
pub fn decode_any(bytes: &[u8]) -> Result<Payload, TsdError> {
    match bytes.get(1) {
        Some(&KIND_CHAIN) => chain::decode(bytes).map(Payload::Chain),
        Some(&KIND_GAUSS) => gauss::decode(bytes).map(Payload::Gauss),
        _ => topk::decode(bytes).map(Payload::TopK),
    }
}

/// Encodes a payload of any kind.
pub fn encode_any(payload: &Payload) -> Vec<u8> {
    match payload {
        Payload::TopK(psi) => topk::encode(psi),
        Payload::Chain(chain) => chain::encode(chain),
        Payload::Gauss(gauss) => gauss::encode(gauss),
    }
}

/// Exact encoded size in bytes of `payload`.
pub fn encoded_len_any(payload: &Payload) -> usize {
    match payload {
        Payload::TopK(psi) => topk::encoded_len_bits(psi.vocab(), psi.k(), psi.code_bits()),
        Payload::Chain(chain) => chain::encoded_len(chain.vocab(), chain.len(), chain.k()),
        Payload::Gauss(gauss) => gauss::encoded_len(gauss.dim()),
    }
}

pub(crate) fn varint_len(value: u64) -> u64 {
    u64::from((64 - value.leading_zeros()).max(1).div_ceil(7))
}

/// Appends the CRC-32 of everything written since `start`.
pub(crate) fn seal(out: &mut Vec<u8>, start: usize) {
    let checksum = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&checksum.to_le_bytes());
}

/// A truncation error: `expected` bytes needed, `got` present.
pub(crate) fn truncated(expected: u64, got: usize) -> TsdError {
    PsiDecodeError::Truncated {
        expected: expected as usize,
        got,
    }
    .into()
}

/// Reads the header count (vocab, K, L) at byte offset `at` of the payload as a canonical
/// varint; `field` names it in errors, and a truncation reports the whole payload's length.
pub(crate) fn read_count(
    bytes: &[u8],
    at: usize,
    field: &'static str,
) -> Result<(u64, usize), TsdError> {
    let rest = bytes.get(at..).unwrap_or_default();
    read_varint(rest, MAX_VARINT_BYTES).map_err(|err| match err {
        VarintError::Truncated => truncated(MIN_ENCODED_LEN as u64, bytes.len()),
        VarintError::Overlong => PsiDecodeError::Malformed {
            field,
            reason: format!("not a canonical varint of at most {MAX_VARINT_BYTES} bytes"),
        }
        .into(),
    })
}

/// The little-endian f32 at byte offset `at` (the caller has checked the length; past the
/// end it would read 0.0 rather than panic).
#[inline]
pub(crate) fn f32_at(bytes: &[u8], at: usize) -> f32 {
    let four = bytes.get(at..).and_then(<[u8]>::first_chunk::<4>);
    f32::from_le_bytes(four.copied().unwrap_or_default())
}

/// Checks the version byte and that the kind byte is one of `kinds`; returns the kind.
pub(crate) fn check_envelope(bytes: &[u8], kinds: &[u8]) -> Result<u8, TsdError> {
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
        _ if kinds.contains(&found) => Ok(found),
        KIND_TOP_K | KIND_CHAIN | KIND_TOP_K_PACKED | KIND_GAUSS => {
            Err(PsiDecodeError::UnexpectedKind {
                found,
                expected: kinds[0],
            }
            .into())
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::psi::{PsiChain, PsiTopK};

    fn top_k() -> PsiTopK {
        PsiTopK::new(50, vec![3, 9, 40], vec![0, 128, 255], 0.02, 0.8, 0.001).unwrap()
    }

    fn chain() -> PsiChain {
        let codes = (0..(1 + 4) * 3).map(|i| (i * 17 % 256) as u8).collect();
        PsiChain::new(
            50,
            3,
            0.8,
            vec![1, 2, 3, 7, 8, 9],
            codes,
            vec![0.02, 0.03],
            vec![0.001, 0.002],
        )
        .unwrap()
    }

    #[test]
    fn a_header_cut_short_reports_the_whole_payloads_length() {
        for kind in [KIND_TOP_K, KIND_CHAIN] {
            for cut in [vec![VERSION, kind], vec![VERSION, kind, 0x80]] {
                match decode_any(&cut) {
                    Err(TsdError::PsiDecode(PsiDecodeError::Truncated { got, .. })) => {
                        assert_eq!(got, cut.len());
                    }
                    other => panic!("expected a truncation error, got {other:?}"),
                }
            }
        }
    }

    #[test]
    fn decode_any_reads_every_kind_with_its_own_codec() {
        for payload in [Payload::from(top_k()), Payload::from(chain())] {
            let bytes = encode_any(&payload);
            assert_eq!(bytes.len(), encoded_len_any(&payload));
            assert_eq!(decode_any(&bytes).unwrap(), payload);
        }
        assert_eq!(encode_any(&top_k().into()), topk::encode(&top_k()));
        assert_eq!(encode_any(&chain().into()), chain::encode(&chain()));
    }

    #[test]
    fn decode_any_names_envelope_errors() {
        let mut bytes = topk::encode(&top_k());
        bytes[1] = 9;
        assert_eq!(
            decode_any(&bytes),
            Err(PsiDecodeError::UnknownKind { found: 9 }.into())
        );
        bytes[0] = 7;
        assert!(matches!(
            decode_any(&bytes),
            Err(TsdError::PsiDecode(PsiDecodeError::UnsupportedVersion {
                found: 7,
                ..
            }))
        ));
        assert!(matches!(
            decode_any(&[]),
            Err(TsdError::PsiDecode(PsiDecodeError::Truncated { .. }))
        ));
    }
}
