//! `exp` over whole slices, bit for bit equal to `libm::exp`, in a loop the compiler vectorises.
//!
//! `libm::exp` (FreeBSD's `e_exp.c`) reduces x = k·ln2 + r, evaluates a fixed degree-5
//! polynomial in r² and a division, and scales by 2^k, choosing k by three branches on |x|.
//! [`exp_into`] performs the same IEEE operations in the same order (Rust never contracts them
//! into FMAs), picks k with selects instead of branches and scales by one multiplication with
//! 2^k, which is what `libm`'s `scalbn` does for the k this range gives (−1022..=1022). So every
//! result has the same bits as `libm::exp`, on every platform. Inputs where `libm::exp` takes
//! another path — |x| ≤ 2^-28 (it returns 1 + x), |x| ≥ 708.39 (overflow and underflow),
//! infinities and NaN — are computed by `libm::exp` itself. The tests compare both over every
//! range and edge.

// libm's constants, by their bit patterns (the same as in its source comments).
const LN2HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const INVLN2: f64 = f64::from_bits(0x3ff7_1547_652b_82fe);
const P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e);
const P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93);
const P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c);
const P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1);
const P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0);

/// |x| from which `libm::exp` handles overflow and underflow (high word 0x4086232b, 708.39...).
const HUGE: f64 = f64::from_bits(0x4086_232b_0000_0000);
/// The smallest |x| that `libm::exp` reduces (high word above 0x3e300000, |x| > 2^-28); below
/// it, it returns 1 + x.
const REDUCED: f64 = f64::from_bits(0x3e30_0001_0000_0000);
/// From this |x| on (high word above 0x3fd62e42, |x| > 0.5·ln2) the reduction uses k ≠ 0.
const HALF_LN2: f64 = f64::from_bits(0x3fd6_2e43_0000_0000);
/// From this |x| on (high word 0x3ff0a2b2, |x| ≥ 1.5·ln2) k is rounded from x / ln2; below, ±1.
const THREE_HALVES_LN2: f64 = f64::from_bits(0x3ff0_a2b2_0000_0000);
/// 1.5 · 2^52: adding and subtracting it rounds an |t| < 2^51 to the nearest integer, exactly.
const ROUND: f64 = 6_755_399_441_055_744.0;
/// 2^52: in [2^52, 2^53) the low bits of a float's pattern are the integer it holds.
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// Writes exp(x) of each `input` entry into the same position of `out` (equal lengths), with
/// 256-bit vectors where the CPU has AVX2 (the same IEEE operations, so the same bits).
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

/// The vectorisable pass, then `libm::exp` for the inputs outside its range.
#[inline(always)]
fn exp_loop(input: &[f64], out: &mut [f64]) {
    let mut fallback = false;
    for (y, &x) in out.iter_mut().zip(input) {
        let (value, exact) = reduced_exp(x);
        *y = value;
        fallback |= !exact;
    }
    if fallback {
        for (y, &x) in out.iter_mut().zip(input) {
            if !reduced_exp(x).1 {
                *y = libm::exp(x);
            }
        }
    }
}

/// `libm::exp(x)` in float and bit operations only (no branches, no float-to-int conversion),
/// and whether x is in the range where that holds. Comparing |x| as a float orders it as
/// `libm` orders the high word of its bits, and NaN fails every comparison.
#[inline(always)]
fn reduced_exp(x: f64) -> (f64, bool) {
    let ax = x.abs();
    let exact = (REDUCED..HUGE).contains(&ax);
    // libm's k = (int)(x / ln2 ± 0.5), truncated toward zero: round to nearest, then step
    // back towards zero where rounding went past t.
    let t = INVLN2 * x + if x < 0.0 { -0.5 } else { 0.5 };
    let nearest = (t + ROUND) - ROUND;
    let towards_zero = if nearest > t && t > 0.0 {
        1.0
    } else if nearest < t && t < 0.0 {
        -1.0
    } else {
        0.0
    };
    let truncated = nearest - towards_zero;
    // An input outside the exact range gets k = 0 and is recomputed by the caller.
    let k = if !exact || ax < HALF_LN2 {
        0.0
    } else if ax >= THREE_HALVES_LN2 {
        truncated
    } else if x < 0.0 {
        -1.0
    } else {
        1.0
    };
    // With k = 0 these are libm's hi = x, lo = 0 and r = x exactly: x − 0 = x.
    let hi = x - k * LN2HI;
    let lo = k * LN2LO;
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
    let y = 1. + (r * c / (2. - c) - lo + hi);
    // 2^k for k in −1022..=1022, scalbn's single multiplication in that range: the biased
    // exponent k + 1023 read from the low bits of (k + 1023 + 2^52) and moved into place.
    let scale = f64::from_bits(((k + 1023.0) + TWO_52).to_bits() << 52);
    (y * scale, exact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Both the dispatched pass and the portable one give libm's bits.
    fn assert_same_bits(inputs: &[f64]) {
        let (mut dispatched, mut portable) = (vec![0.0; inputs.len()], vec![0.0; inputs.len()]);
        exp_into(inputs, &mut dispatched);
        exp_loop(inputs, &mut portable);
        for ((&x, &y), &z) in inputs.iter().zip(&dispatched).zip(&portable) {
            assert_eq!(y.to_bits(), libm::exp(x).to_bits(), "exp({x:e}) = {y:e}");
            assert_eq!(z.to_bits(), libm::exp(x).to_bits(), "exp({x:e}) = {z:e}");
        }
    }

    #[test]
    fn every_branch_edge_and_special_value_matches_libm() {
        let mut inputs = vec![
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            709.782_712_893_384,
            -745.133_219_101_941_1,
            -708.396_418_532_264_1,
        ];
        for high in [0x3e30_0000u32, 0x3fd6_2e42, 0x3ff0_a2b2, 0x4086_232b] {
            for low in [0u32, 1, 0xffff_ffff] {
                for delta in [-1i64, 0, 1] {
                    let bits = ((u64::from(high) << 32) | u64::from(low)) as i64 + delta;
                    let x = f64::from_bits(bits as u64);
                    inputs.extend([x, -x]);
                }
            }
        }
        assert_same_bits(&inputs);
    }

    #[test]
    fn a_dense_sweep_of_log_probabilities_matches_libm() {
        let inputs: Vec<f64> = (0..200_000).map(|i| -(i as f64) * 3.7e-4).collect();
        assert_same_bits(&inputs);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_bits_match_libm(words in proptest::collection::vec(any::<u64>(), 1..300)) {
            let inputs: Vec<f64> = words.iter().map(|&w| f64::from_bits(w)).collect();
            assert_same_bits(&inputs);
        }

        #[test]
        fn the_working_range_matches_libm(inputs in proptest::collection::vec(-760.0f64..720.0, 1..300)) {
            assert_same_bits(&inputs);
        }
    }
}
