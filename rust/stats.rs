//! The χ² survival function, portable and without SciPy: `chi2_sf(stat, dof)` is the
//! regularized upper incomplete gamma Q(dof/2, stat/2), by the power series of P for
//! x < a + 1 and the Lentz continued fraction of Q otherwise (Numerical Recipes' `gammq`).
//!
//! The common factor xᵃe⁻ˣ/Γ(a) is written as √(a/2π)·exp(a·(ln(1+u) − u) − stirlerr(a)) with
//! u = (x − a)/a, so that for large `dof` it does not lose digits to the cancellation of
//! a·ln x − x − lnΓ(a) (terms of 10⁸ for dof = 10⁷). Every transcendental is `libm`'s.

use crate::error::ArgumentError;

/// The largest `dof` accepted: it bounds the terms the series and the continued fraction
/// need (about 9·√(dof/2) near the mean, under a million).
pub const MAX_CHI2_DOF: u64 = 1 << 32;

/// The relative size of the last term (or factor) at which a sum (or product) stops.
const EPS: f64 = f64::EPSILON / 2.0;

/// Below this, the Lentz continued fraction replaces a zero denominator.
const TINY: f64 = 1e-300;

/// P(χ²_dof ≥ stat), the upper tail of the χ² distribution with `dof` degrees of freedom.
///
/// `stat` must be ≥ 0 and not NaN (+∞ gives 0); `dof` must be in 1..=[`MAX_CHI2_DOF`].
pub fn chi2_sf(stat: f64, dof: u64) -> Result<f64, ArgumentError> {
    if stat.is_nan() || stat < 0.0 {
        return Err(ArgumentError::new(
            "stat",
            format!("must be >= 0 and not NaN, got {stat}"),
        ));
    }
    if dof == 0 || dof > MAX_CHI2_DOF {
        return Err(ArgumentError::new(
            "dof",
            format!("must be in 1..={MAX_CHI2_DOF}, got {dof}"),
        ));
    }
    if stat == f64::INFINITY {
        return Ok(0.0);
    }
    Ok(upper_gamma_q(dof as f64 / 2.0, stat / 2.0))
}

/// Q(a, x) for a > 0 and finite x ≥ 0.
fn upper_gamma_q(a: f64, x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else if x < a + 1.0 {
        1.0 - lower_series(a, x)
    } else {
        upper_continued_fraction(a, x)
    }
}

/// P(a, x) = xᵃe⁻ˣ/Γ(a) · Σₙ xⁿ/(a(a+1)…(a+n)), for x < a + 1 where the terms fall.
fn lower_series(a: f64, x: f64) -> f64 {
    let mut denominator = a;
    let mut term = 1.0 / a;
    let mut sum = term;
    while term > sum * EPS {
        denominator += 1.0;
        term *= x / denominator;
        sum += term;
    }
    sum * power_factor(a, x)
}

/// Q(a, x) = xᵃe⁻ˣ/Γ(a) · 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− …))), for x ≥ a + 1,
/// evaluated by the modified Lentz method.
fn upper_continued_fraction(a: f64, x: f64) -> f64 {
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut fraction = d;
    let mut i = 1.0;
    loop {
        let an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        fraction *= delta;
        if (delta - 1.0).abs() <= EPS {
            return fraction * power_factor(a, x);
        }
        i += 1.0;
    }
}

/// xᵃe⁻ˣ/Γ(a) for x > 0, as √(a/2π)·exp(a·(ln(1+u) − u) − stirlerr(a)) with u = (x − a)/a.
fn power_factor(a: f64, x: f64) -> f64 {
    let u = (x - a) / a;
    let log_ratio = if u > -0.5 {
        log1p_minus(u)
    } else {
        libm::log(x) - libm::log(a) - u
    };
    libm::sqrt(a / (2.0 * core::f64::consts::PI)) * libm::exp(a * log_ratio - stirling_error(a))
}

/// ln(1 + u) − u, accurate to the last bits also where it is much smaller than u.
fn log1p_minus(u: f64) -> f64 {
    if u.abs() >= 0.5 {
        return libm::log1p(u) - u;
    }
    let mut power = -u * u;
    let mut sum = power / 2.0;
    let mut k = 2.0;
    loop {
        k += 1.0;
        power *= -u;
        let term = power / k;
        sum += term;
        if term.abs() <= sum.abs() * EPS {
            return sum;
        }
    }
}

/// lnΓ(a) − ((a − ½)·ln a − a + ½·ln 2π), the error of Stirling's formula: its asymptotic
/// series for a ≥ 15 (where the terms dropped are below 10⁻²⁰), `libm::lgamma` below.
fn stirling_error(a: f64) -> f64 {
    if a < 15.0 {
        let half_ln_two_pi = 0.5 * libm::log(2.0 * core::f64::consts::PI);
        return libm::lgamma(a) - ((a - 0.5) * libm::log(a) - a + half_ln_two_pi);
    }
    let inv = 1.0 / a;
    let inv2 = inv * inv;
    inv * (1.0 / 12.0
        - inv2
            * (1.0 / 360.0
                - inv2
                    * (1.0 / 1260.0
                        - inv2 * (1.0 / 1680.0 - inv2 * (1.0 / 1188.0 - inv2 * 691.0 / 360360.0)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within the rounding that an exponent of up to 700 carries (700 · 2⁻⁵³ ≈ 8e-14 per step).
    const TOLERANCE: f64 = 2e-13;

    /// |got − want| / want.
    fn relative_error(got: f64, want: f64) -> f64 {
        ((got - want) / want).abs()
    }

    #[test]
    fn two_degrees_of_freedom_is_an_exponential() {
        for &stat in &[1e-8, 0.1, 1.0, 2.9, 3.0, 10.0, 100.0, 1000.0, 1300.0] {
            let want = libm::exp(-stat / 2.0);
            let got = chi2_sf(stat, 2).unwrap();
            assert!(
                relative_error(got, want) < TOLERANCE,
                "stat {stat}: {got:e} vs {want:e}"
            );
        }
    }

    #[test]
    fn one_degree_of_freedom_is_an_erfc() {
        for &stat in &[1e-10, 0.01, 0.5, 2.0, 3.0, 8.0, 50.0, 400.0, 1200.0] {
            let want = libm::erfc(libm::sqrt(stat / 2.0));
            let got = chi2_sf(stat, 1).unwrap();
            assert!(
                relative_error(got, want) < TOLERANCE,
                "stat {stat}: {got:e} vs {want:e}"
            );
        }
    }

    #[test]
    fn even_degrees_of_freedom_are_a_poisson_sum() {
        // Q(k, x) = e⁻ˣ Σ_{j<k} xʲ/j! for integer k.
        for &(dof, stat) in &[
            (20u64, 5.0),
            (20, 19.0),
            (20, 40.0),
            (60, 61.0),
            (60, 200.0),
        ] {
            let x: f64 = stat / 2.0;
            let mut term = libm::exp(-x);
            let mut want = 0.0;
            for j in 0..dof / 2 {
                want += term;
                term *= x / (j + 1) as f64;
            }
            let got = chi2_sf(stat, dof).unwrap();
            assert!(
                relative_error(got, want) < TOLERANCE,
                "dof {dof} stat {stat}: {got:e} vs {want:e}"
            );
        }
    }

    #[test]
    fn the_median_of_many_degrees_of_freedom_is_near_one_half() {
        // The χ² median is about k(1 − 2/(9k))³, so Q there tends to ½ as k grows.
        let dof = 10_000_000u64;
        let k = dof as f64;
        let median = k * (1.0 - 2.0 / (9.0 * k)).powi(3);
        assert!((chi2_sf(median, dof).unwrap() - 0.5).abs() < 1e-6);
    }

    #[test]
    fn ends_of_the_range() {
        assert_eq!(chi2_sf(0.0, 3).unwrap(), 1.0);
        assert_eq!(chi2_sf(f64::INFINITY, 3).unwrap(), 0.0);
        assert_eq!(chi2_sf(1e6, 1).unwrap(), 0.0);
        assert_eq!(chi2_sf(1e-300, MAX_CHI2_DOF).unwrap(), 1.0);
    }

    #[test]
    fn bad_arguments_name_their_field() {
        for stat in [f64::NAN, -1.0, f64::NEG_INFINITY] {
            assert_eq!(chi2_sf(stat, 3).unwrap_err().field, "stat");
        }
        assert_eq!(chi2_sf(1.0, 0).unwrap_err().field, "dof");
        assert_eq!(chi2_sf(1.0, MAX_CHI2_DOF + 1).unwrap_err().field, "dof");
    }
}
