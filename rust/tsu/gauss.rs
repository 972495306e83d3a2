//! Exact draws from a diagonal Gaussian and its exact log density, for the Gaussian payload
//! (the TSU) and for a target law (the verifier's residual and bonus draws).
//!
//! Normals come from Box–Muller on the Philox words of one step: lane j of (seed, stream,
//! step) gives u1 = 1 − unit(w0) ∈ (0, 1] and u2 = unit(w1), r = sqrt(−2·ln u1), θ = 2π·u2,
//! and the normals z_{2j} = r·cos θ, z_{2j+1} = r·sin θ (the second dropped when d is odd).
//! A draw is x_i = μ_i + σ_i·z_i. The log density is
//! log N(x) = −0.5·(Σ_i ((x_i − μ_i)²·w_i + ℓ_i) + d·ln 2π), summed left to right, where
//! ℓ_i = log σ_i² and w_i = 1/σ_i². Every transcendental call is the `libm` crate's, so the
//! bits are the same on every platform.

use rayon::prelude::*;

use crate::error::{ArgumentError, TsdError};
use crate::limits::step_range;
use crate::psi::gauss::{PsiGauss, LOGVAR_STEP};
use crate::rng::{self, STREAM_TSU};

/// ln(2π) as a binary64 literal.
pub const LN_TWO_PI: f64 = 1.837_877_066_409_345_3;
/// 2π as a binary64 literal.
const TWO_PI: f64 = std::f64::consts::TAU;

/// A diagonal Gaussian ready for draws and densities.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagonal {
    mean: Vec<f64>,
    sigma: Vec<f64>,
    logvar: Vec<f64>,
    precision: Vec<f64>,
}

impl Diagonal {
    /// The realised distribution of a payload: σ = exp(ℓ/2), w = exp(−ℓ) with ℓ on the grid.
    pub fn from_payload(psi: &PsiGauss) -> Self {
        let logvar = psi.logvars();
        Self {
            mean: psi.means(),
            sigma: psi
                .logvar_codes()
                .iter()
                .map(|&c| libm::exp(f64::from(c) * (0.5 * LOGVAR_STEP)))
                .collect(),
            precision: logvar.iter().map(|&l| libm::exp(-l)).collect(),
            logvar,
        }
    }

    /// A target law from its means and standard deviations (finite, σ > 0, equal lengths):
    /// ℓ = 2·ln σ, w = 1/(σ·σ). `fields` name the two arguments in errors.
    pub fn from_target(
        mean: &[f64],
        sigma: &[f64],
        fields: [&'static str; 2],
    ) -> Result<Self, ArgumentError> {
        if sigma.len() != mean.len() {
            return Err(ArgumentError::new(
                fields[1],
                format!(
                    "has {} values, {} has {}",
                    sigma.len(),
                    fields[0],
                    mean.len()
                ),
            ));
        }
        if let Some(bad) = mean.iter().find(|m| !m.is_finite()) {
            return Err(ArgumentError::new(
                fields[0],
                format!("must be finite, got {bad}"),
            ));
        }
        if let Some(bad) = sigma.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(ArgumentError::new(
                fields[1],
                format!("must be finite and > 0, got {bad}"),
            ));
        }
        Ok(Self {
            mean: mean.to_vec(),
            sigma: sigma.to_vec(),
            logvar: sigma.iter().map(|&s| 2.0 * libm::log(s)).collect(),
            precision: sigma.iter().map(|&s| 1.0 / (s * s)).collect(),
        })
    }

    pub fn dim(&self) -> usize {
        self.mean.len()
    }
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }
    pub fn sigma(&self) -> &[f64] {
        &self.sigma
    }

    /// The exact log density at `x` (length d), in the documented order.
    pub fn log_density(&self, x: &[f64]) -> f64 {
        let mut total = 0.0;
        let terms = x
            .iter()
            .zip(&self.mean)
            .zip(&self.precision)
            .zip(&self.logvar);
        for (((&xi, &mean), &precision), &logvar) in terms {
            let z = xi - mean;
            total += z * z * precision + logvar;
        }
        -0.5 * (total + self.mean.len() as f64 * LN_TWO_PI)
    }

    /// Writes the draw for (seed, stream, step) into `out` (length d), reading lanes
    /// `first_lane..first_lane + lanes(d)`.
    pub fn draw_into(&self, seed: u64, stream: u32, step: u64, first_lane: u32, out: &mut [f64]) {
        normals_into(seed, stream, step, first_lane, out);
        for ((x, m), s) in out.iter_mut().zip(&self.mean).zip(&self.sigma) {
            *x = m + s * *x;
        }
    }
}

/// Lanes one d-dimensional draw reads: one per pair of normals.
pub fn lanes(d: usize) -> u32 {
    d.div_ceil(2) as u32
}

/// Standard normals by Box–Muller, two per lane (see the module docs).
pub fn normals_into(seed: u64, stream: u32, step: u64, first_lane: u32, out: &mut [f64]) {
    for (j, pair) in out.chunks_mut(2).enumerate() {
        let [w0, w1] = rng::words_lane(seed, stream, step, first_lane + j as u32);
        let radius = libm::sqrt(-2.0 * libm::log(1.0 - rng::unit(w0)));
        let theta = TWO_PI * rng::unit(w1);
        pair[0] = radius * libm::cos(theta);
        if let Some(second) = pair.get_mut(1) {
            *second = radius * libm::sin(theta);
        }
    }
}

/// Draws and their log densities, one row per payload.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussDraws {
    /// Row-major (rows × d).
    pub values: Vec<f64>,
    pub logq: Vec<f64>,
}

/// Checks that every payload has dimension `d` (the first one's); returns d.
pub fn common_dim(psis: &[&PsiGauss]) -> Result<usize, ArgumentError> {
    let d = psis.first().map_or(0, |p| p.dim());
    match psis.iter().position(|p| p.dim() != d) {
        Some(row) => Err(ArgumentError::new(
            "payloads",
            format!(
                "payload {row} has d = {}, payload 0 has d = {d}",
                psis[row].dim()
            ),
        )),
        None => Ok(d),
    }
}

/// One TSU draw per payload, payload b at step `steps[b]` of `seed` on the TSU stream (lanes
/// from 0), with its exact log density under the payload's realised Gaussian.
pub fn draw_each(psis: &[&PsiGauss], seed: u64, steps: &[u64]) -> Result<GaussDraws, TsdError> {
    let d = common_dim(psis)?;
    check_steps(steps, psis.len())?;
    let rows: Vec<(Vec<f64>, f64)> = psis
        .par_iter()
        .zip(steps)
        .map(|(psi, &step)| {
            let q = Diagonal::from_payload(psi);
            let mut x = vec![0.0; d];
            q.draw_into(seed, STREAM_TSU, step, 0, &mut x);
            let logq = q.log_density(&x);
            (x, logq)
        })
        .collect();
    let (values, logq): (Vec<Vec<f64>>, Vec<f64>) = rows.into_iter().unzip();
    Ok(GaussDraws {
        values: values.concat(),
        logq,
    })
}

/// The exact log density of row b of `values` (rows × d) under payload b's realised Gaussian.
pub fn log_density_each(psis: &[&PsiGauss], values: &[f64]) -> Result<Vec<f64>, TsdError> {
    let d = common_dim(psis)?;
    if values.len() != psis.len() * d {
        return Err(ArgumentError::new(
            "values",
            format!(
                "has {} entries, expected {} payloads × d = {d}",
                values.len(),
                psis.len()
            ),
        )
        .into());
    }
    Ok(psis
        .par_iter()
        .enumerate()
        .map(|(row, psi)| Diagonal::from_payload(psi).log_density(&values[row * d..(row + 1) * d]))
        .collect())
}

/// `steps` has one entry per row and each obeys the one step rule.
pub(crate) fn check_steps(steps: &[u64], rows: usize) -> Result<(), ArgumentError> {
    if steps.len() != rows {
        return Err(ArgumentError::new(
            "steps",
            format!("{rows} rows need as many steps, got {}", steps.len()),
        ));
    }
    for &step in steps {
        step_range("steps", step, 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn psi() -> PsiGauss {
        PsiGauss::craft(&[0.5, -1.0, 2.0], &[0.0, -1.0, 1.5]).unwrap()
    }

    #[test]
    fn draws_return_the_log_density_map_bit_for_bit() {
        let psi = psi();
        let steps: Vec<u64> = (0..500).collect();
        let draws = draw_each(&vec![&psi; 500], 9, &steps).unwrap();
        let again = log_density_each(&vec![&psi; 500], &draws.values).unwrap();
        for (a, b) in draws.logq.iter().zip(again) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }

    #[test]
    fn moments_match_the_realised_gaussian() {
        let psi = psi();
        let n = 40_000;
        let steps: Vec<u64> = (0..n).collect();
        let draws = draw_each(&vec![&psi; n as usize], 1, &steps).unwrap();
        let q = Diagonal::from_payload(&psi);
        for i in 0..3 {
            let column: Vec<f64> = draws.values.iter().skip(i).step_by(3).copied().collect();
            let mean = column.iter().sum::<f64>() / n as f64;
            let var = column.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            let sd = q.sigma()[i];
            assert!((mean - q.mean()[i]).abs() < 4.0 * sd / (n as f64).sqrt());
            assert!((var / (sd * sd) - 1.0).abs() < 0.03, "{var} vs {}", sd * sd);
        }
    }

    #[test]
    fn standard_normal_density_at_zero() {
        let q = Diagonal::from_target(&[0.0], &[1.0], ["mean", "sigma"]).unwrap();
        assert_eq!(q.log_density(&[0.0]), -0.5 * LN_TWO_PI);
        assert_eq!(
            Diagonal::from_target(&[0.0], &[0.0], ["mean", "sigma"])
                .unwrap_err()
                .field,
            "sigma"
        );
        assert_eq!(
            Diagonal::from_target(&[f64::NAN], &[1.0], ["mean", "sigma"])
                .unwrap_err()
                .field,
            "mean"
        );
    }

    #[test]
    fn mixed_dimensions_and_bad_steps_are_named() {
        let a = psi();
        let b = PsiGauss::craft(&[0.0], &[0.0]).unwrap();
        assert!(matches!(
            draw_each(&[&a, &b], 0, &[0, 1]),
            Err(TsdError::Argument(ArgumentError {
                field: "payloads",
                ..
            }))
        ));
        assert!(matches!(
            draw_each(&[&a], 0, &[u64::MAX]),
            Err(TsdError::Argument(ArgumentError { field: "steps", .. }))
        ));
    }
}
