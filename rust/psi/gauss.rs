//! The Gaussian payload: a diagonal Gaussian over d real values, quantised. Means are
//! `offset + step · code` (binary32 offset and step, one i16 code per dimension, evaluated in
//! binary64); log-variances sit on a fixed grid, `code · LOGVAR_STEP` (one i8 code per
//! dimension). The realised distribution is the dequantised one: the TSU draws from it and
//! the verifier's q is it.

use crate::error::PsiValidationError;

/// The largest dimension d of one Gaussian payload (a patch of values).
pub const MAX_GAUSS_DIM: usize = 2048;
/// Spacing of the log-variance grid: code k means log σ² = k / 8.
pub const LOGVAR_STEP: f64 = 0.125;
/// The smallest log-variance on the grid (code −128): σ ≈ 3.4e-4.
pub const LOGVAR_MIN: f64 = -128.0 * LOGVAR_STEP;
/// The largest log-variance on the grid (code 127): σ ≈ 2.8e3.
pub const LOGVAR_MAX: f64 = 127.0 * LOGVAR_STEP;
/// The largest mean code magnitude crafting uses (codes span −32767..=32767).
const MEAN_CODE_SPAN: f64 = 32767.0;

/// A quantised diagonal Gaussian over `d = mean_codes.len()` values.
#[derive(Debug, Clone, PartialEq)]
pub struct PsiGauss {
    offset: f32,
    step: f32,
    mean_codes: Vec<i16>,
    logvar_codes: Vec<i8>,
}

impl PsiGauss {
    /// A payload from its stored fields, validated.
    pub fn new(
        offset: f32,
        step: f32,
        mean_codes: Vec<i16>,
        logvar_codes: Vec<i8>,
    ) -> Result<Self, PsiValidationError> {
        validate_dim(mean_codes.len() as u64)?;
        if logvar_codes.len() != mean_codes.len() {
            return Err(PsiValidationError::ChainShape {
                field: "logvar_codes",
                expected: mean_codes.len(),
                got: logvar_codes.len(),
            });
        }
        validate_scalars(offset, step)?;
        Ok(Self {
            offset,
            step,
            mean_codes,
            logvar_codes,
        })
    }

    /// Quantises float means and log-variances (each of length d): offset the binary32 midpoint
    /// of the means, step their binary32 range / 65534, codes rounded half to even; log-variances
    /// must lie on the grid's range [`LOGVAR_MIN`], [`LOGVAR_MAX`] and round to the nearest
    /// grid point.
    pub fn craft(means: &[f64], logvars: &[f64]) -> Result<Self, PsiValidationError> {
        validate_dim(means.len() as u64)?;
        if logvars.len() != means.len() {
            return Err(PsiValidationError::ChainShape {
                field: "logvars",
                expected: means.len(),
                got: logvars.len(),
            });
        }
        for &mean in means {
            if !mean.is_finite() || mean.abs() > f64::from(f32::MAX) {
                return Err(PsiValidationError::GaussMean {
                    field: "means",
                    value: mean,
                });
            }
        }
        let (lo, hi) = means
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &m| {
                (lo.min(m), hi.max(m))
            });
        let offset = (0.5 * lo + 0.5 * hi) as f32;
        let step = ((hi - lo) / (2.0 * MEAN_CODE_SPAN)) as f32;
        let mean_codes = means.iter().map(|&m| mean_code(m, offset, step)).collect();
        let logvar_codes = logvars
            .iter()
            .enumerate()
            .map(|(position, &value)| logvar_code(value, position))
            .collect::<Result<_, _>>()?;
        Self::new(offset, step, mean_codes, logvar_codes)
    }

    pub fn dim(&self) -> usize {
        self.mean_codes.len()
    }
    pub fn offset(&self) -> f32 {
        self.offset
    }
    pub fn step(&self) -> f32 {
        self.step
    }
    pub fn mean_codes(&self) -> &[i16] {
        &self.mean_codes
    }
    pub fn logvar_codes(&self) -> &[i8] {
        &self.logvar_codes
    }

    /// The realised means: offset + step · code in binary64.
    pub fn means(&self) -> Vec<f64> {
        let (offset, step) = (f64::from(self.offset), f64::from(self.step));
        self.mean_codes
            .iter()
            .map(|&c| offset + step * f64::from(c))
            .collect()
    }

    /// The realised log-variances: code · [`LOGVAR_STEP`] (exact in binary64).
    pub fn logvars(&self) -> Vec<f64> {
        self.logvar_codes
            .iter()
            .map(|&c| f64::from(c) * LOGVAR_STEP)
            .collect()
    }
}

/// The nearest mean code, clamped to i16 (clamping moves a mean by at most one step, which the
/// binary32 rounding of offset and step can require at the ends of the range).
fn mean_code(mean: f64, offset: f32, step: f32) -> i16 {
    if step == 0.0 {
        return 0;
    }
    let code = ((mean - f64::from(offset)) / f64::from(step)).round_ties_even();
    code.clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

/// The grid code of one log-variance, or an error naming it when it is off the grid's range.
fn logvar_code(value: f64, position: usize) -> Result<i8, PsiValidationError> {
    if !(LOGVAR_MIN..=LOGVAR_MAX).contains(&value) {
        return Err(PsiValidationError::LogVarianceOutOfRange {
            value,
            position,
            min: LOGVAR_MIN,
            max: LOGVAR_MAX,
        });
    }
    Ok((value / LOGVAR_STEP).round_ties_even() as i8)
}

/// d in 1..=[`MAX_GAUSS_DIM`].
pub(crate) fn validate_dim(d: u64) -> Result<(), PsiValidationError> {
    if d == 0 || d > MAX_GAUSS_DIM as u64 {
        return Err(PsiValidationError::GaussDimension {
            d,
            max: MAX_GAUSS_DIM,
        });
    }
    Ok(())
}

/// A finite offset and a finite step >= 0.
pub(crate) fn validate_scalars(offset: f32, step: f32) -> Result<(), PsiValidationError> {
    if !offset.is_finite() {
        return Err(PsiValidationError::GaussMean {
            field: "offset",
            value: f64::from(offset),
        });
    }
    if !step.is_finite() || step < 0.0 {
        return Err(PsiValidationError::GaussMean {
            field: "step",
            value: f64::from(step),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crafting_quantises_within_half_a_step() {
        let means = [-3.0, 0.25, 1.5, 7.0];
        let logvars = [-16.0, -0.3, 0.06, 15.875];
        let psi = PsiGauss::craft(&means, &logvars).unwrap();
        let step = f64::from(psi.step());
        for (got, want) in psi.means().iter().zip(means) {
            assert!((got - want).abs() <= 0.5 * step + 1e-12, "{got} vs {want}");
        }
        assert_eq!(psi.logvars(), vec![-16.0, -0.25, 0.0, 15.875]);
    }

    #[test]
    fn equal_means_give_a_zero_step() {
        let psi = PsiGauss::craft(&[2.5, 2.5], &[0.0, 0.0]).unwrap();
        assert_eq!((psi.step(), psi.means()), (0.0, vec![2.5, 2.5]));
    }

    #[test]
    fn bad_fields_are_named() {
        assert!(matches!(
            PsiGauss::craft(&[], &[]),
            Err(PsiValidationError::GaussDimension { d: 0, .. })
        ));
        assert!(matches!(
            PsiGauss::craft(&[f64::NAN], &[0.0]),
            Err(PsiValidationError::GaussMean { field: "means", .. })
        ));
        assert!(matches!(
            PsiGauss::craft(&[0.0, 1.0], &[0.0, -16.5]),
            Err(PsiValidationError::LogVarianceOutOfRange { position: 1, .. })
        ));
        assert!(matches!(
            PsiGauss::craft(&[0.0], &[0.0, 1.0]),
            Err(PsiValidationError::ChainShape {
                field: "logvars",
                ..
            })
        ));
        assert!(matches!(
            PsiGauss::new(0.0, -1.0, vec![0], vec![0]),
            Err(PsiValidationError::GaussMean { field: "step", .. })
        ));
    }
}
