//! Accept/correct: keep the TSU's draw y with probability min(1, p(y)/q(y)), else emit a draw
//! from the residual norm(max(0, p − q)). The emitted token then follows p exactly.
//!
//! The ratio uses the log q the TSU returned; the residual uses F(ψ). Random words come from
//! the verifier's own stream: `unit(w0)` decides acceptance, `unit(w1)` drives the residual
//! draw. Edges: p(y) = 0 gives ratio 0 (always rejected); ε = 0 leaves the target's tail mass
//! in the residual; a residual that sums to zero through rounding (p = q up to the last bits,
//! where rejection has probability ~1e-16) falls back to a draw from p itself.
//!
//! [`step`] verifies one prepared (target, ψ) step, [`block`] L drafts against L + 1 target
//! rows (and ragged batches of them), [`external`] any backend's draws against the
//! distribution it realised.

pub mod block;
pub mod external;
pub mod gauss;
pub mod sampled_row;
pub mod step;

use crate::cumulative;
use crate::error::ArgumentError;
use crate::exp;
use crate::fmap::dense_logq;
use crate::limits::step_range;
use crate::psi::PsiTopK;
use crate::rng::{self, STREAM_VERIFY};
use crate::tsu::search::GuidedCdf;

/// How far Σ exp(log p) may stray from 1 before a target is rejected as unnormalised.
pub const NORMALISATION_TOLERANCE: f64 = 1e-6;

/// Checks that `logp` is a normalised log-distribution over `vocab` tokens.
pub fn check_logp(logp: &[f64], vocab: u32) -> Result<(), ArgumentError> {
    if logp.len() != vocab as usize {
        return Err(ArgumentError::new(
            "logp",
            format!("has {} entries but psi.vocab = {vocab}", logp.len()),
        ));
    }
    check_log_distribution("logp", logp)
}

/// The one check every verifier entry point applies to a row of log-probabilities it reads in
/// full: each entry passes [`check_log_entry`] and the row's total [`check_total`]. `field`
/// names the argument the row came from.
pub fn check_log_distribution(field: &'static str, logp: &[f64]) -> Result<(), ArgumentError> {
    check_log_entries(field, logp)?;
    let probabilities: Vec<f64> = logp.iter().map(|&l| exp::exp(l)).collect();
    check_total(field, cumulative::total(&probabilities))
}

/// Every entry of `values` passes [`check_log_entry`]; the first that does not is named.
pub fn check_log_entries(field: &'static str, values: &[f64]) -> Result<(), ArgumentError> {
    for (position, &value) in values.iter().enumerate() {
        check_log_entry(field, position, value)?;
    }
    Ok(())
}

/// Prefixes an error with the row of a block it came from.
pub(crate) fn at_row(index: usize) -> impl Fn(ArgumentError) -> ArgumentError {
    move |err| ArgumentError::new(err.field, format!("row {index}: {}", err.reason))
}

/// What [`check_log_entry`] refuses: NaN, or a value above 0. Written without short-circuits,
/// so that a branch-free fold over a whole row vectorises.
#[inline(always)]
pub(crate) fn refused(value: f64) -> bool {
    value.is_nan() | (value > 0.0)
}

/// One log-probability: not NaN and <= 0 (-inf is p = 0).
#[inline]
pub fn check_log_entry(
    field: &'static str,
    position: usize,
    value: f64,
) -> Result<(), ArgumentError> {
    if refused(value) {
        return Err(ArgumentError::new(
            field,
            format!(
                "entry {position} is {value}; log-probabilities must be <= 0 (use -inf for p = 0)"
            ),
        ));
    }
    Ok(())
}

/// A row's probabilities, summed left to right, total 1 within [`NORMALISATION_TOLERANCE`].
pub fn check_total(field: &'static str, total: f64) -> Result<(), ArgumentError> {
    if (total - 1.0).abs() > NORMALISATION_TOLERANCE {
        return Err(ArgumentError::new(
            field,
            format!("exp({field}) sums to {total}, not 1 (tolerance {NORMALISATION_TOLERANCE})"),
        ));
    }
    Ok(())
}

/// p(y)/q(y) from the two log-probabilities; p(y) = 0 gives 0, so y is always rejected.
#[inline]
pub fn accept_ratio(logp_y: f64, logq_y: f64) -> f64 {
    libm::exp(logp_y - logq_y)
}

/// Inverse-CDF table of the residual max(0, p − q) over the whole vocabulary.
#[derive(Debug, Clone)]
pub struct Residual {
    cdf: GuidedCdf,
}

impl Residual {
    /// Builds the residual from dense log p and dense log q (both checked to have length V).
    pub fn new(logp: &[f64], logq: &[f64]) -> Self {
        let masses: Vec<f64> = logp
            .iter()
            .zip(logq)
            .map(|(&lp, &lq)| (exp::exp(lp) - exp::exp(lq)).max(0.0))
            .collect();
        let masses = if masses.iter().all(|&m| m == 0.0) {
            logp.iter().map(|&lp| exp::exp(lp)).collect()
        } else {
            masses
        };
        Self {
            cdf: GuidedCdf::from_masses(&masses),
        }
    }

    /// Where a draw with uniform `fraction` starts: the guide bucket, whose entry the CPU
    /// starts loading now, for a caller that knows the uniform before it knows whether it
    /// will draw (a hint: no result changes).
    #[inline]
    pub(crate) fn locate(&self, fraction: f64) -> usize {
        let bucket = self.cdf.bucket(fraction);
        self.cdf.prefetch(bucket);
        bucket
    }

    /// A token from the residual for one random word.
    #[inline]
    pub fn draw(&self, word: u64) -> u32 {
        let fraction = rng::unit(word);
        self.draw_at(self.cdf.bucket(fraction), fraction)
    }

    /// [`Residual::draw`] for the word whose uniform is `fraction`, from the bucket
    /// [`Residual::locate`] returned for it.
    #[inline]
    pub(crate) fn draw_at(&self, bucket: usize, fraction: f64) -> u32 {
        self.cdf.draw_from(bucket, fraction * self.cdf.total()) as u32
    }
}

/// One verifier decision from the step's verifier words: accept when unit(w0) < `ratio`
/// (= p(y)/q(y)), else emit `draw_residual(w1)`. The residual runs only on rejection, so
/// callers may build it lazily.
#[inline]
pub fn decide(
    words: [u64; 2],
    ratio: f64,
    token: u32,
    draw_residual: impl FnOnce(u64) -> u32,
) -> (bool, u32) {
    if rng::unit(words[0]) < ratio {
        (true, token)
    } else {
        (false, draw_residual(words[1]))
    }
}

/// Accept/correct for a single step, validating every argument.
pub fn accept_correct_step(
    logp: &[f64],
    psi: &PsiTopK,
    token: u32,
    logq: f64,
    seed: u64,
    step: u64,
) -> Result<(bool, u32), ArgumentError> {
    step_range("step", step, 1)?;
    check_logp(logp, psi.vocab())?;
    if token >= psi.vocab() {
        return Err(ArgumentError::new(
            "token",
            format!("{token} is out of range for vocab = {}", psi.vocab()),
        ));
    }
    if !logq.is_finite() {
        return Err(ArgumentError::new(
            "logq",
            format!("must be finite (a TSU never returns a token of probability 0), got {logq}"),
        ));
    }
    let ratio = accept_ratio(logp[token as usize], logq);
    let words = rng::words(seed, STREAM_VERIFY, step);
    Ok(decide(words, ratio, token, |word| {
        Residual::new(logp, &dense_logq(psi)).draw(word)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ln(p: &[f64]) -> Vec<f64> {
        p.iter().map(|x| x.ln()).collect()
    }

    #[test]
    fn rejects_unnormalised_or_nan_targets() {
        assert_eq!(check_logp(&ln(&[0.5, 0.5]), 3).unwrap_err().field, "logp");
        assert!(check_logp(&ln(&[0.5, 0.6]), 2).is_err());
        assert!(check_logp(&[f64::NAN, 0.0], 2).is_err());
        assert!(check_logp(&[0.1, f64::NEG_INFINITY], 2).is_err());
        assert!(check_logp(&[0.0, f64::NEG_INFINITY], 2).is_ok());
    }

    #[test]
    fn zero_target_probability_is_always_rejected() {
        assert_eq!(accept_ratio(f64::NEG_INFINITY, -1.0), 0.0);
        let (accepted, _) = decide([0, 0], 0.0, 1, |_| 0);
        assert!(!accepted);
        assert!(accept_ratio(0.0, -1.0) > 1.0);
    }

    #[test]
    fn residual_draws_are_the_first_cumulative_mass_past_u() {
        let logp = ln(&[0.1, 0.0, 0.4, 0.2, 0.3]);
        let logq = ln(&[0.3, 0.3, 0.1, 0.2, 0.1]);
        let residual = Residual::new(&logp, &logq);
        let masses: Vec<f64> = logp
            .iter()
            .zip(&logq)
            .map(|(&lp, &lq)| (exp::exp(lp) - exp::exp(lq)).max(0.0))
            .collect();
        let cumulative = crate::cumulative::cumulative(&masses);
        for i in 0..2000u64 {
            let word = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let u = rng::unit(word) * cumulative[4];
            let expected = cumulative.iter().position(|&c| c > u).unwrap_or(4);
            assert_eq!(residual.draw(word) as usize, expected);
        }
    }

    #[test]
    fn residual_is_the_positive_part_of_p_minus_q() {
        let logp = ln(&[0.5, 0.3, 0.2]);
        let logq = ln(&[0.2, 0.3, 0.5]);
        let residual = Residual::new(&logp, &logq);
        // Only token 0 has p > q, so every residual draw is 0.
        for word in [0, 1 << 40, u64::MAX / 2, u64::MAX] {
            assert_eq!(residual.draw(word), 0);
        }
    }

    #[test]
    fn empty_residual_falls_back_to_the_target() {
        let logp = ln(&[0.25, 0.75]);
        let residual = Residual::new(&logp, &logp);
        assert_eq!(residual.draw(0), 0);
        assert_eq!(residual.draw(u64::MAX), 1);
    }

    #[test]
    fn zero_eps_leaves_tail_mass_in_the_residual() {
        let psi = PsiTopK::new(3, vec![0], vec![0], 0.0, 1.0, 0.0).unwrap();
        let logp = ln(&[0.6, 0.3, 0.1]);
        let residual = Residual::new(&logp, &dense_logq(&psi));
        let counts = (0..1000u64).fold([0u32; 3], |mut acc, i| {
            acc[residual.draw(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)) as usize] += 1;
            acc
        });
        assert_eq!(counts[0], 0);
        assert!(counts[1] > 600 && counts[2] > 150, "{counts:?}");
    }

    #[test]
    fn single_step_validates_its_arguments() {
        let psi = PsiTopK::new(2, vec![0], vec![0], 0.0, 1.0, 0.1).unwrap();
        let logp = ln(&[0.5, 0.5]);
        assert_eq!(
            accept_correct_step(&logp, &psi, 2, -0.1, 0, 0)
                .unwrap_err()
                .field,
            "token"
        );
        assert_eq!(
            accept_correct_step(&logp, &psi, 0, f64::NEG_INFINITY, 0, 0)
                .unwrap_err()
                .field,
            "logq"
        );
        assert_eq!(
            accept_correct_step(&logp, &psi, 0, -0.1, 0, u64::MAX)
                .unwrap_err()
                .field,
            "step"
        );
        assert!(accept_correct_step(&logp, &psi, 0, -0.1, 0, crate::limits::LAST_STEP).is_ok());
    }
}
