//! The Gaussian payload on the wire (kind 4), in the same versioned, checksummed envelope.
//!
//! Layout (documented byte by byte in `docs/PSI_FORMAT.md`):
//! `version u8 | kind u8 | d varint | offset f32 | step f32 | d × mean code i16 |
//!  d × log-variance code i8 | crc32 u32`, all little-endian: 15 + 3d bytes for d < 128.

use super::bits::write_varint;
use super::{
    check_envelope, check_length_and_checksum, f32_at, read_count, seal, varint_len,
    CHECKSUM_BYTES, KIND_GAUSS, VERSION,
};
use crate::error::TsdError;
use crate::psi::gauss::{validate_dim, PsiGauss};

/// Exact encoded size, in u128 so that an absurd header cannot overflow.
fn encoded_len_u128(d: u64) -> u128 {
    2 + u128::from(varint_len(d)) + 8 + 3 * u128::from(d) + CHECKSUM_BYTES as u128
}

/// Exact encoded size in bytes of a Gaussian payload over `d` values.
pub fn encoded_len(d: usize) -> usize {
    encoded_len_u128(d as u64) as usize
}

/// Encodes `psi` into a fresh byte vector.
pub fn encode(psi: &PsiGauss) -> Vec<u8> {
    let d = psi.dim();
    let mut out = Vec::with_capacity(encoded_len(d));
    out.push(VERSION);
    out.push(KIND_GAUSS);
    write_varint(&mut out, d as u64);
    out.extend_from_slice(&psi.offset().to_le_bytes());
    out.extend_from_slice(&psi.step().to_le_bytes());
    for code in psi.mean_codes() {
        out.extend_from_slice(&code.to_le_bytes());
    }
    out.extend(psi.logvar_codes().iter().map(|&c| c as u8));
    seal(&mut out, 0);
    out
}

/// Decodes and validates a Gaussian payload: structure, then the checksum, then meaning.
pub fn decode(bytes: &[u8]) -> Result<PsiGauss, TsdError> {
    check_envelope(bytes, &[KIND_GAUSS])?;
    let (d, used) = read_count(bytes, 2, "d")?;
    let expected = encoded_len_u128(d);
    check_length_and_checksum(bytes, u64::try_from(expected).unwrap_or(u64::MAX))?;
    validate_dim(d)?;
    let d = d as usize;
    let at = 2 + used;
    let (offset, step) = (f32_at(bytes, at), f32_at(bytes, at + 4));
    let means_at = at + 8;
    let mean_codes = bytes[means_at..means_at + 2 * d]
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let logvar_codes = bytes[means_at + 2 * d..means_at + 3 * d]
        .iter()
        .map(|&b| b as i8)
        .collect();
    Ok(PsiGauss::new(offset, step, mean_codes, logvar_codes)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{PsiDecodeError, PsiValidationError};
    use crate::wire::{decode_any, encode_any, encoded_len_any};

    fn sample(d: usize) -> PsiGauss {
        let means: Vec<f64> = (0..d).map(|i| (i as f64 * 0.7).sin() * 3.0).collect();
        let logvars: Vec<f64> = (0..d).map(|i| -2.0 + 0.3 * (i % 40) as f64).collect();
        PsiGauss::craft(&means, &logvars).unwrap()
    }

    #[test]
    fn sizes_are_15_plus_3d_below_128() {
        for (d, bytes) in [(1, 18), (8, 39), (32, 111), (128, 400), (2048, 6160)] {
            assert_eq!(encoded_len(d), bytes, "d = {d}");
            assert_eq!(encode(&sample(d)).len(), bytes);
        }
    }

    #[test]
    fn round_trips_through_decode_any() {
        for d in [1, 2, 7, 300] {
            let psi = sample(d);
            let bytes = encode_any(&psi.clone().into());
            assert_eq!(bytes.len(), encoded_len_any(&psi.clone().into()));
            assert_eq!(decode_any(&bytes).unwrap(), psi.into());
        }
    }

    #[test]
    fn corrupt_payloads_are_named_errors() {
        let bytes = encode(&sample(4));
        for cut in 0..bytes.len() {
            assert!(matches!(
                decode(&bytes[..cut]),
                Err(TsdError::PsiDecode(PsiDecodeError::Truncated { .. }))
            ));
        }
        let mut flipped = bytes.clone();
        flipped[5] ^= 1;
        assert!(matches!(
            decode(&flipped),
            Err(TsdError::PsiDecode(PsiDecodeError::ChecksumMismatch { .. }))
        ));
        let mut nan_step = bytes[..bytes.len() - 4].to_vec();
        nan_step[7..11].copy_from_slice(&f32::NAN.to_le_bytes());
        seal(&mut nan_step, 0);
        assert!(matches!(
            decode(&nan_step),
            Err(TsdError::PsiValidation(PsiValidationError::GaussMean {
                field: "step",
                ..
            }))
        ));
        let empty = {
            let mut out = vec![VERSION, KIND_GAUSS, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            seal(&mut out, 0);
            out
        };
        assert!(matches!(
            decode(&empty),
            Err(TsdError::PsiValidation(
                PsiValidationError::GaussDimension { d: 0, .. }
            ))
        ));
    }
}
