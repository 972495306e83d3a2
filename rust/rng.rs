//! Portable counter-based randomness: Philox4x32-10 keyed by (seed, stream, step).
//!
//! Each (seed, stream, step) names one 128-bit block, so a draw depends only on those three
//! numbers: runs can be split into chunks, replayed from any step, or reproduced from Python
//! (`tsd._core.rng_words`). Philox is the Random123 generator (Salmon et al., SC'11); the
//! known-answer tests below pin it to the published vectors.

use crate::error::TsdError;
use crate::limits::{column_len, in_chunks, reserve, step_range};

/// Stream of the simulated TSU's draws.
pub const STREAM_TSU: u32 = 0;
/// Stream of the verifier's accept and residual draws.
pub const STREAM_VERIFY: u32 = 1;

const MUL0: u32 = 0xD251_1F53;
const MUL1: u32 = 0xCD9E_8D57;
const WEYL0: u32 = 0x9E37_79B9;
const WEYL1: u32 = 0xBB67_AE85;
const ROUNDS: usize = 10;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let product = u64::from(a) * u64::from(b);
    ((product >> 32) as u32, product as u32)
}

/// The Philox4x32 block function with 10 rounds.
#[inline]
pub fn philox4x32(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let (mut ctr, mut key) = (counter, key);
    for round in 0..ROUNDS {
        if round > 0 {
            key[0] = key[0].wrapping_add(WEYL0);
            key[1] = key[1].wrapping_add(WEYL1);
        }
        let (hi0, lo0) = mulhilo(MUL0, ctr[0]);
        let (hi1, lo1) = mulhilo(MUL1, ctr[2]);
        ctr = [hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0];
    }
    ctr
}

/// The two 64-bit words for (seed, stream, step).
#[inline]
pub fn words(seed: u64, stream: u32, step: u64) -> [u64; 2] {
    words_lane(seed, stream, step, 0)
}

/// The two 64-bit words for (seed, stream, step) in `lane`, the counter's fourth word: a step
/// that needs more than two words (a Gaussian's d normals, a residual's tries) reads lanes
/// 0, 1, 2, ...; lane 0 is [`words`].
#[inline]
pub fn words_lane(seed: u64, stream: u32, step: u64, lane: u32) -> [u64; 2] {
    let out = philox4x32(
        [step as u32, (step >> 32) as u32, stream, lane],
        [seed as u32, (seed >> 32) as u32],
    );
    [
        u64::from(out[0]) | (u64::from(out[1]) << 32),
        u64::from(out[2]) | (u64::from(out[3]) << 32),
    ]
}

/// Steps per block in [`words_block`].
pub const BLOCK: usize = 16;

/// The words for steps `start..start + BLOCK` of (seed, stream): the same values as [`words`],
/// computed lane by lane so the multiply chains of independent steps overlap (and vectorise),
/// with 256-bit vectors where the CPU has AVX2 (integer operations: the same words anyway).
#[inline]
pub fn words_block(seed: u64, stream: u32, start: u64) -> [[u64; 2]; BLOCK] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the only requirement of calling a `target_feature(enable = "avx2")` function
        // is that the CPU supports AVX2, which was detected just above.
        return unsafe { words_block_avx2(seed, stream, start) };
    }
    words_lanes(seed, stream, start)
}

/// [`words_lanes`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn words_block_avx2(seed: u64, stream: u32, start: u64) -> [[u64; 2]; BLOCK] {
    words_lanes(seed, stream, start)
}

/// The block of [`words_block`], lane by lane.
#[inline(always)]
// Index loops over parallel lane arrays are the shape LLVM vectorises; iterators over four
// arrays at once would hide that.
#[allow(clippy::needless_range_loop)]
fn words_lanes(seed: u64, stream: u32, start: u64) -> [[u64; 2]; BLOCK] {
    let mut lanes = [[0u32; BLOCK]; 4];
    for i in 0..BLOCK {
        // Wrapping: a caller's last, partial block may run past u64::MAX; it ignores those lanes.
        let step = start.wrapping_add(i as u64);
        lanes[0][i] = step as u32;
        lanes[1][i] = (step >> 32) as u32;
        lanes[2][i] = stream;
    }
    let mut key = [seed as u32, (seed >> 32) as u32];
    for round in 0..ROUNDS {
        if round > 0 {
            key[0] = key[0].wrapping_add(WEYL0);
            key[1] = key[1].wrapping_add(WEYL1);
        }
        for i in 0..BLOCK {
            let (hi0, lo0) = mulhilo(MUL0, lanes[0][i]);
            let (hi1, lo1) = mulhilo(MUL1, lanes[2][i]);
            let (c1, c3) = (lanes[1][i], lanes[3][i]);
            lanes[0][i] = hi1 ^ c1 ^ key[0];
            lanes[1][i] = lo1;
            lanes[2][i] = hi0 ^ c3 ^ key[1];
            lanes[3][i] = lo0;
        }
    }
    std::array::from_fn(|i| {
        [
            u64::from(lanes[0][i]) | (u64::from(lanes[1][i]) << 32),
            u64::from(lanes[2][i]) | (u64::from(lanes[3][i]) << 32),
        ]
    })
}

/// The words for steps `start..start + count` of (seed, stream), flattened (two per step),
/// `count` bounded by [`MAX_STEPS_PER_CALL`](crate::limits::MAX_STEPS_PER_CALL) and checked
/// before anything is allocated; `between_chunks` runs between chunks of the loop.
pub fn words_range<E: From<TsdError>>(
    seed: u64,
    stream: u32,
    start: u64,
    count: u64,
    between_chunks: impl FnMut() -> Result<(), E>,
) -> Result<Vec<u64>, E> {
    let range = step_range("start", start, count).map_err(TsdError::from)?;
    let len = column_len("count", count).map_err(TsdError::from)?;
    let mut flat = reserve("words", 2 * len).map_err(TsdError::from)?;
    in_chunks(range, between_chunks, |chunk_start, chunk_len| {
        flat.extend(
            (chunk_start..chunk_start + chunk_len as u64)
                .flat_map(|step| words(seed, stream, step)),
        );
        Ok(())
    })?;
    Ok(flat)
}

/// A uniform in [0, 1) from the top 53 bits of a word: every value is a multiple of 2^-53.
#[inline]
pub fn unit(word: u64) -> f64 {
    (word >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An integer in [0, n) as the high half of word · n (Lemire); the bias is below n / 2^64.
#[inline]
pub fn below(word: u64, n: u64) -> u64 {
    ((u128::from(word) * u128::from(n)) >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_random123_known_answers() {
        assert_eq!(
            philox4x32([0; 4], [0; 2]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox4x32([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox4x32(
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn streams_and_steps_are_independent_blocks() {
        let a = words(7, STREAM_TSU, 0);
        assert_ne!(a, words(7, STREAM_VERIFY, 0));
        assert_ne!(a, words(7, STREAM_TSU, 1));
        assert_ne!(a, words(8, STREAM_TSU, 0));
        assert_eq!(a, words(7, STREAM_TSU, 0));
    }

    #[test]
    fn lanes_are_distinct_blocks_and_lane_zero_is_the_step() {
        assert_eq!(words_lane(7, STREAM_TSU, 3, 0), words(7, STREAM_TSU, 3));
        assert_ne!(words_lane(7, STREAM_TSU, 3, 1), words(7, STREAM_TSU, 3));
        assert_ne!(
            words_lane(7, STREAM_TSU, 3, 1),
            words_lane(7, STREAM_TSU, 4, 1)
        );
    }

    #[test]
    fn blocks_equal_single_words() {
        for (seed, stream, start) in [(7, 0, 0), (u64::MAX, 1, u64::MAX - 40), (3, 5, 1 << 33)] {
            let (block, portable) = (
                words_block(seed, stream, start),
                words_lanes(seed, stream, start),
            );
            for (i, (w, p)) in block.iter().zip(&portable).enumerate() {
                assert_eq!(*w, words(seed, stream, start.wrapping_add(i as u64)));
                assert_eq!(*p, *w);
            }
        }
    }

    #[test]
    fn word_ranges_are_single_words_and_bounded() {
        let flat =
            words_range::<TsdError>(3, STREAM_VERIFY, 40, 5, crate::limits::uninterrupted).unwrap();
        for (i, pair) in flat.chunks(2).enumerate() {
            assert_eq!(pair, words(3, STREAM_VERIFY, 40 + i as u64));
        }
        for (start, count) in [(0, 1 << 62), (u64::MAX, 1)] {
            let err = words_range::<TsdError>(1, 0, start, count, crate::limits::uninterrupted);
            assert!(matches!(err, Err(TsdError::Argument(_))), "{err:?}");
        }
    }

    #[test]
    fn unit_and_below_stay_in_range() {
        assert_eq!(unit(0), 0.0);
        assert!(unit(u64::MAX) < 1.0);
        assert_eq!(below(u64::MAX, 10), 9);
        assert_eq!(below(0, 10), 0);
    }
}
