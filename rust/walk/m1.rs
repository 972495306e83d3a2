//! M1: a chain whose context is the previous emitted token. Each context has its own target
//! row p(· | context) and its own ψ, prepared once; the walk then runs entirely in Rust.

use crate::error::{ArgumentError, TsdError};
use crate::limits::{column_len, in_chunks, reserve, step_range};
use crate::psi::PsiTopK;
use crate::verify::step::{for_each_step, StepOutcome, StepTables};
use crate::walk::m0::M0Columns;

/// Per-step columns of an M1 walk: the context of each step and what the step produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct M1Columns {
    pub prev: Vec<u32>,
    pub steps: M0Columns,
}

/// Aggregated telemetry of an M1 walk, O(V) memory for any number of steps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct M1Counts {
    /// Steps taken in each context.
    pub visits: Vec<u64>,
    /// Accepted draws in each context.
    pub accepted: Vec<u64>,
    /// How often each token was emitted.
    pub emitted: Vec<u64>,
    /// The last emitted token: the context of the next step.
    pub last: u32,
}

/// The prepared chain: one [`StepTables`] per context.
#[derive(Debug, Clone)]
pub struct BigramChain {
    contexts: Vec<StepTables>,
}

impl BigramChain {
    /// `logp` is the V×V table, row-major (row = context); `psis[c]` is the payload for context c.
    pub fn new(logp: &[f64], psis: &[PsiTopK]) -> Result<Self, ArgumentError> {
        let vocab = psis.len();
        if vocab == 0 {
            return Err(ArgumentError::new(
                "psis",
                "needs one payload per context, got none",
            ));
        }
        if vocab.checked_mul(vocab) != Some(logp.len()) {
            return Err(ArgumentError::new(
                "logp",
                format!(
                    "has {} entries; {vocab} contexts need a {vocab}×{vocab} table",
                    logp.len()
                ),
            ));
        }
        let contexts = psis
            .iter()
            .zip(logp.chunks_exact(vocab))
            .enumerate()
            .map(|(context, (psi, row))| {
                if psi.vocab() as usize != vocab {
                    return Err(ArgumentError::new(
                        "psis",
                        format!(
                            "the payload for context {context} has vocab {}, expected {vocab}",
                            psi.vocab()
                        ),
                    ));
                }
                StepTables::new(row, psi).map_err(|err| {
                    ArgumentError::new(err.field, format!("row {context}: {}", err.reason))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { contexts })
    }

    pub fn vocab(&self) -> usize {
        self.contexts.len()
    }

    /// Checks the walk's steps and its first context.
    fn check_walk(&self, start: u64, steps: u64, initial: u32) -> Result<(), ArgumentError> {
        step_range("start", start, steps)?;
        if initial as usize >= self.vocab() {
            return Err(ArgumentError::new(
                "initial",
                format!(
                    "context {initial} is out of range for vocab = {}",
                    self.vocab()
                ),
            ));
        }
        Ok(())
    }

    /// Walks steps `start..start + steps` from context `initial` (checked by
    /// [`BigramChain::check_walk`]), calling `visit(context, outcome)` for each step and
    /// `between_chunks` between chunks; returns the last emitted token.
    fn walk<E>(
        &self,
        seed: u64,
        start: u64,
        steps: u64,
        initial: u32,
        between_chunks: impl FnMut() -> Result<(), E>,
        mut visit: impl FnMut(u32, StepOutcome),
    ) -> Result<u32, E> {
        let mut context = initial;
        in_chunks(
            start..start + steps,
            between_chunks,
            |chunk_start, chunk_len| {
                for_each_step(seed, chunk_start, chunk_len, |tsu_w, verify_w| {
                    let outcome = self.contexts[context as usize].step(tsu_w, verify_w);
                    visit(context, outcome);
                    context = outcome.emitted;
                });
                Ok(())
            },
        )?;
        Ok(context)
    }

    /// The walk, keeping every step (at most
    /// [`MAX_STEPS_PER_CALL`](crate::limits::MAX_STEPS_PER_CALL) per call).
    pub fn run<E: From<TsdError>>(
        &self,
        seed: u64,
        start: u64,
        steps: u64,
        initial: u32,
        between_chunks: impl FnMut() -> Result<(), E>,
    ) -> Result<M1Columns, E> {
        self.check_walk(start, steps, initial)
            .map_err(TsdError::from)?;
        let len = column_len("steps", steps).map_err(TsdError::from)?;
        let mut columns = M1Columns {
            prev: reserve("prev", len).map_err(TsdError::from)?,
            steps: M0Columns::reserve(len).map_err(TsdError::from)?,
        };
        self.walk(
            seed,
            start,
            steps,
            initial,
            between_chunks,
            |context, outcome| {
                columns.prev.push(context);
                columns.steps.push(outcome);
            },
        )?;
        Ok(columns)
    }

    /// The same walk as [`BigramChain::run`], keeping only per-context and per-token counts
    /// (any number of steps).
    pub fn run_counts<E: From<TsdError>>(
        &self,
        seed: u64,
        start: u64,
        steps: u64,
        initial: u32,
        between_chunks: impl FnMut() -> Result<(), E>,
    ) -> Result<M1Counts, E> {
        self.check_walk(start, steps, initial)
            .map_err(TsdError::from)?;
        let vocab = self.vocab();
        let (mut visits, mut accepted, mut emitted) =
            (vec![0; vocab], vec![0; vocab], vec![0; vocab]);
        let last = self.walk(
            seed,
            start,
            steps,
            initial,
            between_chunks,
            |context, outcome| {
                visits[context as usize] += 1;
                accepted[context as usize] += u64::from(outcome.accepted);
                emitted[outcome.emitted as usize] += 1;
            },
        )?;
        Ok(M1Counts {
            visits,
            accepted,
            emitted,
            last,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::craft::{craft_topk, EpsChoice};
    use crate::limits::uninterrupted;
    use crate::walk::m0::run_m0;

    /// A 4-token chain whose rows differ enough that a context mix-up would show.
    fn chain() -> (Vec<f64>, Vec<PsiTopK>) {
        let rows = [
            [0.7, 0.1, 0.1, 0.1],
            [0.1, 0.6, 0.2, 0.1],
            [0.25, 0.25, 0.25, 0.25],
            [0.05, 0.05, 0.1, 0.8],
        ];
        let psis = rows
            .iter()
            .map(|r| craft_topk(r, 2, 1.0, EpsChoice::Auto).unwrap())
            .collect();
        let logp = rows.iter().flatten().map(|p: &f64| p.ln()).collect();
        (logp, psis)
    }

    #[test]
    fn each_step_uses_its_contexts_tables() {
        let (logp, psis) = chain();
        let walk = BigramChain::new(&logp, &psis)
            .unwrap()
            .run::<TsdError>(3, 0, 2000, 0, uninterrupted)
            .unwrap();
        assert_eq!(walk.prev[0], 0);
        for i in 1..2000 {
            assert_eq!(walk.prev[i], walk.steps.emitted[i - 1]);
        }
        // Step i with context c draws exactly what a fixed-context run in c draws at step i.
        for i in [0usize, 1, 17, 999, 1999] {
            let c = walk.prev[i] as usize;
            let fixed = run_m0::<TsdError>(
                &logp[c * 4..c * 4 + 4],
                &psis[c],
                3,
                i as u64,
                1,
                uninterrupted,
            )
            .unwrap();
            assert_eq!(fixed.emitted[0], walk.steps.emitted[i]);
            assert_eq!(fixed.proposed[0], walk.steps.proposed[i]);
        }
    }

    #[test]
    fn counts_agree_with_the_columns_and_chunks_resume() {
        let (logp, psis) = chain();
        let chain = BigramChain::new(&logp, &psis).unwrap();
        let walk = chain.run::<TsdError>(9, 0, 5000, 2, uninterrupted).unwrap();
        let first = chain
            .run_counts::<TsdError>(9, 0, 3000, 2, uninterrupted)
            .unwrap();
        let second = chain
            .run_counts::<TsdError>(9, 3000, 2000, first.last, uninterrupted)
            .unwrap();
        for token in 0..4u32 {
            let visits = walk.prev.iter().filter(|&&c| c == token).count() as u64;
            let emitted = walk.steps.emitted.iter().filter(|&&e| e == token).count() as u64;
            assert_eq!(
                first.visits[token as usize] + second.visits[token as usize],
                visits
            );
            assert_eq!(
                first.emitted[token as usize] + second.emitted[token as usize],
                emitted
            );
        }
        assert_eq!(second.last, walk.steps.emitted[4999]);
    }

    #[test]
    fn bad_shapes_are_named() {
        let (logp, psis) = chain();
        assert_eq!(
            BigramChain::new(&logp[..15], &psis).unwrap_err().field,
            "logp"
        );
        assert_eq!(
            BigramChain::new(&logp, &psis[..3]).unwrap_err().field,
            "logp"
        );
        assert_eq!(BigramChain::new(&[], &[]).unwrap_err().field, "psis");
        let mut bad = logp.clone();
        bad[5] = 0.5;
        let err = BigramChain::new(&bad, &psis).unwrap_err();
        assert!(err.reason.starts_with("row 1:"), "{err}");
        let chain = BigramChain::new(&logp, &psis).unwrap();
        let field = |err: TsdError| match err {
            TsdError::Argument(a) => a.field,
            other => panic!("{other:?}"),
        };
        let run =
            |start, steps, initial| chain.run::<TsdError>(0, start, steps, initial, uninterrupted);
        assert_eq!(field(run(0, 10, 4).unwrap_err()), "initial");
        assert_eq!(field(run(0, 1 << 62, 0).unwrap_err()), "steps");
        assert_eq!(field(run(u64::MAX, 1, 0).unwrap_err()), "start");
        let counts = chain.run_counts::<TsdError>(0, u64::MAX, 1, 0, uninterrupted);
        assert_eq!(field(counts.unwrap_err()), "start");
    }
}
