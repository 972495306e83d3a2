//! The one row a block verification samples from — the residual max(0, p − q) at the first
//! rejection, or p itself for the bonus token — in one pass over the row: every entry checked,
//! probabilities exponentiated a group of chunks at a time and summed by chunks
//! ([`crate::cumulative`]); the draw then finds its chunk from the totals and computes that
//! chunk's masses again, by the same operations. Nothing of length V is stored. Full groups are
//! laid out chunk-interleaved first, so that the chunk sums run as vector additions.

use crate::cumulative::{
    chunk_count, chunk_sums, find_chunk, find_within, interleave, interleaved, interleaved_sums,
    running_totals, CHUNK, GROUP,
};
use crate::error::ArgumentError;
use crate::exp::exp_into;
use crate::rng;
use crate::verify::{at_row, check_log_entries, check_total, refused};

/// What the sampled row's probabilities are set against.
#[derive(Debug, Clone, Copy)]
pub enum Against<'a> {
    /// Nothing: a draw from p itself.
    Nothing,
    /// q = F(ψ): `tail` off the ids, `slots[j]` on `ids[j]` (ids sorted ascending).
    FPsi {
        ids: &'a [u32],
        slots: &'a [f64],
        tail: f64,
    },
    /// The realised log q row the backend sampled from.
    Realised(&'a [f64]),
}

/// Buffers a verifier thread reuses from row to row: one group's values and the chunk totals.
#[derive(Debug, Default)]
pub struct RowScratch {
    log_p: Vec<f64>,
    log_q: Vec<f64>,
    values: Values,
    p_totals: Vec<f64>,
    q_totals: Vec<f64>,
    mass_totals: Vec<f64>,
}

/// What one pass over a row found.
struct Pass {
    bad_p: bool,
    bad_q: bool,
    last_chunk_with_mass: Option<usize>,
    last_chunk_with_p: Option<usize>,
}

/// One stretch of the row, entries `start..start + log_p.len()`, laid out as the caller chose:
/// `place(i)` is where entry start + i sits in `log_p` (and in `log_q`, the realised row's).
struct Stretch<'s> {
    start: usize,
    log_p: &'s [f64],
    log_q: &'s [f64],
    place: fn(usize) -> usize,
}

/// One stretch's p, q (for F(ψ) or a realised row) and the masses `against` gives, in the
/// stretch's layout: buffers of a group's length, sized by the pass.
#[derive(Debug, Default)]
struct Values {
    p: Vec<f64>,
    q: Vec<f64>,
    masses: Vec<f64>,
}

impl Values {
    /// Fills p, q and the masses — max(0, p − q), or p itself — for `stretch`. The pass and
    /// the draw's second look at a chunk both use this, so they see the same bits.
    #[inline(always)]
    fn fill(&mut self, stretch: &Stretch<'_>, against: Against<'_>) {
        let len = stretch.log_p.len();
        let (p, q, out) = (
            &mut self.p[..len],
            &mut self.q[..len],
            &mut self.masses[..len],
        );
        exp_into(stretch.log_p, p);
        match against {
            Against::Nothing => {
                out.copy_from_slice(p);
                return;
            }
            Against::FPsi { ids, slots, tail } => {
                q.fill(tail);
                let first = ids.partition_point(|&id| (id as usize) < stretch.start);
                let last = ids.partition_point(|&id| (id as usize) < stretch.start + len);
                for (&id, &slot) in ids[first..last].iter().zip(&slots[first..last]) {
                    q[(stretch.place)(id as usize - stretch.start)] = slot;
                }
            }
            Against::Realised(_) => exp_into(stretch.log_q, q),
        }
        for ((mass, &pi), &qi) in out.iter_mut().zip(p.iter()).zip(q.iter()) {
            *mass = (pi - qi).max(0.0);
        }
    }
}

/// Whether any entry is one that [`check_log_entries`] refuses, branch-free.
#[inline]
fn any_bad(values: &[f64]) -> bool {
    values.iter().fold(false, |bad, &v| bad | refused(v))
}

/// The last chunk of `sums` (chunk sums, before their running totals) with positive mass,
/// `offset` being the first's index.
fn last_positive(sums: &[f64], offset: usize) -> Option<usize> {
    sums.iter().rposition(|&s| s > 0.0).map(|c| offset + c)
}

/// The identity layout: entry start + i at i.
fn in_order(i: usize) -> usize {
    i
}

impl RowScratch {
    /// The pass over `row`: each group's entries checked, exponentiated and summed by chunks;
    /// compiled for AVX2 where the CPU has it (no FMA: the same operations, the same bits).
    fn pass(&mut self, row: &[f64], against: Against<'_>) -> Pass {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the only requirement of calling a `target_feature(enable = "avx2")`
            // function is that the CPU supports AVX2, which was detected just above.
            return unsafe { self.pass_avx2(row, against) };
        }
        self.pass_body(row, against)
    }

    /// [`RowScratch::pass_body`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn pass_avx2(&mut self, row: &[f64], against: Against<'_>) -> Pass {
        self.pass_body(row, against)
    }

    /// The pass itself.
    #[inline(always)]
    fn pass_body(&mut self, row: &[f64], against: Against<'_>) -> Pass {
        let chunks = chunk_count(row.len());
        for buffer in [
            &mut self.log_p,
            &mut self.log_q,
            &mut self.values.p,
            &mut self.values.q,
            &mut self.values.masses,
        ] {
            buffer.resize(GROUP, 0.0);
        }
        for totals in [
            &mut self.p_totals,
            &mut self.q_totals,
            &mut self.mass_totals,
        ] {
            totals.resize(chunks, 0.0);
        }
        let q_row = match against {
            Against::Realised(q_row) => Some(q_row),
            _ => None,
        };
        let mut found = Pass {
            bad_p: false,
            bad_q: false,
            last_chunk_with_mass: None,
            last_chunk_with_p: None,
        };
        for start in (0..row.len()).step_by(GROUP) {
            let len = GROUP.min(row.len() - start);
            let sums = start / CHUNK..start / CHUNK + chunk_count(len);
            let full = len == GROUP;
            found.bad_p |= any_bad(&row[start..start + len]);
            if let Some(q_row) = q_row {
                found.bad_q |= any_bad(&q_row[start..start + len]);
            }
            // A full group is laid out chunk-interleaved; the last, shorter one stays in order.
            let (log_p, log_q): (&[f64], &[f64]) = if full {
                interleave(&row[start..start + len], &mut self.log_p);
                if let Some(q_row) = q_row {
                    interleave(&q_row[start..start + len], &mut self.log_q);
                }
                (&self.log_p, &self.log_q)
            } else {
                let log_q = q_row.map_or(&[][..], |q_row| &q_row[start..start + len]);
                (&row[start..start + len], log_q)
            };
            let place = if full { interleaved } else { in_order };
            let stretch = Stretch {
                start,
                log_p,
                log_q,
                place,
            };
            self.values.fill(&stretch, against);
            let sum = |values: &[f64], sums: &mut [f64]| {
                if full {
                    interleaved_sums(values, sums);
                } else {
                    chunk_sums(values, sums);
                }
            };
            sum(&self.values.p[..len], &mut self.p_totals[sums.clone()]);
            found.last_chunk_with_p =
                last_positive(&self.p_totals[sums.clone()], sums.start).or(found.last_chunk_with_p);
            if q_row.is_some() {
                sum(&self.values.q[..len], &mut self.q_totals[sums.clone()]);
            }
            if !matches!(against, Against::Nothing) {
                sum(
                    &self.values.masses[..len],
                    &mut self.mass_totals[sums.clone()],
                );
                found.last_chunk_with_mass =
                    last_positive(&self.mass_totals[sums.clone()], sums.start)
                        .or(found.last_chunk_with_mass);
            }
        }
        found
    }

    /// Chunk `chunk`'s masses (as [`Values::fill`] gives them), in order, and its first entry's
    /// index.
    fn chunk_masses(&mut self, row: &[f64], against: Against<'_>, chunk: usize) -> (usize, &[f64]) {
        let start = chunk * CHUNK;
        let len = CHUNK.min(row.len() - start);
        let log_q = match against {
            Against::Realised(q_row) => &q_row[start..start + len],
            _ => &[],
        };
        let stretch = Stretch {
            start,
            log_p: &row[start..start + len],
            log_q,
            place: in_order,
        };
        self.values.fill(&stretch, against);
        (start, &self.values.masses[..len])
    }

    /// A draw with one word from a row the pass went over, by the running `totals` of the
    /// masses `against` gives: the first entry whose cumulative mass exceeds unit(word) · total,
    /// else (rounding) the last entry with mass, in `last_chunk_with_mass`.
    fn draw(
        &mut self,
        row: &[f64],
        against: Against<'_>,
        of_p: bool,
        last_chunk_with_mass: usize,
        word: u64,
    ) -> usize {
        let totals = if of_p {
            &self.p_totals
        } else {
            &self.mass_totals
        };
        let x = rng::unit(word) * totals.last().copied().unwrap_or(0.0);
        match find_chunk(totals, x) {
            Some((chunk, before)) => {
                let (start, chunk_masses) = self.chunk_masses(row, against, chunk);
                start + find_within(chunk_masses, before, x)
            }
            None => {
                let (start, chunk_masses) = self.chunk_masses(row, against, last_chunk_with_mass);
                start + chunk_masses.iter().rposition(|&m| m > 0.0).unwrap_or(0)
            }
        }
    }

    /// The token drawn from row `index` of the target (`row`, log p) set against `against`,
    /// after the checks of a lone step in its order: p's entries, p's total, then (a realised
    /// row) its entries and total. A residual with no mass (p = q to the last bit) falls back
    /// to a draw from p.
    pub fn sample(
        &mut self,
        row: &[f64],
        index: usize,
        against: Against<'_>,
        word: u64,
    ) -> Result<usize, ArgumentError> {
        let at_row = at_row(index);
        let found = self.pass(row, against);
        if found.bad_p {
            check_log_entries("target_logp", row).map_err(&at_row)?;
        }
        check_total("target_logp", running_totals(&mut self.p_totals)).map_err(&at_row)?;
        if let Against::Realised(q_row) = against {
            if found.bad_q {
                check_log_entries("realised_logq", q_row).map_err(&at_row)?;
            }
            check_total("realised_logq", running_totals(&mut self.q_totals)).map_err(&at_row)?;
        }
        if !matches!(against, Against::Nothing) {
            running_totals(&mut self.mass_totals);
            if let Some(last) = found.last_chunk_with_mass {
                return Ok(self.draw(row, against, false, last, word));
            }
        }
        let last = found.last_chunk_with_p.ok_or_else(|| {
            ArgumentError::new(
                "target_logp",
                format!("row {index} has no probability mass"),
            )
        })?;
        Ok(self.draw(row, Against::Nothing, true, last, word))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cumulative::cumulative;
    use crate::exp::exp;
    use crate::verify::Residual;

    /// Log-probabilities of `len` tokens spread over many magnitudes, normalised.
    fn log_row(len: usize, salt: u64) -> Vec<f64> {
        let raw: Vec<f64> = (0..len as u64)
            .map(|i| {
                let h = (i ^ salt)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .rotate_left(29);
                -((h >> 11) as f64 / (1u64 << 53) as f64) * 30.0
            })
            .collect();
        let total = raw.iter().map(|&l| exp(l)).sum::<f64>().ln();
        raw.iter().map(|&l| l - total).collect()
    }

    /// Words where the crate's rule and a left-to-right running sum draw different tokens,
    /// with the token each gives: x sits on a cumulative mass where the two orders round apart.
    fn words_where_the_orders_differ(masses: &[f64]) -> Vec<(u64, usize, usize)> {
        let chunked = cumulative(masses);
        let mut running = 0.0;
        let plain: Vec<f64> = masses
            .iter()
            .map(|&m| {
                running += m;
                running
            })
            .collect();
        let first_above = |c: &[f64], x: f64| c.iter().position(|&v| v > x);
        let mut found = Vec::new();
        for (&a, &b) in chunked.iter().zip(&plain).filter(|(a, b)| a != b) {
            if found.len() >= 8 {
                break;
            }
            let total = chunked[chunked.len() - 1];
            for target in [a.min(b), a.max(b)] {
                let top = (target / total * (1u64 << 53) as f64) as u64;
                for bits in top.saturating_sub(2)..top + 3 {
                    let word = bits << 11;
                    let ours = first_above(&chunked, crate::rng::unit(word) * total);
                    let theirs = first_above(&plain, crate::rng::unit(word) * running);
                    if let (Some(ours), Some(theirs)) = (ours, theirs) {
                        if ours != theirs {
                            found.push((word, ours, theirs));
                        }
                    }
                }
            }
        }
        found
    }

    #[test]
    fn residual_draws_follow_the_chunked_rule_where_a_running_sum_would_differ() {
        let (logp, logq) = (log_row(3000, 1), log_row(3000, 2));
        let masses: Vec<f64> = logp
            .iter()
            .zip(&logq)
            .map(|(&lp, &lq)| (exp(lp) - exp(lq)).max(0.0))
            .collect();
        let words = words_where_the_orders_differ(&masses);
        assert!(
            words.len() >= 3,
            "only {} words tell the orders apart",
            words.len()
        );
        let residual = Residual::new(&logp, &logq);
        let mut scratch = RowScratch::default();
        for (word, ours, theirs) in words {
            assert_eq!(residual.draw(word) as usize, ours, "not {theirs}");
            let drawn = scratch
                .sample(&logp, 0, Against::Realised(&logq), word)
                .unwrap();
            assert_eq!(drawn, ours, "not {theirs}");
        }
    }

    #[test]
    fn target_draws_follow_the_chunked_rule_where_a_running_sum_would_differ() {
        let logp = log_row(3000, 3);
        let masses: Vec<f64> = logp.iter().map(|&lp| exp(lp)).collect();
        let words = words_where_the_orders_differ(&masses);
        assert!(
            words.len() >= 3,
            "only {} words tell the orders apart",
            words.len()
        );
        let mut scratch = RowScratch::default();
        for (word, ours, theirs) in words {
            let drawn = scratch.sample(&logp, 0, Against::Nothing, word).unwrap();
            assert_eq!(drawn, ours, "not {theirs}");
        }
    }
}
