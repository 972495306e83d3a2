//! Fused loops: many TSD steps in one call, returning whole columns. No per-step allocation
//! and no per-step crossing into Python; the step counter keys every draw, so a run split into
//! chunks (for progress bars) gives the same columns as one call.

use crate::error::ArgumentError;
use crate::psi::PsiTopK;
use crate::tsu::check_step_range;
use crate::verify::step::{for_each_step, StepOutcome, StepTables};

/// Per-step columns of an M0 run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct M0Columns {
    pub proposed: Vec<u32>,
    pub logq: Vec<f64>,
    pub accepted: Vec<bool>,
    pub emitted: Vec<u32>,
}

impl M0Columns {
    pub(crate) fn with_capacity(steps: usize) -> Self {
        Self {
            proposed: Vec::with_capacity(steps),
            logq: Vec::with_capacity(steps),
            accepted: Vec::with_capacity(steps),
            emitted: Vec::with_capacity(steps),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, outcome: StepOutcome) {
        self.proposed.push(outcome.proposed);
        self.logq.push(outcome.logq);
        self.accepted.push(outcome.accepted);
        self.emitted.push(outcome.emitted);
    }
}

/// Runs M0 (fixed target `logp`, fixed ψ) for steps `start..start + steps`.
pub fn run_m0(
    logp: &[f64],
    psi: &PsiTopK,
    seed: u64,
    start: u64,
    steps: usize,
) -> Result<M0Columns, ArgumentError> {
    check_step_range(start, steps)?;
    let tables = StepTables::new(logp, psi)?;
    let mut columns = M0Columns::with_capacity(steps);
    for_each_step(seed, start, steps, |tsu_w, verify_w| {
        columns.push(tables.step(tsu_w, verify_w));
    });
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsu::{Sampler, SimTsu};
    use crate::verify::accept_correct_step;

    fn target() -> (Vec<f64>, PsiTopK) {
        let p = [0.3, 0.25, 0.2, 0.1, 0.08, 0.07];
        let logp = p.iter().map(|x: &f64| x.ln()).collect();
        let psi = PsiTopK::new(6, vec![0, 1, 2], vec![255, 200, 120], 0.004, 1.0, 0.05).unwrap();
        (logp, psi)
    }

    #[test]
    fn matches_the_single_step_api_token_for_token() {
        let (logp, psi) = target();
        let columns = run_m0(&logp, &psi, 5, 0, 3000).unwrap();
        let sampler = Sampler::new(&psi);
        let tsu = SimTsu::new(5);
        for step in 0..3000 {
            let (token, logq) = tsu.draw(&sampler, step as u64);
            let decision = accept_correct_step(&logp, &psi, token, logq, 5, step as u64).unwrap();
            assert_eq!(columns.proposed[step], token);
            assert_eq!(columns.logq[step].to_bits(), logq.to_bits());
            assert_eq!((columns.accepted[step], columns.emitted[step]), decision);
        }
        assert!(columns.accepted.iter().any(|a| !a));
    }

    #[test]
    fn chunks_concatenate_to_the_whole_run() {
        let (logp, psi) = target();
        let whole = run_m0(&logp, &psi, 9, 0, 1000).unwrap();
        let head = run_m0(&logp, &psi, 9, 0, 400).unwrap();
        let tail = run_m0(&logp, &psi, 9, 400, 600).unwrap();
        assert_eq!(whole.emitted, [head.emitted, tail.emitted].concat());
        assert_eq!(whole.proposed, [head.proposed, tail.proposed].concat());
    }

    #[test]
    fn emitted_marginal_is_the_target() {
        let (logp, psi) = target();
        let steps = 200_000;
        let columns = run_m0(&logp, &psi, 1, 0, steps).unwrap();
        let mut counts = [0f64; 6];
        for &token in &columns.emitted {
            counts[token as usize] += 1.0;
        }
        let chi2: f64 = logp
            .iter()
            .zip(counts)
            .map(|(lp, c)| {
                let expected = lp.exp() * steps as f64;
                (c - expected).powi(2) / expected
            })
            .sum();
        // 5 degrees of freedom: P(chi2 > 20.5) = 0.001.
        assert!(chi2 < 20.5, "chi2 = {chi2}");
    }
}
