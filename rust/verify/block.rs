//! Block verification for speculative sampling: L drafted tokens against L + 1 target rows.
//!
//! Position i (0-based) accepts its draft y_i with probability min(1, p_i(y_i) / q_i(y_i)),
//! q_i(y_i) being the log q the TSU returned; the first rejection emits a draw from
//! norm(max(0, p_i − q_i)) with q_i = F(ψ_i) and stops; if all L are accepted, a bonus token is
//! drawn from p_L (the row after the last draft). Position i uses the verifier words
//! (seed, verifier stream, step + i), the bonus (seed, verifier stream, step + L).
//!
//! Only what the decision needs is read: one entry p_i(y_i) per visited position and the one
//! row that is sampled (with its realised row, if given). Each is checked as it is read, with
//! the single step's checks ([`check_log_entry`] for an entry; a sampled row also
//! [`check_total`], so a row summing to 0.5 is an error as in `accept_correct_step`), and the
//! output is always an id < V. A row the decision only reads one entry of is checked at that
//! entry: checking it in full would read L + 1 rows where one suffices. The block's steps
//! follow the one rule of [`crate::limits`]: step .. step + L + 1 must end within 64 bits.
//! Offsets are `usize`, so rows × V never overflows 32 bits.

use crate::error::ArgumentError;
use crate::exp;
use crate::fmap::LogqTable;
use crate::limits::step_range;
use crate::psi::PsiTopK;
use crate::rng::{self, STREAM_VERIFY};
use crate::verify::sampled_row::{Against, RowScratch};
use crate::verify::{accept_ratio, at_row, check_log_entry};

/// One sequence's verdict: how many drafts were accepted, and the tokens it emits
/// (the accepted drafts, then the correction or the bonus token).
#[derive(Debug, Clone, PartialEq)]
pub struct BlockVerdict {
    pub accepted: usize,
    pub emitted: Vec<u32>,
}

/// One sequence's inputs: `rows` holds L + 1 log p rows of length V, row-major. `realised`,
/// when given, holds the L log q rows the TSU actually sampled from (backends other than the
/// simulated TSU); the residual then uses them instead of F(ψ).
#[derive(Debug, Clone, Copy)]
pub struct BlockInput<'a> {
    pub rows: &'a [f64],
    pub realised: Option<&'a [f64]>,
    pub psis: &'a [&'a PsiTopK],
    pub tokens: &'a [u32],
    pub logq: &'a [f64],
    pub seed: u64,
    pub step: u64,
}

fn invalid(field: &'static str, reason: String) -> ArgumentError {
    ArgumentError::new(field, reason)
}

fn check_shapes(input: &BlockInput<'_>, vocab: usize) -> Result<(), ArgumentError> {
    let l = input.psis.len();
    if input.tokens.len() != l || input.logq.len() != l {
        return Err(invalid(
            "tokens",
            format!(
                "{} payloads need as many tokens and log q values, got {} and {}",
                l,
                input.tokens.len(),
                input.logq.len()
            ),
        ));
    }
    if input.rows.len() != (l + 1) * vocab {
        return Err(invalid(
            "target_logp",
            format!(
                "needs {} rows of {vocab}, got {} values",
                l + 1,
                input.rows.len()
            ),
        ));
    }
    if input.realised.is_some_and(|r| r.len() != l * vocab) {
        return Err(invalid(
            "realised_logq",
            format!("needs {l} rows of {vocab} for {l} payloads"),
        ));
    }
    if let Some(i) = input
        .psis
        .iter()
        .position(|psi| psi.vocab() as usize != vocab)
    {
        return Err(invalid(
            "psis",
            format!(
                "payload {i} has vocab {}, expected {vocab}",
                input.psis[i].vocab()
            ),
        ));
    }
    if let Some(i) = input.tokens.iter().position(|&t| t as usize >= vocab) {
        return Err(invalid(
            "tokens",
            format!(
                "token {} at position {i} is >= vocab {vocab}",
                input.tokens[i]
            ),
        ));
    }
    if let Some(i) = input.logq.iter().position(|lq| !lq.is_finite()) {
        return Err(invalid(
            "logq",
            format!("entry {i} is {}, must be finite", input.logq[i]),
        ));
    }
    step_range("step", input.step, l as u64 + 1).map(|_| ())
}

/// Verifies one sequence's block. `scratch` is reused between calls to avoid allocation.
pub fn verify_block(
    input: &BlockInput<'_>,
    vocab: usize,
    scratch: &mut RowScratch,
) -> Result<BlockVerdict, ArgumentError> {
    check_shapes(input, vocab)?;
    let mut emitted = Vec::with_capacity(input.psis.len() + 1);
    for (i, ((psi, &token), &logq)) in input
        .psis
        .iter()
        .zip(input.tokens)
        .zip(input.logq)
        .enumerate()
    {
        let row = &input.rows[i * vocab..(i + 1) * vocab];
        let logp_y = row[token as usize];
        check_log_entry("target_logp", token as usize, logp_y).map_err(at_row(i))?;
        let words = rng::words(input.seed, STREAM_VERIFY, input.step + i as u64);
        if rng::unit(words[0]) < accept_ratio(logp_y, logq) {
            emitted.push(token);
            continue;
        }
        let drawn = match input.realised {
            Some(realised) => {
                let q_row = &realised[i * vocab..(i + 1) * vocab];
                scratch.sample(row, i, Against::Realised(q_row), words[1])?
            }
            None => {
                let table = LogqTable::new(psi);
                let slots: Vec<f64> = (0..psi.k())
                    .map(|slot| exp::exp(table.slot(slot)))
                    .collect();
                let against = Against::FPsi {
                    ids: psi.ids(),
                    slots: &slots,
                    tail: exp::exp(table.tail()),
                };
                scratch.sample(row, i, against, words[1])?
            }
        };
        emitted.push(drawn as u32);
        return Ok(BlockVerdict {
            accepted: i,
            emitted,
        });
    }
    let l = input.psis.len();
    let words = rng::words(input.seed, STREAM_VERIFY, input.step + l as u64);
    let bonus = scratch.sample(&input.rows[l * vocab..], l, Against::Nothing, words[1])?;
    emitted.push(bonus as u32);
    Ok(BlockVerdict {
        accepted: l,
        emitted,
    })
}

/// Verifies B independent sequences (each with its own L, seed and step), in parallel when
/// `parallel`; an error names the sequence it came from.
pub fn verify_batch(
    inputs: &[BlockInput<'_>],
    vocab: usize,
    parallel: bool,
) -> Result<Vec<BlockVerdict>, ArgumentError> {
    let one = |(b, input): (usize, &BlockInput<'_>), scratch: &mut RowScratch| {
        verify_block(input, vocab, scratch)
            .map_err(|err| invalid(err.field, format!("sequence {b}: {}", err.reason)))
    };
    if parallel {
        use rayon::prelude::*;
        inputs
            .par_iter()
            .enumerate()
            .map_init(RowScratch::default, |scratch, item| one(item, scratch))
            .collect()
    } else {
        let mut scratch = RowScratch::default();
        inputs
            .iter()
            .enumerate()
            .map(|item| one(item, &mut scratch))
            .collect()
    }
}

/// B sequences' blocks in flat, ragged form: sequence b owns `lengths[b]` consecutive
/// payloads, tokens and log q values, `lengths[b] + 1` consecutive rows of `target_logp`, and,
/// when given, `lengths[b]` consecutive rows of `realised` (one per payload).
#[derive(Debug, Clone, Copy)]
pub struct RaggedBlocks<'a> {
    pub target_logp: &'a [f64],
    pub realised: Option<&'a [f64]>,
    pub psis: &'a [&'a PsiTopK],
    pub tokens: &'a [u32],
    pub logq: &'a [f64],
    pub lengths: &'a [u32],
    pub seeds: &'a [u64],
    pub steps: &'a [u64],
}

/// The verdicts of a ragged batch as columns: accepted drafts per sequence, the emitted tokens
/// of every sequence back to back, and the B + 1 offsets of each sequence's tokens in them.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchVerdicts {
    pub accepted: Vec<u32>,
    pub emitted: Vec<u32>,
    pub offsets: Vec<u64>,
}

fn check_ragged(blocks: &RaggedBlocks<'_>, vocab: usize) -> Result<(), ArgumentError> {
    let sequences = blocks.lengths.len();
    if blocks.seeds.len() != sequences || blocks.steps.len() != sequences {
        return Err(invalid(
            "seeds",
            format!("{sequences} sequences need as many seeds and steps"),
        ));
    }
    let drafts: usize = blocks.lengths.iter().map(|&l| l as usize).sum();
    if blocks.psis.len() != drafts || blocks.tokens.len() != drafts || blocks.logq.len() != drafts {
        return Err(invalid(
            "lengths",
            format!(
                "lengths add up to {drafts} drafts; got {} payloads, {} tokens, {} log q",
                blocks.psis.len(),
                blocks.tokens.len(),
                blocks.logq.len()
            ),
        ));
    }
    if blocks.target_logp.len() != (drafts + sequences) * vocab {
        return Err(invalid(
            "target_logp",
            format!(
                "needs {} rows (one per draft plus one per sequence), got {}",
                drafts + sequences,
                blocks.target_logp.len() / vocab.max(1)
            ),
        ));
    }
    Ok(())
}

/// Splits a ragged batch into its sequences and verifies them ([`verify_batch`]).
pub fn verify_ragged(
    blocks: &RaggedBlocks<'_>,
    vocab: usize,
    parallel: bool,
) -> Result<BatchVerdicts, ArgumentError> {
    check_ragged(blocks, vocab)?;
    let mut inputs = Vec::with_capacity(blocks.lengths.len());
    let (mut draft, mut row) = (0usize, 0usize);
    for (b, &l) in blocks.lengths.iter().enumerate() {
        let l = l as usize;
        inputs.push(BlockInput {
            rows: &blocks.target_logp[row * vocab..(row + l + 1) * vocab],
            realised: blocks
                .realised
                .map(|r| r.get(draft * vocab..(draft + l) * vocab).unwrap_or(&[])),
            psis: &blocks.psis[draft..draft + l],
            tokens: &blocks.tokens[draft..draft + l],
            logq: &blocks.logq[draft..draft + l],
            seed: blocks.seeds[b],
            step: blocks.steps[b],
        });
        draft += l;
        row += l + 1;
    }
    let verdicts = verify_batch(&inputs, vocab, parallel)?;
    let accepted = verdicts.iter().map(|v| v.accepted as u32).collect();
    let mut offsets = Vec::with_capacity(verdicts.len() + 1);
    offsets.push(0u64);
    let mut emitted = Vec::new();
    for verdict in verdicts {
        emitted.extend_from_slice(&verdict.emitted);
        offsets.push(emitted.len() as u64);
    }
    Ok(BatchVerdicts {
        accepted,
        emitted,
        offsets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::craft::{craft_topk, EpsChoice};
    use crate::verify::step::StepTables;

    fn ln(p: &[f64]) -> Vec<f64> {
        p.iter().map(|x| x.ln()).collect()
    }

    fn rows(ps: &[&[f64]]) -> Vec<f64> {
        ps.iter().flat_map(|p| ln(p)).collect()
    }

    /// A normalised row of `len` uneven probabilities (a hash sequence, no RNG dependency).
    fn uneven(len: usize, salt: u64) -> Vec<f64> {
        let raw: Vec<f64> = (0..len as u64)
            .map(|i| {
                let h = (i ^ salt)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .rotate_left(23)
                    >> 11;
                (h as f64 / (1u64 << 53) as f64).powi(3) + 1e-9
            })
            .collect();
        let total: f64 = raw.iter().sum();
        raw.iter().map(|x| x / total).collect()
    }

    /// With L = 1, position 0 decides as the M1 step tables do, token for token, and the bonus
    /// is the first entry whose cumulative probability (by the crate's rule) exceeds u · total.
    fn assert_first_position_is_an_m1_step(p: &[f64], bonus_row: &[f64], psi: &PsiTopK) {
        let vocab = p.len();
        let tables = StepTables::new(&ln(p), psi).unwrap();
        let target = rows(&[p, bonus_row]);
        let bonus_cumulative = crate::cumulative::cumulative(
            &target[vocab..]
                .iter()
                .map(|&l| exp::exp(l))
                .collect::<Vec<_>>(),
        );
        let mut scratch = RowScratch::default();
        let (mut rejected, mut accepted) = (0, 0);
        for step in 0..3000u64 {
            let tsu_words = rng::words(1, rng::STREAM_TSU, step);
            let verify_words = rng::words(1, STREAM_VERIFY, step);
            let single = tables.step(tsu_words, verify_words);
            let input = BlockInput {
                rows: &target,
                realised: None,
                psis: &[psi],
                tokens: &[single.proposed],
                logq: &[single.logq],
                seed: 1,
                step,
            };
            let verdict = verify_block(&input, vocab, &mut scratch).unwrap();
            assert_eq!(verdict.emitted[0], single.emitted);
            assert_eq!(verdict.accepted == 1, single.accepted);
            if single.accepted {
                accepted += 1;
                let words = rng::words(1, STREAM_VERIFY, step + 1);
                let x = rng::unit(words[1]) * bonus_cumulative[vocab - 1];
                let bonus = bonus_cumulative.iter().position(|&c| c > x).unwrap();
                assert_eq!(verdict.emitted[1] as usize, bonus);
            } else {
                rejected += 1;
            }
        }
        assert!(rejected > 100 && accepted > 100, "{rejected} / {accepted}");
    }

    #[test]
    fn first_position_is_an_m1_step() {
        let psi = craft_topk(&[0.1, 0.6, 0.2, 0.1], 2, 1.0, EpsChoice::Auto).unwrap();
        assert_first_position_is_an_m1_step(&[0.5, 0.2, 0.2, 0.1], &[0.25; 4], &psi);
    }

    #[test]
    fn first_position_is_an_m1_step_over_many_chunks() {
        // 700 entries: a group of eight chunks, then three more, the last one short.
        let psi = craft_topk(&uneven(700, 1), 64, 1.0, EpsChoice::Auto).unwrap();
        assert_first_position_is_an_m1_step(&uneven(700, 2), &uneven(700, 3), &psi);
    }

    #[test]
    fn nan_and_empty_rows_are_errors_never_tokens() {
        let psi = craft_topk(&[0.25; 4], 2, 1.0, EpsChoice::Auto).unwrap();
        let logq = LogqTable::new(&psi).slot(0);
        let mut scratch = RowScratch::default();
        for bad in [f64::NAN, 0.5] {
            let mut target = rows(&[&[0.25; 4], &[0.25; 4]]);
            target[0] = bad;
            let input = BlockInput {
                rows: &target,
                realised: None,
                psis: &[&psi],
                tokens: &[0],
                logq: &[logq],
                seed: 0,
                step: 0,
            };
            assert_eq!(
                verify_block(&input, 4, &mut scratch).unwrap_err().field,
                "target_logp"
            );
        }
        // A bonus row with no mass at all (every entry -inf).
        let mut target = rows(&[&[0.25; 4], &[0.25; 4]]);
        for v in &mut target[4..] {
            *v = f64::NEG_INFINITY;
        }
        let input = BlockInput {
            rows: &target,
            realised: None,
            psis: &[&psi],
            tokens: &[0],
            logq: &[logq],
            seed: 0,
            step: 0,
        };
        let results: Vec<_> = (0..50)
            .map(|s| verify_block(&BlockInput { step: s, ..input }, 4, &mut scratch))
            .collect();
        assert!(results.iter().any(
            |r| matches!(r, Err(e) if e.field == "target_logp" && e.reason.starts_with("row 1:"))
        ));
        assert!(results.iter().all(|r| r
            .as_ref()
            .map_or(true, |v| v.emitted.iter().all(|&t| t < 4))));
    }

    #[test]
    fn a_sampled_row_summing_to_a_half_fails_the_single_step_check() {
        let psi = craft_topk(&[0.25; 4], 2, 1.0, EpsChoice::Auto).unwrap();
        let logq = [LogqTable::new(&psi).slot(0)];
        let mut scratch = RowScratch::default();
        let sixth = (1.0f64 / 6.0).ln();
        // Draft 0 has p = 0 in the first row, so it is rejected and that row is sampled.
        let rejected = [f64::NEG_INFINITY, sixth, sixth, sixth];
        // Draft 0 has p = 1, so it is accepted and the bonus row is sampled.
        let accepted = [0.0, f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        let half = [0.125f64.ln(); 4];
        for (target, bad_row) in [
            ([rejected, [0.25f64.ln(); 4]].concat(), 0),
            ([accepted, half].concat(), 1),
        ] {
            let input = BlockInput {
                rows: &target,
                realised: None,
                psis: &[&psi],
                tokens: &[0],
                logq: &logq,
                seed: 0,
                step: 0,
            };
            let err = verify_block(&input, 4, &mut scratch).unwrap_err();
            assert_eq!(err.field, "target_logp");
            assert!(err.reason.starts_with(&format!("row {bad_row}:")), "{err}");
            assert!(err.reason.contains("sums to 0.5"), "{err}");
            let bad = &target[bad_row * 4..(bad_row + 1) * 4];
            let single = crate::verify::accept_correct_step(bad, &psi, 0, logq[0], 0, 0);
            assert!(single.unwrap_err().reason.contains("sums to 0.5"));
        }
        let third = (1.0f64 / 3.0).ln();
        let target = [[f64::NEG_INFINITY, third, third, third], [0.25f64.ln(); 4]].concat();
        let input = BlockInput {
            rows: &target,
            realised: Some(&half),
            psis: &[&psi],
            tokens: &[0],
            logq: &logq,
            seed: 0,
            step: 0,
        };
        let err = verify_block(&input, 4, &mut scratch).unwrap_err();
        assert_eq!(err.field, "realised_logq");
        assert!(err.reason.contains("sums to 0.5"), "{err}");
    }

    #[test]
    fn the_bonus_step_follows_the_one_step_rule() {
        let psi = craft_topk(&[0.25; 4], 2, 1.0, EpsChoice::Auto).unwrap();
        let logq = LogqTable::new(&psi).slot(0);
        let target = rows(&[&[0.25; 4], &[0.25; 4]]);
        let mut scratch = RowScratch::default();
        let logq = [logq];
        let psis = [&psi];
        let at = |step| BlockInput {
            rows: &target,
            realised: None,
            psis: &psis,
            tokens: &[0],
            logq: &logq,
            seed: 0,
            step,
        };
        // One draft and a bonus use steps step and step + 1: the last is LAST_STEP at most.
        assert!(verify_block(&at(crate::limits::LAST_STEP - 1), 4, &mut scratch).is_ok());
        assert_eq!(
            verify_block(&at(crate::limits::LAST_STEP), 4, &mut scratch)
                .unwrap_err()
                .field,
            "step"
        );
    }

    #[test]
    fn realised_rows_equal_to_f_psi_change_nothing() {
        let psi = craft_topk(&[0.4, 0.3, 0.2, 0.1], 2, 1.0, EpsChoice::Auto).unwrap();
        let target = rows(&[&[0.1, 0.2, 0.3, 0.4], &[0.7, 0.1, 0.1, 0.1]]);
        let realised = crate::fmap::dense_logq(&psi);
        let logq = [LogqTable::new(&psi).slot(0)];
        let mut scratch = RowScratch::default();
        for step in 0..500 {
            let base = BlockInput {
                rows: &target,
                realised: None,
                psis: &[&psi],
                tokens: &[0],
                logq: &logq,
                seed: 3,
                step,
            };
            let given = BlockInput {
                realised: Some(&realised),
                ..base
            };
            assert_eq!(
                verify_block(&base, 4, &mut scratch),
                verify_block(&given, 4, &mut scratch)
            );
        }
        let bad = BlockInput {
            rows: &target,
            realised: Some(&realised[..3]),
            psis: &[&psi],
            tokens: &[0],
            logq: &logq,
            seed: 3,
            step: 0,
        };
        assert_eq!(
            verify_block(&bad, 4, &mut scratch).unwrap_err().field,
            "realised_logq"
        );
    }

    #[test]
    fn shapes_are_checked() {
        let psi = craft_topk(&[0.25; 4], 2, 1.0, EpsChoice::Auto).unwrap();
        let target = rows(&[&[0.25; 4], &[0.25; 4]]);
        let mut scratch = RowScratch::default();
        let good = BlockInput {
            rows: &target,
            realised: None,
            psis: &[&psi],
            tokens: &[0],
            logq: &[-1.0],
            seed: 0,
            step: 0,
        };
        assert_eq!(
            verify_block(
                &BlockInput {
                    rows: &target[..7],
                    ..good
                },
                4,
                &mut scratch
            )
            .unwrap_err()
            .field,
            "target_logp"
        );
        assert_eq!(
            verify_block(
                &BlockInput {
                    tokens: &[4],
                    ..good
                },
                4,
                &mut scratch
            )
            .unwrap_err()
            .field,
            "tokens"
        );
        assert_eq!(
            verify_block(
                &BlockInput {
                    logq: &[f64::NAN],
                    ..good
                },
                4,
                &mut scratch
            )
            .unwrap_err()
            .field,
            "logq"
        );
        assert_eq!(
            verify_block(&good, 5, &mut scratch).unwrap_err().field,
            "target_logp"
        );
        let err = verify_batch(
            &[
                good,
                BlockInput {
                    tokens: &[9],
                    ..good
                },
            ],
            4,
            true,
        )
        .unwrap_err();
        assert!(err.reason.starts_with("sequence 1:"), "{err}");
    }

    #[test]
    fn batch_equals_one_by_one_in_parallel_or_not() {
        let psi = craft_topk(&[0.4, 0.3, 0.2, 0.1], 2, 1.0, EpsChoice::Auto).unwrap();
        let target = rows(&[
            &[0.1, 0.2, 0.3, 0.4],
            &[0.1, 0.2, 0.3, 0.4],
            &[0.7, 0.1, 0.1, 0.1],
        ]);
        let psis = [&psi, &psi];
        let logq = [LogqTable::new(&psi).slot(1); 2];
        let tokens = [1, 1];
        let inputs: Vec<BlockInput<'_>> = (0..200)
            .map(|b| BlockInput {
                rows: &target,
                realised: None,
                psis: &psis,
                tokens: &tokens,
                logq: &logq,
                seed: b,
                step: 7 * b,
            })
            .collect();
        let serial = verify_batch(&inputs, 4, false).unwrap();
        let parallel = verify_batch(&inputs, 4, true).unwrap();
        assert_eq!(serial, parallel);
        let mut scratch = RowScratch::default();
        assert_eq!(
            serial[3],
            verify_block(&inputs[3], 4, &mut scratch).unwrap()
        );
    }

    #[test]
    fn a_ragged_batch_verifies_each_sequence_as_alone() {
        let psi = craft_topk(&[0.1, 0.6, 0.2, 0.1], 2, 1.0, EpsChoice::Auto).unwrap();
        let lengths = [2u32, 0, 1];
        let target = rows(&[&[0.4, 0.3, 0.2, 0.1] as &[f64]; 6]);
        let psis = vec![&psi; 3];
        let logq = LogqTable::new(&psi).slot(1);
        let (tokens, logqs) = ([1, 1, 1], [logq; 3]);
        let (seeds, steps) = ([3u64, 4, 5], [10u64, 20, 30]);
        let blocks = RaggedBlocks {
            target_logp: &target,
            realised: None,
            psis: &psis,
            tokens: &tokens,
            logq: &logqs,
            lengths: &lengths,
            seeds: &seeds,
            steps: &steps,
        };
        let batch = verify_ragged(&blocks, 4, true).unwrap();
        assert_eq!(batch, verify_ragged(&blocks, 4, false).unwrap());
        let mut scratch = RowScratch::default();
        let (mut draft, mut row) = (0, 0);
        for (b, &l) in lengths.iter().enumerate() {
            let l = l as usize;
            let alone = verify_block(
                &BlockInput {
                    rows: &target[row * 4..(row + l + 1) * 4],
                    realised: None,
                    psis: &psis[draft..draft + l],
                    tokens: &tokens[draft..draft + l],
                    logq: &logqs[draft..draft + l],
                    seed: seeds[b],
                    step: steps[b],
                },
                4,
                &mut scratch,
            )
            .unwrap();
            assert_eq!(batch.accepted[b] as usize, alone.accepted);
            let span = batch.offsets[b] as usize..batch.offsets[b + 1] as usize;
            assert_eq!(batch.emitted[span], alone.emitted[..]);
            (draft, row) = (draft + l, row + l + 1);
        }
        let short = RaggedBlocks {
            target_logp: &target[4..],
            ..blocks
        };
        assert_eq!(
            verify_ragged(&short, 4, true).unwrap_err().field,
            "target_logp"
        );
        let fewer = RaggedBlocks {
            tokens: &tokens[1..],
            ..blocks
        };
        assert_eq!(verify_ragged(&fewer, 4, true).unwrap_err().field, "lengths");
    }
}
