//! The one rule by which masses are summed wherever a sum decides a draw: in chunks.
//!
//! The masses are cut into chunks of [`CHUNK`] consecutive entries (the last may be shorter).
//! Within chunk c, S_c(i) is the chunk's masses up to entry i added left to right from 0; the
//! chunk's sum is S_c = S_c(last). The running totals over chunks are T_c = T_{c−1} + S_c
//! (T_{−1} = 0), added left to right, and the cumulative mass of entry i in chunk c is
//! C_i = T_{c−1} + S_c(i). C never decreases (each S_c(i) does not, and the last C_i of a chunk
//! is T_c, at most the next chunk's first), the last C is the total, and for V ≤ [`CHUNK`] it is
//! the plain left-to-right running sum. A draw for x ∈ [0, total) is the first i with C_i > x.
//!
//! Why chunks: a left-to-right running sum is one chain of dependent additions (4 cycles each),
//! which bounded block verification far below memory bandwidth. Chunk sums are independent
//! chains that run side by side; the search finds the chunk from the totals and sums only that
//! chunk's masses again.

/// Entries per chunk.
pub const CHUNK: usize = 64;

/// Chunks summed side by side by [`chunk_sums`] (and laid out together by [`interleave`]):
/// enough independent chains of additions to keep the floating-point adders busy.
const INTERLEAVED: usize = 8;

/// How many chunks `len` masses make.
#[inline]
pub fn chunk_count(len: usize) -> usize {
    len.div_ceil(CHUNK)
}

/// The sum S_c of each chunk of `masses` into `sums` (one per chunk), each added left to right
/// from 0.
#[inline]
pub fn chunk_sums(masses: &[f64], sums: &mut [f64]) {
    debug_assert_eq!(sums.len(), chunk_count(masses.len()));
    let groups = masses.chunks_exact(CHUNK * INTERLEAVED);
    let rest = groups.remainder();
    let full = masses.len() / (CHUNK * INTERLEAVED) * INTERLEAVED;
    for (group, group_sums) in groups.zip(sums.chunks_exact_mut(INTERLEAVED)) {
        let mut running = [0.0f64; INTERLEAVED];
        for position in 0..CHUNK {
            for (chunk, sum) in running.iter_mut().enumerate() {
                *sum += group[chunk * CHUNK + position];
            }
        }
        group_sums.copy_from_slice(&running);
    }
    for (chunk, sum) in rest.chunks(CHUNK).zip(&mut sums[full..]) {
        *sum = chunk.iter().fold(0.0, |acc, &m| acc + m);
    }
}

/// Chunks a full group of [`GROUP`] entries holds.
pub const GROUP_CHUNKS: usize = INTERLEAVED;

/// Entries in a full group: [`GROUP_CHUNKS`] chunks.
pub const GROUP: usize = CHUNK * GROUP_CHUNKS;

/// Where entry `local` of a full group sits once [`interleave`]d: position t of chunk k at
/// t · [`GROUP_CHUNKS`] + k.
#[inline]
pub fn interleaved(local: usize) -> usize {
    (local % CHUNK) * GROUP_CHUNKS + local / CHUNK
}

/// Lays a full group out chunk-interleaved ([`interleaved`]), so that one vector holds the
/// same position of several chunks and their sums run as vector additions.
#[inline]
pub fn interleave(group: &[f64], out: &mut [f64]) {
    debug_assert!(group.len() == GROUP && out.len() == GROUP);
    for (position, row) in out.chunks_exact_mut(GROUP_CHUNKS).enumerate() {
        for (chunk, value) in row.iter_mut().enumerate() {
            *value = group[chunk * CHUNK + position];
        }
    }
}

/// The chunk sums of a full group laid out by [`interleave`]: the same sums, in the same
/// order of additions, as [`chunk_sums`] gives for the group as it was.
#[inline]
pub fn interleaved_sums(masses: &[f64], sums: &mut [f64]) {
    debug_assert!(masses.len() == GROUP && sums.len() == GROUP_CHUNKS);
    let mut running = [0.0f64; GROUP_CHUNKS];
    for position in masses.chunks_exact(GROUP_CHUNKS) {
        for (sum, &mass) in running.iter_mut().zip(position) {
            *sum += mass;
        }
    }
    sums.copy_from_slice(&running);
}

/// Turns chunk sums into running totals T_c, added left to right; returns the total (0 for
/// no chunks).
pub fn running_totals(sums: &mut [f64]) -> f64 {
    let mut running = 0.0;
    for sum in sums.iter_mut() {
        running += *sum;
        *sum = running;
    }
    running
}

/// The total of `masses` by the rule (the last cumulative mass), 0 for none.
pub fn total(masses: &[f64]) -> f64 {
    let mut sums = vec![0.0; chunk_count(masses.len())];
    chunk_sums(masses, &mut sums);
    running_totals(&mut sums)
}

/// The cumulative masses C_i of the rule, one per entry.
pub fn cumulative(masses: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(masses.len());
    let mut before = 0.0;
    for chunk in masses.chunks(CHUNK) {
        let mut within = 0.0;
        for &mass in chunk {
            within += mass;
            out.push(before + within);
        }
        before += within;
    }
    out
}

/// The chunk holding the first entry whose cumulative mass exceeds `x`, from the running
/// totals: its index and T_{c−1}, the total of the chunks before it; `None` when no total
/// exceeds x.
#[inline]
pub fn find_chunk(totals: &[f64], x: f64) -> Option<(usize, f64)> {
    let chunk = totals.partition_point(|&total| total <= x);
    (chunk < totals.len()).then(|| (chunk, if chunk == 0 { 0.0 } else { totals[chunk - 1] }))
}

/// The first entry of a chunk (given its masses and the total before it, as
/// [`find_chunk`] returns) whose cumulative mass exceeds `x`. The chunk's last cumulative mass
/// is its running total, which exceeds x, so an entry is always found; the last one answers
/// only should the caller pass a chunk that does not hold x.
#[inline]
pub fn find_within(masses: &[f64], before: f64, x: f64) -> usize {
    let mut within = 0.0;
    for (index, &mass) in masses.iter().enumerate() {
        within += mass;
        if before + within > x {
            return index;
        }
    }
    masses.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Masses of many magnitudes, so that different summation orders round differently.
    fn masses(len: usize, seed: u64) -> Vec<f64> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let mantissa = (state >> 11) as f64 / (1u64 << 53) as f64;
                if state % 5 == 0 {
                    0.0
                } else {
                    mantissa * libm::exp2(-(((state >> 3) % 40) as f64))
                }
            })
            .collect()
    }

    #[test]
    fn short_rows_are_the_left_to_right_running_sum() {
        let m = masses(CHUNK, 3);
        let mut running = 0.0;
        for (&c, &mass) in cumulative(&m).iter().zip(&m) {
            running += mass;
            assert_eq!(c.to_bits(), running.to_bits());
        }
    }

    #[test]
    fn the_rule_is_written_out() {
        // Two full chunks and a short one: C_i = T_{c-1} + S_c(i), spelled out.
        let m = masses(2 * CHUNK + 5, 11);
        let c = cumulative(&m);
        let s0 = m[..CHUNK].iter().fold(0.0, |a, &x| a + x);
        let s1 = m[CHUNK..2 * CHUNK].iter().fold(0.0, |a, &x| a + x);
        assert_eq!(c[CHUNK - 1], s0);
        assert_eq!(c[CHUNK], s0 + m[CHUNK]);
        assert_eq!(c[CHUNK + 1], s0 + (m[CHUNK] + m[CHUNK + 1]));
        assert_eq!(c[2 * CHUNK - 1], s0 + s1);
        assert_eq!(
            c[2 * CHUNK + 1],
            (s0 + s1) + (m[2 * CHUNK] + m[2 * CHUNK + 1])
        );
    }

    #[test]
    fn long_rows_differ_from_the_left_to_right_running_sum() {
        // Over long rows the two orders round differently: a test that mixed them up fails.
        let m = masses(1000, 5);
        let mut running = 0.0;
        let differs = cumulative(&m).iter().zip(&m).any(|(&c, &mass)| {
            running += mass;
            c != running
        });
        assert!(differs);
    }

    #[test]
    fn interleaved_groups_sum_to_the_same_bits() {
        let m = masses(GROUP, 9);
        let mut laid_out = vec![0.0; GROUP];
        interleave(&m, &mut laid_out);
        for (local, &mass) in m.iter().enumerate() {
            assert_eq!(laid_out[interleaved(local)].to_bits(), mass.to_bits());
        }
        let (mut plain, mut interleaved_out) = ([0.0; GROUP_CHUNKS], [0.0; GROUP_CHUNKS]);
        chunk_sums(&m, &mut plain);
        interleaved_sums(&laid_out, &mut interleaved_out);
        assert_eq!(plain.map(f64::to_bits), interleaved_out.map(f64::to_bits));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn totals_and_search_agree_with_the_cumulative_masses(
            len in 1usize..1500, seed in any::<u64>(), word in any::<u64>()
        ) {
            let m = masses(len, seed);
            let c = cumulative(&m);
            let mut totals = vec![0.0; chunk_count(len)];
            chunk_sums(&m, &mut totals);
            let total = running_totals(&mut totals);
            prop_assert_eq!(total.to_bits(), c[len - 1].to_bits());
            prop_assert_eq!(super::total(&m).to_bits(), total.to_bits());
            for (chunk, &t) in totals.iter().enumerate() {
                let last = ((chunk + 1) * CHUNK).min(len) - 1;
                prop_assert_eq!(t.to_bits(), c[last].to_bits());
            }
            prop_assert!(c.windows(2).all(|w| w[0] <= w[1]));
            let x = crate::rng::unit(word) * total;
            let expected = c.iter().position(|&ci| ci > x);
            let found = find_chunk(&totals, x).map(|(chunk, before)| {
                let start = chunk * CHUNK;
                start + find_within(&m[start..(start + CHUNK).min(len)], before, x)
            });
            prop_assert_eq!(found, expected);
        }
    }
}
