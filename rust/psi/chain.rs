//! The chain payload: L positions of top-K slots whose scores depend on the previous slot, so
//! one TSU call draws an L-token block.
//!
//! Every position has its own K sorted ids, score step `scale` and tail probability ε; τ and K
//! are shared. Position 0 carries one row of K codes; position i ≥ 1 carries K + 1 rows, row a
//! being the codes given that position i − 1 drew slot a (a = K: a token outside position
//! i − 1's ids). Each (position, row) is therefore an ordinary top-K payload, and
//! q(x_i | x_{i−1}) = F(that payload)(x_i) in closed form: the TSU's chain is ancestral
//! sampling through these conditionals, and the verifier checks position i against the one
//! the drawn x_{i−1} selects.

use crate::error::{ArgumentError, PsiValidationError};
use crate::psi::{validate_header, validate_ids, validate_scalars, PsiTopK, MAX_CODE_BITS};

/// Longest chain a payload may describe (matches the longest block the verifier takes).
pub const MAX_CHAIN_LEN: usize = 32;

/// A validated chain payload. Construct with [`PsiChain::new`]; fields are read-only.
#[derive(Debug, Clone, PartialEq)]
pub struct PsiChain {
    vocab: u32,
    k: usize,
    tau: f32,
    /// L × K ids, position-major.
    ids: Vec<u32>,
    /// (1 + (L − 1)(K + 1)) × K codes: position 0's row, then each later position's rows.
    codes: Vec<u8>,
    scales: Vec<f32>,
    eps: Vec<f32>,
}

/// Number of code rows a chain of `length` positions with `k` slots carries.
pub fn code_rows(length: usize, k: usize) -> usize {
    1 + length.saturating_sub(1) * (k + 1)
}

/// Number of code rows of `position`: 1 for position 0, K + 1 after.
pub fn rows_at(position: usize, k: usize) -> usize {
    if position == 0 {
        1
    } else {
        k + 1
    }
}

/// Index of the code row `position` uses after the previous token filled `previous_slot`
/// (≤ K; ignored at position 0): positions' rows are stored in order, slots in order.
pub fn row_index(position: usize, previous_slot: usize, k: usize) -> usize {
    if position == 0 {
        0
    } else {
        code_rows(position, k) + previous_slot
    }
}

fn at(position: usize) -> impl Fn(PsiValidationError) -> PsiValidationError {
    move |source| PsiValidationError::AtPosition {
        position,
        source: Box::new(source),
    }
}

fn check_shape(field: &'static str, expected: usize, got: usize) -> Result<(), PsiValidationError> {
    if expected == got {
        Ok(())
    } else {
        Err(PsiValidationError::ChainShape {
            field,
            expected,
            got,
        })
    }
}

/// Checks V, L and K alone (the wire decoder calls this before it trusts them for lengths).
pub(crate) fn validate_chain_header(
    vocab: u64,
    length: u64,
    k: u64,
) -> Result<(), PsiValidationError> {
    validate_header(vocab, k)?;
    if length == 0 || length > MAX_CHAIN_LEN as u64 {
        return Err(PsiValidationError::ChainLength {
            length,
            max: MAX_CHAIN_LEN,
        });
    }
    Ok(())
}

impl PsiChain {
    /// Validates every field and builds the payload: `ids` is L × K and sets L; `codes` must be
    /// [`code_rows`]`(L, K)` × K, `scales` and `eps` one entry per position, and a field that
    /// disagrees with L is named.
    pub fn new(
        vocab: u32,
        k: usize,
        tau: f32,
        ids: Vec<u32>,
        codes: Vec<u8>,
        scales: Vec<f32>,
        eps: Vec<f32>,
    ) -> Result<Self, PsiValidationError> {
        validate_header(u64::from(vocab), k as u64)?;
        check_shape("ids", ids.len().div_ceil(k) * k, ids.len())?;
        let length = ids.len() / k;
        validate_chain_header(u64::from(vocab), length as u64, k as u64)?;
        check_shape("scales", length, scales.len())?;
        check_shape("codes", code_rows(length, k) * k, codes.len())?;
        check_shape("eps", length, eps.len())?;
        for position in 0..length {
            validate_scalars(vocab, k, scales[position], tau, eps[position])
                .map_err(at(position))?;
            validate_ids(vocab, &ids[position * k..(position + 1) * k]).map_err(at(position))?;
        }
        Ok(Self::from_validated(vocab, k, tau, ids, codes, scales, eps))
    }

    /// Builds a payload whose fields the caller (the wire decoder) has already validated.
    pub(crate) fn from_validated(
        vocab: u32,
        k: usize,
        tau: f32,
        ids: Vec<u32>,
        codes: Vec<u8>,
        scales: Vec<f32>,
        eps: Vec<f32>,
    ) -> Self {
        Self {
            vocab,
            k,
            tau,
            ids,
            codes,
            scales,
            eps,
        }
    }

    pub fn vocab(&self) -> u32 {
        self.vocab
    }
    pub fn k(&self) -> usize {
        self.k
    }
    pub fn tau(&self) -> f32 {
        self.tau
    }
    /// The number of positions L.
    pub fn len(&self) -> usize {
        self.scales.len()
    }
    /// Always false: a chain has at least one position.
    pub fn is_empty(&self) -> bool {
        self.scales.is_empty()
    }
    /// All ids, L × K, position-major.
    pub fn all_ids(&self) -> &[u32] {
        &self.ids
    }
    /// All code rows, position 0's first.
    pub fn all_codes(&self) -> &[u8] {
        &self.codes
    }
    pub fn scales(&self) -> &[f32] {
        &self.scales
    }
    pub fn eps(&self) -> &[f32] {
        &self.eps
    }

    /// The sorted ids of `position`.
    pub fn ids(&self, position: usize) -> &[u32] {
        &self.ids[position * self.k..(position + 1) * self.k]
    }

    /// The slot the token `token` fills at `position`: its index among the ids, or K (tail).
    pub fn slot_of(&self, position: usize, token: u32) -> usize {
        self.ids(position).binary_search(&token).unwrap_or(self.k)
    }

    /// The code rows of `position`: 1 for position 0, K + 1 after.
    pub fn rows(&self, position: usize) -> usize {
        rows_at(position, self.k)
    }

    /// The codes of `position` given the previous slot, at most K (ignored at position 0).
    pub fn codes(&self, position: usize, previous_slot: usize) -> &[u8] {
        debug_assert!(
            previous_slot <= self.k,
            "slot {previous_slot} > K = {}",
            self.k
        );
        let row = row_index(position, previous_slot, self.k);
        &self.codes[row * self.k..(row + 1) * self.k]
    }

    /// The top-K payload of `position` given the previous slot: q(x_i | x_{i−1}) is its F.
    pub fn conditional(&self, position: usize, previous_slot: usize) -> PsiTopK {
        PsiTopK::from_validated(
            self.vocab,
            self.ids(position).to_vec(),
            self.codes(position, previous_slot).to_vec(),
            self.scales[position],
            self.tau,
            self.eps[position],
            MAX_CODE_BITS,
        )
    }

    /// Checks that `tokens` is a block of this chain: L ids below V.
    pub fn check_block(&self, tokens: &[u32]) -> Result<(), ArgumentError> {
        if tokens.len() != self.len() {
            return Err(ArgumentError::new(
                "tokens",
                format!(
                    "a chain of L = {} needs {} tokens, got {}",
                    self.len(),
                    self.len(),
                    tokens.len()
                ),
            ));
        }
        match tokens.iter().position(|&t| t >= self.vocab) {
            Some(position) => Err(ArgumentError::new(
                "tokens",
                format!(
                    "token {} at position {position} is out of range for vocab = {}",
                    tokens[position], self.vocab
                ),
            )),
            None => Ok(()),
        }
    }

    /// The payload each position's draw came from, given the drawn `tokens` (length L).
    pub fn conditionals_for(&self, tokens: &[u32]) -> Vec<PsiTopK> {
        (0..self.len())
            .map(|position| {
                let previous = match position {
                    0 => 0,
                    _ => self.slot_of(position - 1, tokens[position - 1]),
                };
                self.conditional(position, previous)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(length: usize) -> Result<PsiChain, PsiValidationError> {
        let k = 2;
        let ids: Vec<u32> = (0..length).flat_map(|i| [i as u32, 5]).collect();
        let codes: Vec<u8> = (0..code_rows(length, k) * k).map(|i| i as u8).collect();
        PsiChain::new(6, k, 1.0, ids, codes, vec![0.1; length], vec![0.05; length])
    }

    #[test]
    fn conditionals_pick_the_row_of_the_previous_slot() {
        let chain = chain(3).unwrap();
        assert_eq!(chain.len(), 3);
        assert_eq!(chain.codes(0, 2), &[0, 1]);
        // Position 1's rows are 1..=3 (slots 0, 1 and the tail), position 2's rows 4..=6.
        assert_eq!(chain.codes(1, 0), &[2, 3]);
        assert_eq!(chain.codes(1, 2), &[6, 7]);
        assert_eq!(chain.codes(2, 1), &[10, 11]);
        // Position 0 has ids [0, 5]: token 5 is slot 1, token 3 is in the tail.
        let conditionals = chain.conditionals_for(&[5, 3, 0]);
        assert_eq!(conditionals[0].codes(), &[0, 1]);
        assert_eq!(conditionals[1].codes(), &[4, 5]);
        assert_eq!(conditionals[2].codes(), &[12, 13]);
        assert_eq!(conditionals[2].ids(), &[2, 5]);
    }

    #[test]
    fn bad_fields_are_named_with_their_position() {
        assert!(matches!(
            chain(0),
            Err(PsiValidationError::ChainLength { length: 0, .. })
        ));
        assert!(matches!(
            chain(MAX_CHAIN_LEN + 1),
            Err(PsiValidationError::ChainLength { .. })
        ));
        let good = chain(2).unwrap();
        let rebuild = |ids: Vec<u32>, codes: Vec<u8>, eps: Vec<f32>| {
            PsiChain::new(6, 2, 1.0, ids, codes, vec![0.1; 2], eps)
        };
        let mut ids = good.all_ids().to_vec();
        ids[3] = 1;
        assert_eq!(
            rebuild(ids, good.all_codes().to_vec(), good.eps().to_vec()),
            Err(PsiValidationError::AtPosition {
                position: 1,
                source: Box::new(PsiValidationError::DuplicateId { id: 1 }),
            })
        );
        assert!(matches!(
            rebuild(good.all_ids().to_vec(), vec![0; 3], good.eps().to_vec()),
            Err(PsiValidationError::ChainShape {
                field: "codes",
                expected: 8,
                got: 3
            })
        ));
        assert!(matches!(
            rebuild(
                good.all_ids().to_vec(),
                good.all_codes().to_vec(),
                vec![0.05, 0.3]
            ),
            Err(PsiValidationError::AtPosition { position: 1, .. })
        ));
        // L comes from the ids; a scales or eps list of another length is the field named.
        let short_scales = PsiChain::new(
            6,
            2,
            1.0,
            good.all_ids().to_vec(),
            good.all_codes().to_vec(),
            vec![0.1],
            vec![0.05, 0.1],
        );
        assert!(matches!(
            short_scales,
            Err(PsiValidationError::ChainShape {
                field: "scales",
                expected: 2,
                got: 1
            })
        ));
        assert!(matches!(
            rebuild(
                good.all_ids().to_vec(),
                good.all_codes().to_vec(),
                vec![0.05]
            ),
            Err(PsiValidationError::ChainShape { field: "eps", .. })
        ));
        assert!(matches!(
            rebuild(
                vec![0, 5, 1],
                good.all_codes().to_vec(),
                good.eps().to_vec()
            ),
            Err(PsiValidationError::ChainShape { field: "ids", .. })
        ));
    }
}
