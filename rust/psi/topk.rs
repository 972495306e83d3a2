//! The top-K proposal payload ψ and its validation.
//!
//! ψ carries K distinct token ids (sorted ascending), one b-bit score code per id (b =
//! `code_bits` in 1..=8, 8 by default; a code is below 2^b), the score step `scale` (score = code · scale, in nats; softmax is shift-invariant so no offset is
//! needed), a temperature τ and a per-token tail probability ε for the V − K other tokens.
//! Fields are stored at wire precision (f32, u8) so that a payload round-trips bit for bit.

use crate::error::PsiValidationError;

/// Largest vocabulary a payload may describe (2^24 tokens).
pub const MAX_VOCAB: u32 = 1 << 24;

/// Widest score code, in bits (one byte per code on the wire, kind 1).
pub const MAX_CODE_BITS: u8 = 8;

/// A validated top-K payload. Construct with [`PsiTopK::new`]; fields are read-only.
#[derive(Debug, Clone, PartialEq)]
pub struct PsiTopK {
    vocab: u32,
    ids: Vec<u32>,
    codes: Vec<u8>,
    scale: f32,
    tau: f32,
    eps: f32,
    code_bits: u8,
}

impl PsiTopK {
    /// Validates every field and builds a payload with 8-bit codes.
    pub fn new(
        vocab: u32,
        ids: Vec<u32>,
        codes: Vec<u8>,
        scale: f32,
        tau: f32,
        eps: f32,
    ) -> Result<Self, PsiValidationError> {
        Self::with_code_bits(vocab, ids, codes, scale, tau, eps, MAX_CODE_BITS)
    }

    /// Validates every field and builds a payload whose codes are `code_bits` wide (1..=8):
    /// every code must be below 2^code_bits. F(ψ) reads only code · scale, so the width
    /// changes the bytes on the wire, never the distribution a given set of codes describes.
    pub fn with_code_bits(
        vocab: u32,
        ids: Vec<u32>,
        codes: Vec<u8>,
        scale: f32,
        tau: f32,
        eps: f32,
        code_bits: u8,
    ) -> Result<Self, PsiValidationError> {
        validate_header(u64::from(vocab), ids.len() as u64)?;
        if ids.len() != codes.len() {
            return Err(PsiValidationError::LengthMismatch {
                ids: ids.len(),
                codes: codes.len(),
            });
        }
        validate_codes(code_bits, &codes)?;
        validate_scalars(vocab, ids.len(), scale, tau, eps)?;
        validate_ids(vocab, &ids)?;
        Ok(Self {
            vocab,
            ids,
            codes,
            scale,
            tau,
            eps,
            code_bits,
        })
    }

    /// Builds a payload whose fields the caller (the wire decoder) has already validated.
    pub(crate) fn from_validated(
        vocab: u32,
        ids: Vec<u32>,
        codes: Vec<u8>,
        scale: f32,
        tau: f32,
        eps: f32,
        code_bits: u8,
    ) -> Self {
        Self {
            vocab,
            ids,
            codes,
            scale,
            tau,
            eps,
            code_bits,
        }
    }

    /// The id and code vectors, for a decoder that refills them in place
    /// ([`crate::wire::topk::Decoder`]).
    pub(crate) fn into_buffers(self) -> (Vec<u32>, Vec<u8>) {
        (self.ids, self.codes)
    }

    pub fn vocab(&self) -> u32 {
        self.vocab
    }
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }
    pub fn codes(&self) -> &[u8] {
        &self.codes
    }
    pub fn k(&self) -> usize {
        self.ids.len()
    }
    pub fn scale(&self) -> f32 {
        self.scale
    }
    pub fn tau(&self) -> f32 {
        self.tau
    }
    pub fn eps(&self) -> f32 {
        self.eps
    }
    /// Width of each score code in bits (1..=8).
    pub fn code_bits(&self) -> u8 {
        self.code_bits
    }
    /// Number of tokens outside the top-K set, each of probability ε.
    pub fn tail_count(&self) -> u32 {
        self.vocab - self.ids.len() as u32
    }
    /// Total tail mass (V − K)·ε, computed in f64.
    pub fn tail_mass(&self) -> f64 {
        tail_mass(self.vocab, self.ids.len(), self.eps)
    }
}

fn tail_mass(vocab: u32, k: usize, eps: f32) -> f64 {
    f64::from(vocab - k as u32) * f64::from(eps)
}

/// Checks V and K alone (the wire decoder calls this before it trusts them for lengths).
pub(crate) fn validate_header(vocab: u64, k: u64) -> Result<(), PsiValidationError> {
    if vocab == 0 || vocab > u64::from(MAX_VOCAB) {
        return Err(PsiValidationError::VocabOutOfRange {
            vocab,
            max: MAX_VOCAB,
        });
    }
    if k == 0 {
        return Err(PsiValidationError::EmptyTopK);
    }
    if k > vocab {
        return Err(PsiValidationError::KExceedsVocab {
            k,
            vocab: vocab as u32,
        });
    }
    Ok(())
}

/// Checks the code width (1..=8 bits) and that every code fits in it.
pub(crate) fn validate_codes(code_bits: u8, codes: &[u8]) -> Result<(), PsiValidationError> {
    if !(1..=MAX_CODE_BITS).contains(&code_bits) {
        return Err(PsiValidationError::InvalidCodeBits {
            bits: code_bits,
            max: MAX_CODE_BITS,
        });
    }
    if code_bits == MAX_CODE_BITS {
        // Every u8 fits in 8 bits.
        return Ok(());
    }
    let limit = 1u16 << code_bits;
    if let Some(position) = codes.iter().position(|&c| u16::from(c) >= limit) {
        return Err(PsiValidationError::CodeOutOfRange {
            code: codes[position],
            position,
            bits: code_bits,
        });
    }
    Ok(())
}

/// Checks τ, scale and ε for a header already known to be valid.
pub(crate) fn validate_scalars(
    vocab: u32,
    k: usize,
    scale: f32,
    tau: f32,
    eps: f32,
) -> Result<(), PsiValidationError> {
    if !(tau.is_finite() && tau > 0.0) {
        return Err(PsiValidationError::InvalidTau { tau });
    }
    if !(scale.is_finite() && scale >= 0.0) {
        return Err(PsiValidationError::InvalidScale { scale });
    }
    let tail = tail_mass(vocab, k, eps);
    // `eps >= 0.0` is false for NaN, so NaN is rejected here too.
    if !(eps.is_finite() && eps >= 0.0 && tail < 1.0) {
        return Err(PsiValidationError::InvalidEps {
            eps,
            tail_mass: tail,
        });
    }
    Ok(())
}

/// Checks that ids are strictly increasing and below the vocabulary size. A branch-free pass
/// accepts valid ids; only invalid ones pay for the search that names the first fault.
pub(crate) fn validate_ids(vocab: u32, ids: &[u32]) -> Result<(), PsiValidationError> {
    let increasing = ids
        .windows(2)
        .fold(true, |ok, pair| ok & (pair[0] < pair[1]));
    if increasing && ids.last().is_none_or(|&last| last < vocab) {
        return Ok(());
    }
    for (position, pair) in ids.windows(2).enumerate() {
        let (prev, next) = (pair[0], pair[1]);
        if prev == next {
            return Err(PsiValidationError::DuplicateId { id: next });
        }
        if next < prev {
            // A smaller id later on may still be a duplicate of an earlier one; name that first.
            if ids[..=position].contains(&next) {
                return Err(PsiValidationError::DuplicateId { id: next });
            }
            return Err(PsiValidationError::IdsNotSorted { prev, next });
        }
    }
    if let Some(position) = ids.iter().position(|&id| id >= vocab) {
        return Err(PsiValidationError::IdOutOfRange {
            id: ids[position],
            position,
            vocab,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn psi(vocab: u32, ids: Vec<u32>, tau: f32, eps: f32) -> Result<PsiTopK, PsiValidationError> {
        let codes = vec![0; ids.len()];
        PsiTopK::new(vocab, ids, codes, 0.1, tau, eps)
    }

    #[test]
    fn accepts_a_valid_payload() {
        let p = psi(10, vec![1, 4, 9], 1.0, 0.01).unwrap();
        assert_eq!(p.k(), 3);
        assert_eq!(p.tail_count(), 7);
        assert_eq!(p.tail_mass(), 7.0 * f64::from(0.01f32));
    }

    #[test]
    fn each_bad_field_has_its_own_error() {
        assert!(matches!(
            psi(0, vec![], 1.0, 0.0),
            Err(PsiValidationError::VocabOutOfRange { .. })
        ));
        assert!(matches!(
            psi(MAX_VOCAB + 1, vec![0], 1.0, 0.0),
            Err(PsiValidationError::VocabOutOfRange { .. })
        ));
        assert_eq!(psi(5, vec![], 1.0, 0.0), Err(PsiValidationError::EmptyTopK));
        assert!(matches!(
            psi(2, vec![0, 1, 2], 1.0, 0.0),
            Err(PsiValidationError::KExceedsVocab { k: 3, vocab: 2 })
        ));
        assert_eq!(
            psi(10, vec![1, 1], 1.0, 0.0),
            Err(PsiValidationError::DuplicateId { id: 1 })
        );
        assert_eq!(
            psi(10, vec![1, 5, 3], 1.0, 0.0),
            Err(PsiValidationError::IdsNotSorted { prev: 5, next: 3 })
        );
        assert_eq!(
            psi(10, vec![3, 5, 3], 1.0, 0.0),
            Err(PsiValidationError::DuplicateId { id: 3 })
        );
        assert!(matches!(
            psi(10, vec![2, 10], 1.0, 0.0),
            Err(PsiValidationError::IdOutOfRange {
                id: 10,
                position: 1,
                ..
            })
        ));
        for tau in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            assert!(matches!(
                psi(10, vec![1], tau, 0.0),
                Err(PsiValidationError::InvalidTau { .. })
            ));
        }
        for eps in [-1e-3, f32::NAN, f32::INFINITY, 0.2] {
            assert!(matches!(
                psi(10, vec![1, 2], 1.0, eps),
                Err(PsiValidationError::InvalidEps { .. })
            ));
        }
        assert!(matches!(
            PsiTopK::new(10, vec![1], vec![0], f32::NAN, 1.0, 0.0),
            Err(PsiValidationError::InvalidScale { .. })
        ));
        assert!(matches!(
            PsiTopK::new(10, vec![1], vec![0, 0], 0.1, 1.0, 0.0),
            Err(PsiValidationError::LengthMismatch { ids: 1, codes: 2 })
        ));
    }

    #[test]
    fn codes_must_fit_their_width() {
        let make = |codes: Vec<u8>, bits| {
            PsiTopK::with_code_bits(10, vec![1, 2], codes, 0.1, 1.0, 0.0, bits)
        };
        assert_eq!(make(vec![0, 15], 4).unwrap().code_bits(), 4);
        assert_eq!(
            make(vec![0, 16], 4),
            Err(PsiValidationError::CodeOutOfRange {
                code: 16,
                position: 1,
                bits: 4
            })
        );
        assert_eq!(make(vec![1, 0], 1).unwrap().codes(), &[1, 0]);
        assert!(matches!(
            make(vec![2, 0], 1),
            Err(PsiValidationError::CodeOutOfRange { position: 0, .. })
        ));
        for bits in [0, 9, 255] {
            assert_eq!(
                make(vec![0, 0], bits),
                Err(PsiValidationError::InvalidCodeBits { bits, max: 8 })
            );
        }
        assert_eq!(psi(10, vec![1], 1.0, 0.0).unwrap().code_bits(), 8);
    }

    #[test]
    fn eps_at_the_bound_is_rejected_and_just_below_accepted() {
        // (V - K) * eps must stay strictly below 1: all mass in the tail leaves nothing for the ids.
        assert!(psi(3, vec![0], 1.0, 0.5).is_err());
        assert!(psi(3, vec![0], 1.0, 0.499).is_ok());
        // With K = V there is no tail, so any finite eps >= 0 is harmless.
        assert!(psi(2, vec![0, 1], 1.0, 7.0).is_ok());
    }
}
