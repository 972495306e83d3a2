//! Fused loops: many TSD steps in one call, returning whole columns. No per-step allocation
//! and no per-step crossing into Python; the step counter keys every draw, so a run split into
//! chunks (for progress bars) gives the same columns as one call.

use crate::error::{AllocationError, TsdError};
use crate::limits::{column_len, in_chunks, reserve, step_range};
use crate::psi::PsiTopK;
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
    /// Empty columns with room for `steps` steps, or an error when memory runs out.
    pub(crate) fn reserve(steps: usize) -> Result<Self, AllocationError> {
        Ok(Self {
            proposed: reserve("proposed", steps)?,
            logq: reserve("logq", steps)?,
            accepted: reserve("accepted", steps)?,
            emitted: reserve("emitted", steps)?,
        })
    }

    #[inline]
    pub(crate) fn push(&mut self, outcome: StepOutcome) {
        self.proposed.push(outcome.proposed);
        self.logq.push(outcome.logq);
        self.accepted.push(outcome.accepted);
        self.emitted.push(outcome.emitted);
    }
}

/// Runs M0 (fixed target `logp`, fixed ψ) for steps `start..start + steps`; `between_chunks`
/// runs between chunks of the loop.
pub fn run_m0<E: From<TsdError>>(
    logp: &[f64],
    psi: &PsiTopK,
    seed: u64,
    start: u64,
    steps: u64,
    between_chunks: impl FnMut() -> Result<(), E>,
) -> Result<M0Columns, E> {
    let range = step_range("start", start, steps).map_err(TsdError::from)?;
    let len = column_len("steps", steps).map_err(TsdError::from)?;
    let tables = StepTables::new(logp, psi).map_err(TsdError::from)?;
    let mut columns = M0Columns::reserve(len).map_err(TsdError::from)?;
    in_chunks(range, between_chunks, |chunk_start, chunk_len| {
        for_each_step(seed, chunk_start, chunk_len, |tsu_w, verify_w| {
            columns.push(tables.step(tsu_w, verify_w));
        });
        Ok(())
    })?;
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ArgumentError;
    use crate::limits::uninterrupted;
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
        let columns = run_m0::<TsdError>(&logp, &psi, 5, 0, 3000, uninterrupted).unwrap();
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
        let whole = run_m0::<TsdError>(&logp, &psi, 9, 0, 1000, uninterrupted).unwrap();
        let head = run_m0::<TsdError>(&logp, &psi, 9, 0, 400, uninterrupted).unwrap();
        let tail = run_m0::<TsdError>(&logp, &psi, 9, 400, 600, uninterrupted).unwrap();
        assert_eq!(whole.emitted, [head.emitted, tail.emitted].concat());
        assert_eq!(whole.proposed, [head.proposed, tail.proposed].concat());
    }

    #[test]
    fn huge_runs_are_refused_before_allocating() {
        let (logp, psi) = target();
        for (start, steps, field) in [(0, 1 << 62, "steps"), (u64::MAX, 1, "start")] {
            let err = run_m0::<TsdError>(&logp, &psi, 0, start, steps, uninterrupted).unwrap_err();
            assert!(
                matches!(err, TsdError::Argument(ArgumentError { field: f, .. }) if f == field),
                "{err:?}"
            );
        }
    }

    #[test]
    fn emitted_marginal_is_the_target() {
        let (logp, psi) = target();
        let steps = 200_000;
        let columns = run_m0::<TsdError>(&logp, &psi, 1, 0, steps, uninterrupted).unwrap();
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
