//! Inverse-CDF search with a guide table (Chen & Asau, 1974).
//!
//! `find_from(bucket, u)` returns the first index whose cumulative value exceeds `u` — exactly
//! what a binary search returns — but starts from a precomputed hint for u's bucket, so the
//! expected work is O(1). The hint only speeds the search up; the scan corrects any hint, so the
//! result never depends on how buckets round. `draw` adds the rule every sampler in the crate
//! uses when rounding leaves a uniform past the last cumulative value: the last index with mass.

use crate::cumulative;

#[derive(Debug, Clone)]
pub(crate) struct GuidedCdf {
    cumulative: Vec<f64>,
    guide: Vec<u32>,
    buckets: f64,
    last_with_mass: usize,
}

impl GuidedCdf {
    /// The table for non-negative `masses` (non-empty), summed by the crate's one rule
    /// ([`crate::cumulative`]).
    pub(crate) fn from_masses(masses: &[f64]) -> Self {
        let cumulative = cumulative::cumulative(masses);
        let last_with_mass = masses.iter().rposition(|&m| m > 0.0).unwrap_or(0);
        Self::new(cumulative, last_with_mass)
    }

    fn new(cumulative: Vec<f64>, last_with_mass: usize) -> Self {
        let total = cumulative[cumulative.len() - 1];
        let count = cumulative.len();
        let guide = (0..count)
            .map(|j| {
                let threshold = total * (j as f64 / count as f64);
                cumulative.partition_point(|&c| c <= threshold) as u32
            })
            .collect();
        Self {
            cumulative,
            guide,
            buckets: count as f64,
            last_with_mass,
        }
    }

    pub(crate) fn total(&self) -> f64 {
        self.cumulative[self.cumulative.len() - 1]
    }

    /// The guide bucket of `fraction` = x / total.
    #[inline]
    pub(crate) fn bucket(&self, fraction: f64) -> usize {
        ((fraction * self.buckets) as usize).min(self.guide.len() - 1)
    }

    /// First index i with cumulative[i] > x, or len() if none, scanning from the hint of
    /// `bucket` (that of x / total: [`GuidedCdf::bucket`]).
    #[inline]
    pub(crate) fn find_from(&self, bucket: usize, x: f64) -> usize {
        let mut i = self.guide[bucket] as usize;
        while i > 0 && self.cumulative[i - 1] > x {
            i -= 1;
        }
        while i < self.cumulative.len() && self.cumulative[i] <= x {
            i += 1;
        }
        i
    }

    /// Starts loading the guide entry of `bucket`, where [`GuidedCdf::find_from`] will read
    /// it: a hint to the CPU, with no effect on any result.
    #[inline]
    pub(crate) fn prefetch(&self, bucket: usize) {
        let address = self.guide.as_ptr().wrapping_add(bucket);
        // SAFETY: `_mm_prefetch` needs SSE, which every x86_64 CPU has (it is in the target's
        // baseline). A prefetch reads nothing the program can observe and never faults,
        // whatever the address; `address` is computed with `wrapping_add`, never dereferenced.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(address.cast());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = address;
    }

    /// [`GuidedCdf::find_from`] of x's bucket (`fraction` = x / total), with a result past
    /// the end (rounding) mapped to the last index with mass.
    #[inline]
    pub(crate) fn draw(&self, x: f64, fraction: f64) -> usize {
        self.draw_from(self.bucket(fraction), x)
    }

    /// [`GuidedCdf::draw`] from a bucket [`GuidedCdf::bucket`] located.
    #[inline]
    pub(crate) fn draw_from(&self, bucket: usize, x: f64) -> usize {
        let index = self.find_from(bucket, x);
        if index == self.cumulative.len() {
            self.last_with_mass
        } else {
            index
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_binary_search_everywhere() {
        let masses = [0.0, 0.1, 0.0, 0.35, 0.05, 0.0, 0.3, 0.2, 0.0];
        let cdf = GuidedCdf::from_masses(&masses);
        let cumulative = cdf.cumulative.clone();
        for k in 0..=10_000 {
            let u = k as f64 / 10_000.0;
            let expected = cumulative.partition_point(|&c| c <= u);
            assert_eq!(cdf.find_from(cdf.bucket(u), u), expected, "u = {u}");
            // A wrong hint (the fraction of another point) must not change the answer.
            assert_eq!(cdf.find_from(cdf.bucket(1.0 - u), u), expected);
        }
    }
}
