//! Verification of Gaussian drafts against a diagonal Gaussian target p, exact by default.
//!
//! A drafted x ~ q (q the payload's realised Gaussian) at step s is accepted when
//! unit(w0) < p(x)/q(x), w0 from lane 0 of (seed, verifier stream, s). On rejection the exact
//! mode draws the residual norm(max(0, p − q)) by rejection: try t draws y ~ p from lanes
//! 1 + t·(m + 1) .. 1 + t·(m + 1) + m (m = lanes of one draw) and accepts it when
//! unit(w0 of the next lane) < 1 − q(y)/p(y). Each try succeeds with probability 1 − α
//! (α the acceptance rate), so a rejection takes 1/(1 − α) tries on average, one per step
//! overall; [`MAX_RESIDUAL_TRIES`] only turns a hang into an error, it never biases a draw.
//!
//! Lossy modes, by name only: `lenient` accepts when unit(w0) < b·p(x)/q(x) (b >= 1; on
//! rejection the exact residual), `resample-target` (STRIDE) draws y ~ p on rejection (try
//! 0's lanes). [`draw_target`] draws from p on lanes from [`TARGET_LANE`] (a bonus step).

use rayon::prelude::*;

use crate::error::{ArgumentError, ResidualLimitError, TsdError};
use crate::limits::step_range;
use crate::psi::PsiGauss;
use crate::rng::{self, STREAM_VERIFY};
use crate::tsu::gauss::{check_steps, common_dim, lanes, Diagonal};

/// The most residual tries one rejection may use before it is reported as an error.
pub const MAX_RESIDUAL_TRIES: u32 = 1 << 20;
/// First lane of [`draw_target`]'s draws, above every lane a residual try can read.
pub const TARGET_LANE: u32 = 1 << 31;

/// What a verifier does with a drafted value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// min(1, p/q), then the exact residual: the emitted value follows p.
    Exact,
    /// min(1, b·p/q) with b >= 1, then the exact residual (lossy for b > 1).
    Lenient { bias: f64 },
    /// min(1, p/q), then a draw from p itself (lossy).
    ResampleTarget,
}

impl Mode {
    /// The mode named `name` ("exact", "lenient", "resample-target"); `bias` must be 1 unless
    /// the mode is lenient, where it must be finite and >= 1.
    pub fn from_name(name: &str, bias: f64) -> Result<Self, ArgumentError> {
        let mode = match name {
            "exact" => Mode::Exact,
            "lenient" => Mode::Lenient { bias },
            "resample-target" => Mode::ResampleTarget,
            other => {
                return Err(ArgumentError::new(
                    "mode",
                    format!("must be 'exact', 'lenient' or 'resample-target', got {other:?}"),
                ))
            }
        };
        match mode {
            Mode::Lenient { .. } if !(bias.is_finite() && bias >= 1.0) => Err(ArgumentError::new(
                "bias",
                format!("must be finite and >= 1 (b < 1 rejects drafts p accepts), got {bias}"),
            )),
            Mode::Exact | Mode::ResampleTarget if bias != 1.0 => Err(ArgumentError::new(
                "bias",
                format!("applies to mode 'lenient' only, got {bias}"),
            )),
            _ => Ok(mode),
        }
    }
}

/// One verified row: whether the draft was kept, the emitted value, and the residual tries.
#[derive(Debug, Clone, PartialEq)]
pub struct RowVerdict {
    pub accepted: bool,
    pub emitted: Vec<f64>,
    pub tries: u32,
}

/// Verifies draft `x` from `q` against `p` at `step` of `seed`.
pub fn verify_row(
    q: &Diagonal,
    p: &Diagonal,
    x: &[f64],
    mode: Mode,
    seed: u64,
    step: u64,
) -> Result<RowVerdict, ResidualLimitError> {
    let ratio = libm::exp(p.log_density(x) - q.log_density(x));
    let threshold = match mode {
        Mode::Lenient { bias } => bias * ratio,
        Mode::Exact | Mode::ResampleTarget => ratio,
    };
    if rng::unit(rng::words_lane(seed, STREAM_VERIFY, step, 0)[0]) < threshold {
        return Ok(RowVerdict {
            accepted: true,
            emitted: x.to_vec(),
            tries: 0,
        });
    }
    let m = lanes(p.dim());
    let mut y = vec![0.0; p.dim()];
    if mode == Mode::ResampleTarget {
        p.draw_into(seed, STREAM_VERIFY, step, 1, &mut y);
        return Ok(RowVerdict {
            accepted: false,
            emitted: y,
            tries: 1,
        });
    }
    for t in 0..MAX_RESIDUAL_TRIES {
        let first = 1 + t * (m + 1);
        p.draw_into(seed, STREAM_VERIFY, step, first, &mut y);
        let keep = 1.0 - libm::exp(q.log_density(&y) - p.log_density(&y));
        if rng::unit(rng::words_lane(seed, STREAM_VERIFY, step, first + m)[0]) < keep {
            return Ok(RowVerdict {
                accepted: false,
                emitted: y,
                tries: t + 1,
            });
        }
    }
    Err(ResidualLimitError {
        tries: MAX_RESIDUAL_TRIES,
        step,
    })
}

/// Verdicts of a batch of K-step blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockVerdicts {
    /// Accepted prefix length per block (0..=K).
    pub accepted: Vec<u32>,
    /// Values emitted per block: the accepted prefix, then the residual draw at the first
    /// rejection; (blocks × K × d), NaN past each block's emitted rows.
    pub emitted: Vec<f64>,
    /// Rows emitted per block: accepted + 1 after a rejection, K after a full block.
    pub emitted_len: Vec<u32>,
    /// Residual tries per block (0 after a full block).
    pub tries: Vec<u32>,
}

/// The targets of a batch, row-major (rows × d) means and standard deviations.
#[derive(Debug, Clone, Copy)]
pub struct TargetRows<'a> {
    pub mean: &'a [f64],
    pub sigma: &'a [f64],
}

/// One block's accepted prefix length, emitted values and residual tries.
type BlockOutcome = (u32, Vec<f64>, u32);

/// Verifies blocks of K drafted steps: block b holds payloads, drafts and targets of rows
/// b·K .. b·K + K, its step i runs at step `starts[b] + i`; the longest accepted prefix is
/// kept and the first rejection emits its correction.
pub fn verify_blocks(
    psis: &[&PsiGauss],
    drafts: &[f64],
    target: TargetRows<'_>,
    k: usize,
    mode: Mode,
    seed: u64,
    starts: &[u64],
) -> Result<BlockVerdicts, TsdError> {
    let d = common_dim(psis)?;
    if k == 0 || psis.len() != starts.len() * k {
        return Err(ArgumentError::new(
            "payloads",
            format!(
                "{} payloads are not {} blocks of k = {k} steps (k >= 1)",
                psis.len(),
                starts.len()
            ),
        )
        .into());
    }
    for (field, values) in [
        ("drafts", drafts),
        ("target_mean", target.mean),
        ("target_sigma", target.sigma),
    ] {
        if values.len() != psis.len() * d {
            return Err(ArgumentError::new(
                field,
                format!(
                    "has {} values, expected {} rows × d = {d}",
                    values.len(),
                    psis.len()
                ),
            )
            .into());
        }
    }
    if let Some(bad) = drafts.iter().find(|x| !x.is_finite()) {
        return Err(ArgumentError::new("drafts", format!("must be finite, got {bad}")).into());
    }
    for &start in starts {
        step_range("starts", start, k as u64)?;
    }
    let per_block: Vec<Result<BlockOutcome, TsdError>> = (0..starts.len())
        .into_par_iter()
        .map(|b| {
            let mut emitted = Vec::with_capacity(k * d);
            for i in 0..k {
                let row = b * k + i;
                let span = row * d..(row + 1) * d;
                let q = Diagonal::from_payload(psis[row]);
                let p = Diagonal::from_target(
                    &target.mean[span.clone()],
                    &target.sigma[span.clone()],
                    ["target_mean", "target_sigma"],
                )?;
                let verdict = verify_row(&q, &p, &drafts[span], mode, seed, starts[b] + i as u64)?;
                emitted.extend_from_slice(&verdict.emitted);
                if !verdict.accepted {
                    return Ok((i as u32, emitted, verdict.tries));
                }
            }
            Ok((k as u32, emitted, 0))
        })
        .collect();
    let mut out = BlockVerdicts {
        accepted: Vec::with_capacity(starts.len()),
        emitted: Vec::with_capacity(psis.len() * d),
        emitted_len: Vec::with_capacity(starts.len()),
        tries: Vec::with_capacity(starts.len()),
    };
    for block in per_block {
        let (accepted, emitted, tries) = block?;
        out.emitted_len.push((emitted.len() / d.max(1)) as u32);
        out.emitted.extend_from_slice(&emitted);
        out.emitted
            .resize(out.emitted.len() + k * d - emitted.len(), f64::NAN);
        out.accepted.push(accepted);
        out.tries.push(tries);
    }
    Ok(out)
}

/// One draw from each target row (rows × d) at `steps[b]` of `seed` on the verifier's stream,
/// lanes from [`TARGET_LANE`]: the bonus draw after a full block.
pub fn draw_target(
    target: TargetRows<'_>,
    d: usize,
    seed: u64,
    steps: &[u64],
) -> Result<Vec<f64>, TsdError> {
    if d == 0 || target.mean.len() != steps.len() * d {
        return Err(ArgumentError::new(
            "target_mean",
            format!(
                "has {} values, expected {} steps × d = {d} (d >= 1)",
                target.mean.len(),
                steps.len()
            ),
        )
        .into());
    }
    check_steps(steps, target.mean.len() / d)?;
    let rows: Result<Vec<Vec<f64>>, ArgumentError> = steps
        .par_iter()
        .enumerate()
        .map(|(row, &step)| {
            let span = row * d..(row + 1) * d;
            let p = Diagonal::from_target(
                &target.mean[span.clone()],
                target.sigma.get(span).unwrap_or_default(),
                ["target_mean", "target_sigma"],
            )?;
            let mut y = vec![0.0; d];
            p.draw_into(seed, STREAM_VERIFY, step, TARGET_LANE, &mut y);
            Ok(y)
        })
        .collect();
    Ok(rows?.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(values: &[f64], n: usize) -> Vec<f64> {
        values
            .iter()
            .copied()
            .cycle()
            .take(values.len() * n)
            .collect()
    }

    #[test]
    fn identical_laws_accept_everything() {
        let psi = PsiGauss::craft(&[0.5], &[0.0]).unwrap();
        let q = Diagonal::from_payload(&psi);
        let p = Diagonal::from_target(q.mean(), q.sigma(), ["m", "s"]).unwrap();
        for step in 0..200 {
            let mut x = [0.0];
            q.draw_into(3, 0, step, 0, &mut x);
            assert!(
                verify_row(&q, &p, &x, Mode::Exact, 3, step)
                    .unwrap()
                    .accepted
            );
        }
    }

    #[test]
    fn blocks_keep_the_longest_prefix_and_pad_with_nan() {
        // q = N(0, e²) against p = N(0, 1): p/q > 1 at 0, p/q ≈ 0 at 40.
        let psi = PsiGauss::craft(&[0.0], &[2.0]).unwrap();
        let k = 4;
        let payloads = vec![&psi; 2 * k];
        let drafts = vec![0.0, 0.0, 40.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let (mean, sigma) = (rows(&[0.0], 2 * k), rows(&[1.0], 2 * k));
        let target = TargetRows {
            mean: &mean,
            sigma: &sigma,
        };
        let verdicts =
            verify_blocks(&payloads, &drafts, target, k, Mode::Exact, 5, &[0, 100]).unwrap();
        assert_eq!(verdicts.accepted, vec![2, 4]);
        assert_eq!(verdicts.emitted_len, vec![3, 4]);
        assert!(verdicts.emitted[3].is_nan() && !verdicts.emitted[2].is_nan());
        assert!(verdicts.emitted[2] != 40.0);
        assert_eq!(verdicts.tries[1], 0);
    }

    #[test]
    fn modes_and_biases_are_checked_by_name() {
        assert_eq!(Mode::from_name("exact", 1.0), Ok(Mode::Exact));
        assert_eq!(
            Mode::from_name("lenient", 2.0),
            Ok(Mode::Lenient { bias: 2.0 })
        );
        assert_eq!(Mode::from_name("lenient", 0.5).unwrap_err().field, "bias");
        assert_eq!(Mode::from_name("exact", 2.0).unwrap_err().field, "bias");
        assert_eq!(Mode::from_name("stride", 1.0).unwrap_err().field, "mode");
    }

    #[test]
    fn target_draws_use_their_own_lanes() {
        let (mean, sigma) = ([0.0, 1.0], [1.0, 2.0]);
        let target = TargetRows {
            mean: &mean,
            sigma: &sigma,
        };
        let y = draw_target(target, 2, 7, &[3]).unwrap();
        let p = Diagonal::from_target(&mean, &sigma, ["m", "s"]).unwrap();
        let mut expected = [0.0; 2];
        p.draw_into(7, STREAM_VERIFY, 3, TARGET_LANE, &mut expected);
        assert_eq!(y, expected);
        let bad = TargetRows {
            mean: &mean,
            sigma: &[1.0, -1.0],
        };
        assert!(matches!(
            draw_target(bad, 2, 7, &[3]),
            Err(TsdError::Argument(ArgumentError {
                field: "target_sigma",
                ..
            }))
        ));
    }
}
