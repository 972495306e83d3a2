//! The proposer's side: craft a top-K ψ from a probability vector p.
//!
//! Ids: the K most probable tokens (ties to the lower id), sorted; for a top-K payload only
//! tokens with p > 0, so fewer than K when p has fewer non-zero entries. Scores: ln p,
//! quantised to b-bit codes (8 unless asked otherwise) over the payload's own finite score
//! range, so scale = (max − min) / (2^b − 1) and score ≈ min + code · scale (the min drops
//! out of the softmax). A chain
//! position needs K ids even where p has fewer non-zero entries: an id with p = 0 in a row gets
//! code 0 there, [`ZERO_GAP`] nats below the row's least likely id. ε is given, or "auto":
//! (1 − Σ top-K p) / max(V − K, 1), and 0 when K = V.

use rayon::prelude::*;

use crate::error::{ArgumentError, TsdError};
use crate::psi::chain::code_rows;
use crate::psi::{PsiChain, PsiTopK, MAX_CODE_BITS, MAX_VOCAB};
use crate::verify::NORMALISATION_TOLERANCE;

/// How to choose the tail probability ε.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EpsChoice {
    /// Spread the target's mass outside the top K evenly over the V − K other tokens.
    Auto,
    /// A fixed per-token tail probability.
    Fixed(f64),
}

/// Checks that `p` is a probability vector: finite, non-negative, summing to 1.
pub fn check_probabilities(p: &[f64]) -> Result<(), ArgumentError> {
    if p.is_empty() || p.len() > MAX_VOCAB as usize {
        return Err(ArgumentError::new(
            "p",
            format!("length must be in 1..={MAX_VOCAB}, got {}", p.len()),
        ));
    }
    if let Some(position) = p.iter().position(|&x| !(x.is_finite() && x >= 0.0)) {
        return Err(ArgumentError::new(
            "p",
            format!(
                "entry {position} is {}; probabilities must be finite and >= 0",
                p[position]
            ),
        ));
    }
    let total = p.iter().fold(0.0, |acc, &x| acc + x);
    if (total - 1.0).abs() > NORMALISATION_TOLERANCE {
        return Err(ArgumentError::new(
            "p",
            format!("sums to {total}, not 1 (tolerance {NORMALISATION_TOLERANCE})"),
        ));
    }
    Ok(())
}

/// Indices of the `k` largest entries (ties to the lower index), in ascending index order.
pub fn top_k_ids(p: &[f64], k: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..p.len() as u32).collect();
    let by_mass_then_id =
        |a: &u32, b: &u32| p[*b as usize].total_cmp(&p[*a as usize]).then(a.cmp(b));
    if k < order.len() {
        order.select_nth_unstable_by(k, by_mass_then_id);
        order.truncate(k);
    }
    order.sort_unstable();
    order
}

/// Quantises scores to 8-bit codes over their own finite range; returns (codes, scale).
/// Non-finite scores (ln 0) get code 0, [`ZERO_GAP`] below the finite ones.
pub fn quantise_scores(scores: &[f64]) -> (Vec<u8>, f32) {
    quantise_scores_bits(scores, MAX_CODE_BITS)
}

/// Quantises scores to `bits`-bit codes over their own finite range, 2^bits − 1 steps with
/// the same rounding as 8 bits; returns (codes, scale). `bits` is clamped to 1..=8.
pub fn quantise_scores_bits(scores: &[f64], bits: u8) -> (Vec<u8>, f32) {
    let bits = bits.clamp(1, MAX_CODE_BITS);
    quantise_rows_levels(scores, scores.len(), (1u32 << bits) - 1)
}

/// How far below a row's least likely id an id with p = 0 is placed, in nats at τ = 1, when
/// ids must include tokens with p = 0 (a chain position needs K ids): its softmax mass is then
/// at most e^-30 ≈ 1e-13 of that id's, as close to none as a code can come.
pub const ZERO_GAP: f64 = 30.0;

/// Quantises rows of `width` scores with one shared step: each row keeps its own minimum (a
/// row is its own softmax, so its offset drops out) and the step covers the widest row's
/// finite range in 255 codes. Non-finite scores (ln 0) get code 0; when there are any, the
/// finite ones are lifted [`ZERO_GAP`] above it, so an id with p = 0 never shares a code with
/// one that has mass. Returns (codes, scale).
pub fn quantise_rows(scores: &[f64], width: usize) -> (Vec<u8>, f32) {
    quantise_rows_levels(scores, width, (1u32 << MAX_CODE_BITS) - 1)
}

/// [`quantise_rows`] over `levels` steps (the top code) instead of 255.
fn quantise_rows_levels(scores: &[f64], width: usize, levels: u32) -> (Vec<u8>, f32) {
    let top = f64::from(levels);
    let ranges: Vec<(f64, f64)> = scores
        .chunks(width.max(1))
        .map(|row| {
            row.iter()
                .copied()
                .filter(|s| s.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
                    (lo.min(s), hi.max(s))
                })
        })
        .collect();
    let widest = ranges
        .iter()
        .filter(|(lo, hi)| hi > lo)
        .fold(0.0f64, |acc, (lo, hi)| acc.max(hi - lo));
    let gap = if scores.iter().all(|s| s.is_finite()) {
        0.0
    } else {
        ZERO_GAP
    };
    // No row with two distinct finite scores and no p = 0: every code is 0 and the step is 0.
    if widest + gap <= 0.0 {
        return (vec![0; scores.len()], 0.0);
    }
    let scale = ((widest + gap) / top) as f32;
    let step = f64::from(scale);
    let lift = (gap / step).floor();
    let codes = scores
        .chunks(width.max(1))
        .zip(&ranges)
        .flat_map(|(row, &(min, _))| {
            row.iter().map(move |&s| {
                if s.is_finite() {
                    // The code lies in [0, levels + rounding]; `min` clamps the rounding.
                    (lift + ((s - min) / step).round()).min(top) as u8
                } else {
                    0
                }
            })
        })
        .collect();
    (codes, scale)
}

/// Rounds ε to wire precision, stepping one f32 ulp down if rounding up broke (V − K)·ε < 1.
fn eps_to_wire(eps: f64, tail_count: u32) -> f32 {
    let rounded = eps as f32;
    if rounded > 0.0
        && f64::from(tail_count) * f64::from(rounded) >= 1.0
        && eps * f64::from(tail_count) < 1.0
    {
        f32::from_bits(rounded.to_bits() - 1)
    } else {
        rounded
    }
}

fn check_k(k: usize, vocab: usize) -> Result<(), ArgumentError> {
    if k == 0 || k > vocab {
        return Err(ArgumentError::new(
            "K",
            format!("must be in 1..={vocab} (the vocabulary size), got {k}"),
        ));
    }
    Ok(())
}

/// ε on the wire: the given value, or "auto" from the mass `p` leaves outside `ids`.
fn choose_eps(p: &[f64], ids: &[u32], eps: EpsChoice) -> f32 {
    let tail_count = (p.len() - ids.len()) as u32;
    let eps = match eps {
        EpsChoice::Auto if tail_count == 0 => 0.0,
        EpsChoice::Auto => {
            let top_mass = ids.iter().fold(0.0, |acc, &id| acc + p[id as usize]);
            // p sums to 1 within tolerance, so a negative remainder is rounding noise.
            (1.0 - top_mass).max(0.0) / f64::from(tail_count)
        }
        EpsChoice::Fixed(eps) => eps,
    };
    eps_to_wire(eps, tail_count)
}

/// Crafts ψ from `p` with at most `k` explicit tokens, temperature `tau` and the chosen ε.
///
/// Only tokens with p > 0 become ids: a code cannot express p = 0 (every id gets some softmax
/// mass), so when p has fewer than `k` non-zero entries the payload names just those, and the
/// tokens with p = 0 stay in the tail with ε each (0 under "auto", whose tail is then empty).
pub fn craft_topk(p: &[f64], k: usize, tau: f32, eps: EpsChoice) -> Result<PsiTopK, TsdError> {
    craft_topk_bits(p, k, tau, eps, MAX_CODE_BITS)
}

/// [`craft_topk`] with `bits`-bit score codes (1..=8): the same ids and ε, ln p quantised
/// over 2^bits − 1 steps instead of 255.
pub fn craft_topk_bits(
    p: &[f64],
    k: usize,
    tau: f32,
    eps: EpsChoice,
    bits: u8,
) -> Result<PsiTopK, TsdError> {
    check_probabilities(p)?;
    check_k(k, p.len())?;
    check_bits(bits)?;
    let support = p.iter().filter(|&&x| x > 0.0).count();
    let ids = top_k_ids(p, k.min(support));
    let scores: Vec<f64> = ids.iter().map(|&id| libm::log(p[id as usize])).collect();
    let (codes, scale) = quantise_scores_bits(&scores, bits);
    let eps = choose_eps(p, &ids, eps);
    Ok(PsiTopK::with_code_bits(
        p.len() as u32,
        ids,
        codes,
        scale,
        tau,
        eps,
        bits,
    )?)
}

fn check_bits(bits: u8) -> Result<(), ArgumentError> {
    if !(1..=MAX_CODE_BITS).contains(&bits) {
        return Err(ArgumentError::new(
            "bits",
            format!("must be in 1..={MAX_CODE_BITS}, got {bits}"),
        ));
    }
    Ok(())
}

/// One crafted chain position: K ids, one row of K codes per conditional, their shared step
/// and ε (see [`crate::psi::chain`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ChainPosition {
    pub ids: Vec<u32>,
    pub codes: Vec<u8>,
    pub scale: f32,
    pub eps: f32,
}

/// Crafts one chain position from `rows` (R probability vectors of length V, row-major: the
/// draft's prediction given each previous slot) and `pool` (the prediction the ids are
/// chosen from, and "auto" ε measured on). Row r's codes quantise ln rows[r] on the ids.
pub fn craft_chain_position(
    rows: &[f64],
    pool: &[f64],
    k: usize,
    eps: EpsChoice,
) -> Result<ChainPosition, TsdError> {
    check_probabilities(pool).map_err(|err| ArgumentError::new("pool", err.reason))?;
    let vocab = pool.len();
    check_k(k, vocab)?;
    if rows.is_empty() || rows.len() % vocab != 0 {
        return Err(ArgumentError::new(
            "rows",
            format!(
                "needs whole rows of {vocab} probabilities, got {} values",
                rows.len()
            ),
        )
        .into());
    }
    for (r, row) in rows.chunks(vocab).enumerate() {
        check_probabilities(row)
            .map_err(|err| ArgumentError::new("rows", format!("row {r}: {}", err.reason)))?;
    }
    let ids = top_k_ids(pool, k);
    let scores: Vec<f64> = rows
        .chunks(vocab)
        .flat_map(|row| ids.iter().map(|&id| libm::log(row[id as usize])))
        .collect();
    let (codes, scale) = quantise_rows(&scores, k);
    let eps = choose_eps(pool, &ids, eps);
    Ok(ChainPosition {
        ids,
        codes,
        scale,
        eps,
    })
}

/// Crafts one top-K ψ with `bits`-bit codes per row of `rows` (whole rows of `width`
/// probabilities), in parallel.
pub fn craft_rows(
    rows: &[f64],
    width: usize,
    k: usize,
    tau: f32,
    eps: EpsChoice,
    bits: u8,
) -> Result<Vec<PsiTopK>, TsdError> {
    check_bits(bits)?;
    rows.par_chunks(width.max(1))
        .map(|row| craft_topk_bits(row, k, tau, eps, bits))
        .collect()
}

/// B crafted chain positions as columns: ids B × K, codes B × R × K, one scale and ε each.
#[derive(Debug, Clone, PartialEq)]
pub struct CraftedPositions {
    pub ids: Vec<u32>,
    pub codes: Vec<u8>,
    pub scales: Vec<f32>,
    pub eps: Vec<f32>,
}

/// Crafts one chain position per sequence ([`craft_chain_position`]), in parallel: `rows`
/// holds B blocks of R × V probabilities (`shape` = [B, R, V]), `pools` B rows of `pool_width`.
/// R and V must be at least 1 and K in 1..=V.
pub fn craft_chain_positions(
    rows: &[f64],
    shape: [usize; 3],
    pools: &[f64],
    pool_width: usize,
    k: usize,
    eps: EpsChoice,
) -> Result<CraftedPositions, TsdError> {
    let [batch, count, vocab] = shape;
    // Checked before any work, even for an empty batch.
    if count == 0 || vocab == 0 {
        return Err(ArgumentError::new(
            "rows",
            format!(
                "needs at least one row of at least one token per sequence, got {count} of {vocab}"
            ),
        )
        .into());
    }
    check_k(k, vocab)?;
    if count
        .checked_mul(vocab)
        .and_then(|block| block.checked_mul(batch))
        != Some(rows.len())
    {
        return Err(ArgumentError::new(
            "rows",
            format!(
                "has {} values, expected {batch} × {count} × {vocab}",
                rows.len()
            ),
        )
        .into());
    }
    if pool_width != vocab || pools.len() != batch * vocab {
        return Err(ArgumentError::new(
            "pool",
            format!("must have shape ({batch}, {vocab}) to match rows"),
        )
        .into());
    }
    let crafted = rows
        .par_chunks((count * vocab).max(1))
        .zip(pools.par_chunks(vocab.max(1)))
        .map(|(rows, pool)| craft_chain_position(rows, pool, k, eps))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CraftedPositions {
        ids: crafted.iter().flat_map(|p| p.ids.iter().copied()).collect(),
        codes: crafted
            .iter()
            .flat_map(|p| p.codes.iter().copied())
            .collect(),
        scales: crafted.iter().map(|p| p.scale).collect(),
        eps: crafted.iter().map(|p| p.eps).collect(),
    })
}

/// B chains' crafted positions as columns: ids B × L × K, codes B × rows × K with
/// rows = [`code_rows`]`(L, K)`, scales and ε B × L (`scale_width`, `eps_width`: their rows).
#[derive(Debug, Clone, Copy)]
pub struct ChainColumns<'a> {
    pub vocab: u32,
    pub tau: f32,
    pub shape: [usize; 3],
    pub ids: &'a [u32],
    pub codes: &'a [u8],
    pub scales: &'a [f32],
    pub scale_width: usize,
    pub eps: &'a [f32],
    pub eps_width: usize,
}

/// Assembles and validates B chains from crafted positions, one slice of each column apiece.
pub fn chains_from_positions(columns: &ChainColumns<'_>) -> Result<Vec<PsiChain>, TsdError> {
    let [batch, length, k] = columns.shape;
    let code_count = code_rows(length, k) * k;
    if columns.ids.len() != batch * length * k
        || columns.codes.len() != batch * code_count
        || columns.scales.len() != batch * length
        || columns.eps.len() != batch * length
        || columns.scale_width != length
        || columns.eps_width != length
    {
        return Err(ArgumentError::new(
            "codes",
            format!(
                "for {batch} chains of L = {length}, K = {k}: codes needs shape \
                 ({batch}, {}, {k}), scales and eps ({batch}, {length})",
                code_count / k.max(1)
            ),
        )
        .into());
    }
    let (ids, codes) = (columns.ids, columns.codes);
    (0..batch)
        .map(|b| {
            PsiChain::new(
                columns.vocab,
                k,
                columns.tau,
                ids[b * length * k..(b + 1) * length * k].to_vec(),
                codes[b * code_count..(b + 1) * code_count].to_vec(),
                columns.scales[b * length..(b + 1) * length].to_vec(),
                columns.eps[b * length..(b + 1) * length].to_vec(),
            )
            .map_err(TsdError::from)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::PsiValidationError;

    #[test]
    fn picks_the_heaviest_ids_with_ties_to_the_lower_id() {
        assert_eq!(top_k_ids(&[0.1, 0.3, 0.3, 0.2, 0.1], 2), vec![1, 2]);
        assert_eq!(top_k_ids(&[0.25; 4], 3), vec![0, 1, 2]);
        assert_eq!(top_k_ids(&[0.5, 0.5], 2), vec![0, 1]);
    }

    #[test]
    fn quantisation_spans_the_payload_range() {
        let scores = [-3.0, -1.0, -2.0, -2.7];
        let (codes, scale) = quantise_scores(&scores);
        assert_eq!((codes[0], codes[1]), (0, 255));
        assert!((f64::from(scale) - 2.0 / 255.0).abs() < 1e-9);
        for (&score, &code) in scores.iter().zip(&codes) {
            let decoded = -3.0 + f64::from(code) * f64::from(scale);
            assert!((decoded - score).abs() <= f64::from(scale) / 2.0 + 1e-12);
        }
        assert_eq!(quantise_scores(&[-1.0, -1.0]), (vec![0, 0], 0.0));
    }

    #[test]
    fn narrow_codes_use_the_same_rule_over_fewer_levels() {
        let scores = [-3.0, -1.0, -2.0, -2.7, -1.4];
        for bits in 1..=8u8 {
            let top = (1u32 << bits) - 1;
            let (codes, scale) = quantise_scores_bits(&scores, bits);
            assert!((f64::from(scale) - 2.0 / f64::from(top)).abs() < 1e-6);
            assert_eq!((u32::from(codes[0]), u32::from(codes[1])), (0, top));
            for (&score, &code) in scores.iter().zip(&codes) {
                let decoded = -3.0 + f64::from(code) * f64::from(scale);
                assert!((decoded - score).abs() <= f64::from(scale) / 2.0 + 1e-6);
            }
        }
        assert_eq!(quantise_scores_bits(&scores, 8), quantise_scores(&scores));
        // One bit: each score goes to the nearer end of the range (a tie rounds up).
        assert_eq!(quantise_scores_bits(&scores, 1).0, vec![0, 1, 1, 0, 1]);
    }

    #[test]
    fn zero_probability_scores_sit_the_gap_below_every_real_one() {
        let scores = [-3.0, -1.0, f64::NEG_INFINITY, -2.0];
        let (codes, scale) = quantise_scores(&scores);
        let step = f64::from(scale);
        assert!((step - (2.0 + ZERO_GAP) / 255.0).abs() < 1e-6);
        assert_eq!((codes[1], codes[2]), (255, 0));
        assert!(f64::from(codes[0]) * step >= ZERO_GAP - step);
        // Equal real scores: all at the top, the p = 0 id the whole gap below.
        let (codes, scale) = quantise_scores(&[-0.7, f64::NEG_INFINITY, -0.7]);
        assert_eq!((codes[0], codes[1]), (codes[2], 0));
        assert!(f64::from(codes[0]) * f64::from(scale) >= ZERO_GAP - f64::from(scale));
    }

    #[test]
    fn rows_share_the_widest_step_and_keep_their_own_minimum() {
        let scores = [-3.0, -1.0, -10.0, -9.5, -2.0, -2.0];
        let (codes, scale) = quantise_rows(&scores, 2);
        assert!((f64::from(scale) - 2.0 / 255.0).abs() < 1e-9);
        assert_eq!(codes, vec![0, 255, 0, 64, 0, 0]);
        let (single, single_scale) = quantise_scores(&scores[..2]);
        assert_eq!((single.as_slice(), single_scale), (&codes[..2], scale));
    }

    #[test]
    fn chain_positions_pick_ids_from_the_pool() {
        let pool = [0.1, 0.5, 0.1, 0.3];
        let rows = [0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.7];
        let position = craft_chain_position(&rows, &pool, 2, EpsChoice::Auto).unwrap();
        assert_eq!(position.ids, vec![1, 3]);
        assert_eq!(position.codes, vec![0, 0, 0, 255]);
        assert_eq!(position.eps, 0.1f32);
        let err = craft_chain_position(&rows[..7], &pool, 2, EpsChoice::Auto).unwrap_err();
        assert!(matches!(
            err,
            TsdError::Argument(ArgumentError { field: "rows", .. })
        ));
        let bad_row = [0.7, 0.1, 0.1, 0.1, 0.5, 0.1, 0.1, 0.7];
        let err = craft_chain_position(&bad_row, &pool, 2, EpsChoice::Auto).unwrap_err();
        assert!(err.to_string().starts_with("rows: row 1"), "{err}");
    }

    #[test]
    fn chain_ids_with_zero_probability_carry_almost_no_mass() {
        // Two tokens have mass; K = 4 needs two more ids, which p never emits.
        let pool = [0.6, 0.0, 0.4, 0.0, 0.0];
        let rows = [0.6, 0.0, 0.4, 0.0, 0.0, 0.5, 0.0, 0.5, 0.0, 0.0];
        let position = craft_chain_position(&rows, &pool, 4, EpsChoice::Auto).unwrap();
        assert_eq!(position.ids, vec![0, 1, 2, 3]);
        for (r, row) in rows.chunks(5).enumerate() {
            let psi = PsiTopK::new(
                5,
                position.ids.clone(),
                position.codes[r * 4..(r + 1) * 4].to_vec(),
                position.scale,
                1.0,
                position.eps,
            )
            .unwrap();
            let q = crate::fmap::dense_logq(&psi);
            for (token, &p) in row.iter().enumerate() {
                if p == 0.0 {
                    assert!(
                        q[token].exp() < 1e-12,
                        "row {r}, token {token}: {}",
                        q[token]
                    );
                }
            }
        }
    }

    #[test]
    fn chain_batches_check_their_shape_before_any_work() {
        let rows = [0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.7];
        let pool = [0.1, 0.5, 0.1, 0.3];
        let craft = |rows: &[f64], shape, pool: &[f64], k| {
            craft_chain_positions(rows, shape, pool, 4, k, EpsChoice::Auto)
        };
        let one = craft_chain_position(&rows, &pool, 2, EpsChoice::Auto).unwrap();
        assert_eq!(craft(&rows, [1, 2, 4], &pool, 2).unwrap().ids, one.ids);
        let field = |result: Result<CraftedPositions, TsdError>| match result {
            Err(TsdError::Argument(a)) => a.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(craft(&[], [2, 0, 4], &[], 2)), "rows");
        assert_eq!(field(craft(&[], [0, 1, 4], &[], 1 << 62)), "K");
        assert_eq!(field(craft(&rows, [2, 2, 4], &pool, 2)), "rows");
        assert_eq!(field(craft(&rows, [1, 2, 4], &pool[..3], 2)), "pool");
    }

    #[test]
    fn auto_eps_spreads_the_remaining_mass() {
        let p = [0.4, 0.3, 0.2, 0.1];
        let psi = craft_topk(&p, 2, 1.0, EpsChoice::Auto).unwrap();
        assert_eq!(psi.ids(), &[0, 1]);
        assert_eq!(psi.eps(), 0.15f32);
        let full = craft_topk(&p, 4, 1.0, EpsChoice::Auto).unwrap();
        assert_eq!(full.eps(), 0.0);
    }

    #[test]
    fn tokens_with_zero_probability_carry_no_mass_beyond_eps() {
        let p = [0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0];
        let psi = craft_topk(&p, 6, 1.0, EpsChoice::Auto).unwrap();
        assert_eq!(psi.ids(), &[0, 2]);
        assert_eq!(psi.eps(), 0.0);
        let q = crate::fmap::dense_logq(&psi);
        for (token, &pt) in p.iter().enumerate() {
            if pt == 0.0 {
                assert_eq!(q[token], f64::NEG_INFINITY, "token {token}");
            }
        }
        let fixed = craft_topk(&p, 6, 1.0, EpsChoice::Fixed(0.01)).unwrap();
        let q = crate::fmap::dense_logq(&fixed);
        assert!(q[1].exp() <= 0.01 * (1.0 + 1e-6));
        // Full support keeps K ids.
        let full = craft_topk(&[0.4, 0.3, 0.2, 0.1], 3, 1.0, EpsChoice::Auto).unwrap();
        assert_eq!(full.k(), 3);
    }

    #[test]
    fn auto_eps_never_rounds_past_the_bound() {
        let vocab = 1usize << 24;
        let p = vec![1.0 / vocab as f64; vocab];
        let psi = craft_topk(&p, 1, 1.0, EpsChoice::Auto).unwrap();
        assert!(psi.tail_mass() < 1.0);
    }

    #[test]
    fn bad_arguments_name_their_field() {
        let err = |r: Result<PsiTopK, TsdError>| r.unwrap_err();
        match err(craft_topk_bits(&[0.5, 0.5], 1, 1.0, EpsChoice::Auto, 9)) {
            TsdError::Argument(e) => assert_eq!(e.field, "bits"),
            other => panic!("{other:?}"),
        }
        let narrow = craft_topk_bits(&[0.5, 0.3, 0.2], 3, 1.0, EpsChoice::Auto, 2).unwrap();
        assert_eq!((narrow.code_bits(), narrow.codes()), (2, &[3u8, 1, 0][..]));
        match err(craft_topk(&[0.5, 0.4], 1, 1.0, EpsChoice::Auto)) {
            TsdError::Argument(a) => assert_eq!(a.field, "p"),
            other => panic!("{other:?}"),
        }
        match err(craft_topk(&[0.5, 0.5], 3, 1.0, EpsChoice::Auto)) {
            TsdError::Argument(a) => assert_eq!(a.field, "K"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            err(craft_topk(&[0.5, 0.5], 1, 0.0, EpsChoice::Auto)),
            TsdError::PsiValidation(PsiValidationError::InvalidTau { .. })
        ));
        assert!(matches!(
            err(craft_topk(&[0.5, 0.5], 1, 1.0, EpsChoice::Fixed(1.5))),
            TsdError::PsiValidation(PsiValidationError::InvalidEps { .. })
        ));
    }
}
