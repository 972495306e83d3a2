//! The verifier's `exp`: a fixed sequence of IEEE operations, the same bits on every platform
//! and in every vector width, with no division and no branch, so whole rows vectorise.
//!
//! exp(x) = 2^k · e^r with k = round(x / ln 2) (nearest, ties to even), r = (x − k·ln2_hi) −
//! k·ln2_lo (libm's Cody–Waite split: k·ln2_hi and the first subtraction are exact), e^r by
//! Horner's rule on the Taylor series to degree 13 (|r| ≤ 0.347, truncation below 2^-57
//! relative), and 2^k applied as two exact powers of two (so results down to the subnormals
//! round once). x is first clamped to [−746, 710], outside which the result is 0 or +∞; NaN
//! stays NaN. It differs from `libm::exp` by at most one unit in the last place (tested), and
//! Rust never fuses the multiplications and additions, so [`exp`] and [`exp_into`] agree bit
//! for bit and `tsd.reference.exp` replays it in numpy. Golden values pin the bits.

/// libm's ln 2 split: LN2_HI has its low 21 bits clear, so k · LN2_HI is exact for |k| < 2^11.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// log2(e), rounded to nearest.
const LOG2_E: f64 = f64::from_bits(0x3ff7_1547_652b_82fe);
/// 1/n! for n = 13 down to 2, each rounded to nearest (index i holds 1/(13 − i)!).
const TAYLOR: [f64; 12] = [
    f64::from_bits(0x3de6_1246_13a8_6d09),
    f64::from_bits(0x3e21_eed8_eff8_d898),
    f64::from_bits(0x3e5a_e645_67f5_44e4),
    f64::from_bits(0x3e92_7e4f_b778_9f5c),
    f64::from_bits(0x3ec7_1de3_a556_c734),
    f64::from_bits(0x3efa_01a0_1a01_a01a),
    f64::from_bits(0x3f2a_01a0_1a01_a01a),
    f64::from_bits(0x3f56_c16c_16c1_6c17),
    f64::from_bits(0x3f81_1111_1111_1111),
    f64::from_bits(0x3fa5_5555_5555_5555),
    f64::from_bits(0x3fc5_5555_5555_5555),
    0.5,
];
/// Below this the result rounds to 0 (e^−746 < 2^−1075); above the upper bound it is +∞.
const LOWEST: f64 = -746.0;
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
    let x = x.clamp(LOWEST, HIGHEST);
    let k = (x * LOG2_E + ROUND) - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // e^r = 1 + r(1 + r(c2 + … + c6·r^4 + r^5(c7 + … + c13·r^6))): the two inner
    // polynomials are independent Horner chains, so vectorised iterations overlap more.
    let mut low = TAYLOR[7];
    for &c in &TAYLOR[8..] {
        low = low * r + c;
    }
    let mut high = TAYLOR[0];
    for &c in &TAYLOR[1..7] {
        high = high * r + c;
    }
    let r2 = r * r;
    let inner = low + high * ((r2 * r2) * r);
    let e_r = (inner * r + 1.0) * r + 1.0;
    // k ∈ −1076..=1024: two halves, each a normal power of two; the first product is exact.
    let half = (k * 0.5 + ROUND) - ROUND;
    (e_r * power_of_two(half)) * power_of_two(k - half)
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
            } else {
                assert!(
                    ulps(want, libm) <= 1,
                    "exp({x:e}) = {want:e}, libm {libm:e}"
                );
            }
        }
    }

    #[test]
    fn golden_values_pin_the_bits() {
        // (x, exp(x) bits): produced by this function; `tsd.reference.exp` replays the same.
        // The last three are one unit below libm's result.
        let golden: [(f64, u64); 13] = [
            (0.0, 0x3ff0_0000_0000_0000),
            (-1.0, 0x3fd7_8b56_362c_ef38),
            (-0.5, 0x3fe3_68b2_fc6f_960a),
            (-std::f64::consts::LN_10, 0x3fb9_9999_9999_9998),
            (-13.815_510_557_964_274, 0x3eb0_c6f7_a0b5_ed8f),
            (-100.25, 0x36e4_acd3_1e16_7ebb),
            (-708.5, 0x000e_6cf6_d088_97ac),
            (-745.0, 0x0000_0000_0000_0001),
            (1.0, 0x4005_bf0a_8b14_576a),
            (709.5, 0x7fe8_1e9b_4b52_d0c9),
            (-0.042_81, 0x3fee_a8b3_8316_a315),
            (-0.094_24, 0x3fed_1f3f_35c6_5aa4),
            (-0.057_24, 0x3fee_3841_f813_576e),
        ];
        for (x, bits) in golden {
            assert_eq!(exp(x).to_bits(), bits, "exp({x:e}) = {:e}", exp(x));
        }
    }

    #[test]
    fn edges_and_special_values() {
        assert_eq!(exp(f64::NEG_INFINITY).to_bits(), 0);
        assert_eq!(exp(-746.0).to_bits(), 0);
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
