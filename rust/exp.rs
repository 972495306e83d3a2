//! The verifier's `exp`: a fixed sequence of IEEE operations, the same bits on every platform
//! and in every vector width, with no division and no branch, so whole rows vectorise.
//!
//! exp(x) = 2^k · e^r with k = round(x / ln 2) (nearest, ties to even) and r = (x − k·ln2_hi) −
//! k·ln2_lo (libm's Cody–Waite split: k·ln2_hi and the first subtraction are exact), e^r =
//! 1 + (r + r²·Q(r)) with Q a degree-9 polynomial (Chebyshev-economised Taylor series on
//! |r| ≤ 0.3467, truncation below 2^-56) in two Horner chains, and 2^k applied as 2 · 2^(k−1)
//! (one rounding, and finite up to e^709.78). x is clamped to [−708, 710]: below −708 the
//! result is 0 (libm's would be under 3.31·10^-308), above ln(f64::MAX) it is +∞; NaN stays
//! NaN. Elsewhere it is within one unit in the last place of `libm::exp` (tested; equal on
//! about 95% of inputs). Rust never fuses the multiplications and additions, so [`exp`] and
//! [`exp_into`] agree bit for bit and `tsd.reference.exp` replays it in numpy;
//! tests/data/golden_exp.json pins the bits.

/// libm's ln 2 split: LN2_HI has its low 21 bits clear, so k · LN2_HI is exact for |k| < 2^11.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// log2(e), rounded to nearest.
const LOG2_E: f64 = f64::from_bits(0x3ff7_1547_652b_82fe);
/// Q(r) ≈ (e^r − 1 − r) / r², coefficient of r^i at index i: the Taylor series of Q to degree
/// 29 on |r| ≤ 0.3467 in exact rational arithmetic, cut to degree 9 in the Chebyshev basis,
/// each coefficient rounded to nearest.
const Q: [f64; 10] = [
    f64::from_bits(0x3fe0_0000_0000_0001),
    f64::from_bits(0x3fc5_5555_5555_5557),
    f64::from_bits(0x3fa5_5555_5555_3d55),
    f64::from_bits(0x3f81_1111_1111_00d2),
    f64::from_bits(0x3f56_c16c_1789_1214),
    f64::from_bits(0x3f2a_01a0_1abe_cf31),
    f64::from_bits(0x3efa_019b_8f8c_56ff),
    f64::from_bits(0x3ec7_1de0_221e_e58c),
    f64::from_bits(0x3e92_8919_d85e_600c),
    f64::from_bits(0x3e5a_f4e0_9f57_5337),
];
/// Below this the result is 0; above the upper bound it is +∞.
const LOWEST: f64 = -708.0;
const HIGHEST: f64 = 710.0;
/// 1.5 · 2^52: adding and subtracting it rounds an |t| < 2^51 to the nearest integer
/// (ties to even), exactly.
const ROUND: f64 = 6_755_399_441_055_744.0;
/// 2^52: in [2^52, 2^53) the low bits of a float's pattern are the integer it holds.
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// 2^n for an integral n in −1022..=1023, from the bits of n + 1023 read off n + 1023 + 2^52.
#[inline(always)]
fn power_of_two(n: f64) -> f64 {
    f64::from_bits(((n + 1023.0) + TWO_52).to_bits() << 52)
}

/// exp(x) by the module's rule.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let clamped = x.clamp(LOWEST, HIGHEST);
    let k = (clamped * LOG2_E + ROUND) - ROUND;
    let r = (clamped - k * LN2_HI) - k * LN2_LO;
    // Two independent Horner chains, so that vectorised iterations overlap more.
    let low = Q[0] + r * (Q[1] + r * (Q[2] + r * (Q[3] + r * Q[4])));
    let high = Q[5] + r * (Q[6] + r * (Q[7] + r * (Q[8] + r * Q[9])));
    let r2 = r * r;
    let q = low + ((r2 * r2) * r) * high;
    let e_r = 1.0 + (r + r2 * q);
    // k ∈ −1021..=1024: 2 · e_r is exact, and 2^(k−1) a normal power of two.
    let y = (e_r * 2.0) * power_of_two(k - 1.0);
    if x < LOWEST {
        0.0
    } else {
        y
    }
}

/// [`exp`] of each `input` entry into the same position of `out` (equal lengths), with 256-bit
/// vectors where the CPU has AVX2 (the same operations, so the same bits).
pub fn exp_into(input: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the only requirement of calling a `target_feature(enable = "avx2")` function
        // is that the CPU supports AVX2, which was detected just above.
        unsafe { exp_into_avx2(input, out) };
        return;
    }
    exp_loop(input, out);
}

/// [`exp_loop`] compiled for AVX2 (not FMA: no operation is fused).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn exp_into_avx2(input: &[f64], out: &mut [f64]) {
    exp_loop(input, out);
}

/// The element-wise loop the compiler vectorises.
#[inline(always)]
fn exp_loop(input: &[f64], out: &mut [f64]) {
    for (y, &x) in out.iter_mut().zip(input) {
        *y = exp(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Units in the last place between two finite non-negative floats.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    /// The dispatched and the portable pass agree with the scalar function bit for bit, and
    /// with libm within one unit in the last place.
    fn check(inputs: &[f64]) {
        let (mut dispatched, mut portable) = (vec![0.0; inputs.len()], vec![0.0; inputs.len()]);
        exp_into(inputs, &mut dispatched);
        exp_loop(inputs, &mut portable);
        for ((&x, &y), &z) in inputs.iter().zip(&dispatched).zip(&portable) {
            let want = exp(x);
            assert_eq!(y.to_bits(), want.to_bits(), "exp({x:e})");
            assert_eq!(z.to_bits(), want.to_bits(), "exp({x:e})");
            let libm = libm::exp(x);
            if x.is_nan() {
                assert!(want.is_nan());
            } else if x < LOWEST {
                assert_eq!(want.to_bits(), 0, "exp({x:e})");
            } else {
                assert!(
                    ulps(want, libm) <= 1,
                    "exp({x:e}) = {want:e}, libm {libm:e}"
                );
            }
        }
    }

    #[test]
    fn edges_and_special_values() {
        assert_eq!(exp(f64::NEG_INFINITY).to_bits(), 0);
        assert_eq!(exp(-746.0).to_bits(), 0);
        assert_eq!(exp(-708.01).to_bits(), 0);
        assert!(exp(-708.0) > 3.3e-308);
        assert!(exp(709.78).is_finite());
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(709.8), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(-0.0), 1.0);
        let mut inputs = vec![0.0, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
        inputs.extend([
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            709.78,
            -745.13,
            -708.39,
        ]);
        check(&inputs);
    }

    #[test]
    fn a_dense_sweep_of_log_probabilities_is_within_an_ulp_of_libm() {
        let inputs: Vec<f64> = (0..200_000).map(|i| -(i as f64) * 3.7e-3).collect();
        check(&inputs);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_bits_agree(words in proptest::collection::vec(any::<u64>(), 1..300)) {
            let inputs: Vec<f64> = words.iter().map(|&w| f64::from_bits(w)).collect();
            check(&inputs);
        }

        #[test]
        fn the_working_range_agrees(inputs in proptest::collection::vec(-760.0f64..720.0, 1..300)) {
            check(&inputs);
        }
    }
}
