//! Verification of draws made by any TSU backend, against the distribution that backend
//! reports it sampled from (its realised log q). The ratio uses the log q returned with each
//! draw and the residual uses the realised table, so every backend is exact by construction,
//! whatever precision it samples in.

use crate::error::{ArgumentError, TsdError};
use crate::limits::{in_chunks, reserve, step_range};
use crate::rng::{self, STREAM_VERIFY};
use crate::verify::step::StepOutcome;
use crate::verify::{accept_ratio, check_logp, decide, Residual};
use crate::walk::m0::M0Columns;
use crate::walk::m1::M1Columns;

/// Draws made by a backend: `tokens[c * n + j]` and `logq[c * n + j]` for context c at step
/// start + j (context-major), with the backend's realised log q rows.
#[derive(Debug, Clone, Copy)]
pub struct ExternalDraws<'a> {
    pub tokens: &'a [u32],
    pub logq: &'a [f64],
    pub steps: usize,
}

/// The target rows and the backend's realised rows, one of each per context, prepared once.
#[derive(Debug, Clone)]
pub struct ExternalVerifier<'a> {
    vocab: usize,
    logp: &'a [f64],
    residuals: Vec<Residual>,
}

impl<'a> ExternalVerifier<'a> {
    /// `logp` and `realised` are C×V tables, row-major; each row must be a normalised log
    /// distribution.
    pub fn new(logp: &'a [f64], realised: &[f64], vocab: usize) -> Result<Self, ArgumentError> {
        if vocab == 0 || logp.len() % vocab != 0 || logp.len() != realised.len() || logp.is_empty()
        {
            return Err(ArgumentError::new(
                "realised_logq",
                format!(
                    "logp ({}) and realised ({}) must both be C×{vocab} tables",
                    logp.len(),
                    realised.len()
                ),
            ));
        }
        let residuals = logp
            .chunks_exact(vocab)
            .zip(realised.chunks_exact(vocab))
            .enumerate()
            .map(|(c, (p, q))| {
                check_logp(p, vocab as u32)
                    .and_then(|()| check_logp(q, vocab as u32))
                    .map(|()| Residual::new(p, q))
                    .map_err(|err| {
                        ArgumentError::new(err.field, format!("row {c}: {}", err.reason))
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            vocab,
            logp,
            residuals,
        })
    }

    pub fn contexts(&self) -> usize {
        self.residuals.len()
    }

    /// Checks the draws, the steps they were made at and the first context.
    fn check_run(
        &self,
        draws: &ExternalDraws<'_>,
        start: u64,
        initial: u32,
        follow: bool,
    ) -> Result<(), ArgumentError> {
        let (contexts, n) = (self.contexts(), draws.steps);
        step_range("start", start, n as u64)?;
        if contexts.checked_mul(n) != Some(draws.tokens.len())
            || draws.logq.len() != draws.tokens.len()
        {
            return Err(ArgumentError::new(
                "tokens",
                format!(
                    "{contexts} contexts × {n} steps need as many draws, got {} tokens and {} log q",
                    draws.tokens.len(),
                    draws.logq.len()
                ),
            ));
        }
        if initial as usize >= contexts {
            return Err(ArgumentError::new(
                "initial",
                format!("context {initial} is out of range for {contexts} contexts"),
            ));
        }
        if follow && contexts != self.vocab {
            return Err(ArgumentError::new(
                "follow",
                format!(
                    "a walk needs one context per token ({} tokens, {contexts} contexts)",
                    self.vocab
                ),
            ));
        }
        Ok(())
    }

    /// Verifies steps start..start + draws.steps. With `follow`, each emitted token is the next
    /// context (M1); otherwise every step stays in context `initial` (M0). `between_chunks`
    /// runs between chunks of the loop.
    pub fn run<E: From<TsdError>>(
        &self,
        draws: ExternalDraws<'_>,
        seed: u64,
        start: u64,
        initial: u32,
        follow: bool,
        between_chunks: impl FnMut() -> Result<(), E>,
    ) -> Result<M1Columns, E> {
        self.check_run(&draws, start, initial, follow)
            .map_err(TsdError::from)?;
        let n = draws.steps;
        let mut columns = M1Columns {
            prev: reserve("prev", n).map_err(TsdError::from)?,
            steps: M0Columns::reserve(n).map_err(TsdError::from)?,
        };
        let mut context = initial as usize;
        in_chunks(
            start..start + n as u64,
            between_chunks,
            |chunk_start, chunk_len| {
                for step in chunk_start..chunk_start + chunk_len as u64 {
                    let j = (step - start) as usize;
                    let (token, logq) =
                        (draws.tokens[context * n + j], draws.logq[context * n + j]);
                    if token as usize >= self.vocab || !logq.is_finite() {
                        return Err(TsdError::from(ArgumentError::new(
                            "tokens",
                            format!(
                                "draw {j} in context {context}: token {token}, log q {logq} \
                             (tokens must be < {}, log q finite)",
                                self.vocab
                            ),
                        ))
                        .into());
                    }
                    let ratio =
                        accept_ratio(self.logp[context * self.vocab + token as usize], logq);
                    let words = rng::words(seed, STREAM_VERIFY, step);
                    let (accepted, emitted) =
                        decide(words, ratio, token, |w| self.residuals[context].draw(w));
                    columns.prev.push(context as u32);
                    columns.steps.push(StepOutcome {
                        proposed: token,
                        logq,
                        accepted,
                        emitted,
                    });
                    if follow {
                        context = emitted as usize;
                    }
                }
                Ok(())
            },
        )?;
        Ok(columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::craft::{craft_topk, EpsChoice};
    use crate::fmap::dense_logq;
    use crate::limits::uninterrupted;
    use crate::tsu::{Sampler, SimTsu};
    use crate::walk::m0::run_m0;

    #[test]
    fn sim_draws_verified_externally_equal_the_fused_loop() {
        let p = [0.4, 0.3, 0.2, 0.1];
        let logp: Vec<f64> = p.iter().map(|x: &f64| x.ln()).collect();
        let psi = craft_topk(&[0.1, 0.2, 0.3, 0.4], 2, 1.0, EpsChoice::Auto).unwrap();
        let fused = run_m0::<TsdError>(&logp, &psi, 4, 10, 500, uninterrupted).unwrap();
        let sampler = Sampler::new(&psi);
        let (tokens, logq): (Vec<u32>, Vec<f64>) =
            (10..510).map(|s| SimTsu::new(4).draw(&sampler, s)).unzip();
        let realised = dense_logq(&psi);
        let verifier = ExternalVerifier::new(&logp, &realised, 4).unwrap();
        let draws = ExternalDraws {
            tokens: &tokens,
            logq: &logq,
            steps: 500,
        };
        let external = verifier
            .run::<TsdError>(draws, 4, 10, 0, false, uninterrupted)
            .unwrap();
        assert_eq!(external.steps, fused);
    }

    #[test]
    fn bad_draws_are_named() {
        let logp: Vec<f64> = [0.5f64, 0.5].iter().map(|x| x.ln()).collect();
        let verifier = ExternalVerifier::new(&logp, &logp, 2).unwrap();
        let field =
            |draws, follow| match verifier.run::<TsdError>(draws, 0, 0, 0, follow, uninterrupted) {
                Err(TsdError::Argument(a)) => a.field,
                other => panic!("{other:?}"),
            };
        let draws = ExternalDraws {
            tokens: &[0, 5],
            logq: &[-0.7, -0.7],
            steps: 2,
        };
        assert_eq!(field(draws, false), "tokens");
        let short = ExternalDraws {
            tokens: &[0],
            logq: &[-0.7],
            steps: 2,
        };
        assert_eq!(field(short, false), "tokens");
        assert_eq!(
            ExternalVerifier::new(&logp, &logp[..1], 2)
                .unwrap_err()
                .field,
            "realised_logq"
        );
        assert_eq!(field(draws, true), "follow");
        let top = ExternalDraws {
            tokens: &[0],
            logq: &[-0.7],
            steps: 1,
        };
        let run = verifier.run::<TsdError>(top, 0, u64::MAX, 0, false, uninterrupted);
        assert!(matches!(
            run,
            Err(TsdError::Argument(ArgumentError { field: "start", .. }))
        ));
    }
}
