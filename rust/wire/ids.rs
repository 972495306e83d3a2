//! The ids section of every payload kind: K sorted ids below V in Elias–Fano form, about
//! K·(2 + log2(V/K)) bits instead of K·log2(V).

use super::bits::{BitReader, BitWriter};
use crate::error::{PsiDecodeError, TsdError};

/// Elias–Fano split for K sorted ids below `vocab`: `low` bits stored verbatim per id, the
/// high parts as unary gaps in a `upper`-bit region.
#[derive(Debug, Clone, Copy, PartialEq)]
struct EliasFano {
    low: u32,
    upper: u64,
    k: u64,
}

impl EliasFano {
    fn new(vocab: u64, k: u64) -> Self {
        let ratio = vocab.checked_div(k).unwrap_or(0);
        let low = if ratio <= 1 { 0 } else { ratio.ilog2() };
        let upper = k + (vocab.saturating_sub(1) >> low);
        Self { low, upper, k }
    }

    fn total_bits(&self) -> u64 {
        self.k * u64::from(self.low) + self.upper
    }

    fn bytes(&self) -> u64 {
        self.total_bits().div_ceil(8)
    }
}

/// Appends the Elias–Fano section of the sorted `ids` below `vocab`.
pub(crate) fn write_ids(out: &mut Vec<u8>, vocab: u64, ids: &[u32]) {
    let ef = EliasFano::new(vocab, ids.len() as u64);
    let end = out.len() + ef.bytes() as usize;
    let low_mask = (1u32 << ef.low) - 1;
    let mut writer = BitWriter::new(out);
    for &id in ids {
        writer.push(u64::from(id & low_mask), ef.low);
    }
    // The high parts in unary: the gap to the previous high part in zeros, then a one.
    let mut previous = 0;
    for &id in ids {
        let high = id >> ef.low;
        writer.zeros(u64::from(high - previous));
        writer.push(1, 1);
        previous = high;
    }
    writer.finish();
    // The rest of the high-bit region and the padding are zeros.
    out.resize(end, 0);
}

/// Bytes of the Elias–Fano section for K ids below V.
pub(crate) fn ids_len(vocab: u64, k: u64) -> u64 {
    EliasFano::new(vocab, k).bytes()
}

/// Reads the Elias–Fano section of `k` ids below `vocab` starting at `start`; returns the ids
/// and the offset just past the section. The caller validates order and range.
pub(crate) fn read_ids(
    bytes: &[u8],
    start: usize,
    vocab: u32,
    k: usize,
) -> Result<(Vec<u32>, usize), TsdError> {
    let ef = EliasFano::new(u64::from(vocab), k as u64);
    let end = start + ef.bytes() as usize;
    Ok((decode_ids(&bytes[start..end], ef)?, end))
}

fn malformed_ids(reason: &str) -> TsdError {
    PsiDecodeError::Malformed {
        field: "ids",
        reason: reason.to_owned(),
    }
    .into()
}

fn decode_ids(section: &[u8], ef: EliasFano) -> Result<Vec<u32>, TsdError> {
    let k = ef.k as usize;
    let low = ef.low as usize;
    let reader = BitReader::new(section);
    let upper_start = k * low;
    let upper_end = upper_start + ef.upper as usize;
    // Exactly K ones may follow the low bits: none in the padding, none past the K-th id.
    if reader.count_ones_from(upper_start) != k {
        return Err(malformed_ids(
            "the high-bit region and padding must hold exactly K ones",
        ));
    }
    let low_mask = (1u64 << low) - 1;
    let mut ids = Vec::with_capacity(k);
    let mut base = upper_start;
    let mut bits = reader.window(base);
    while ids.len() < k {
        if bits == 0 {
            base += 64 - base % 8;
            bits = reader.window(base);
            continue;
        }
        let one = base + bits.trailing_zeros() as usize;
        bits &= bits - 1;
        if one >= upper_end {
            return Err(malformed_ids(
                "a one lies in the padding after the high-bit region",
            ));
        }
        let i = ids.len();
        let high = (one - upper_start - i) as u64;
        let full = (high << low) | (reader.window(i * low) & low_mask);
        ids.push(u32::try_from(full).map_err(|_| malformed_ids("an id does not fit in 32 bits"))?);
    }
    Ok(ids)
}
