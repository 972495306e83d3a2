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

/// Appends the Elias–Fano section of the sorted `ids` below `vocab`, sized and zeroed first.
pub(crate) fn write_ids(out: &mut Vec<u8>, vocab: u64, ids: &[u32]) {
    let ef = EliasFano::new(vocab, ids.len() as u64);
    let start = out.len();
    out.resize(start + ef.bytes() as usize, 0);
    let low_mask = (1u32 << ef.low) - 1;
    let mut writer = BitWriter::new(&mut out[start..]);
    for &id in ids {
        writer.push(u64::from(id & low_mask), ef.low);
    }
    // The high parts in unary: the i-th one lies at bit (high part of id i) + i of the upper
    // region, which is gathered 64 bits at a time; the rest of it and the padding stay zero.
    let (mut word, mut word_index) = (0u64, 0u64);
    for (i, &id) in ids.iter().enumerate() {
        let one = u64::from(id >> ef.low) + i as u64;
        while one >> 6 != word_index {
            writer.push(word & 0xFFFF_FFFF, 32);
            writer.push(word >> 32, 32);
            (word, word_index) = (0, word_index + 1);
        }
        word |= 1 << (one & 63);
    }
    // The last word's ones end at or before the region's last bit.
    let rest = (ef.upper - 64 * word_index).min(64);
    writer.push(word & 0xFFFF_FFFF, rest.min(32) as u32);
    if rest > 32 {
        writer.push(word >> 32, (rest - 32) as u32);
    }
    writer.finish();
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
    let low = ef.low;
    let reader = BitReader::new(section);
    let upper_start = k * low as usize;
    let upper_end = upper_start + ef.upper as usize;
    // Exactly K ones may follow the low bits: none in the padding, none past the K-th id.
    if reader.count_ones_from(upper_start) != k {
        return Err(malformed_ids(
            "the high-bit region and padding must hold exactly K ones",
        ));
    }
    let mask = (1u64 << low) - 1;
    // The low bits stream through `low_acc` 32 at a time; the high parts are the positions of
    // the ones after `upper_start`, found a word at a time.
    let (mut low_acc, mut low_filled, mut low_next) = (0u64, 0u32, 0usize);
    let (mut base, mut bits) = (upper_start, reader.window(upper_start));
    let mut one = upper_start;
    let ids = (0..k)
        .map(|i| {
            if low_filled < low {
                low_acc |= (reader.window(low_next) & 0xFFFF_FFFF) << low_filled;
                low_filled += 32;
                low_next += 32;
            }
            let low_bits = low_acc & mask;
            low_acc >>= low;
            low_filled -= low;
            while bits == 0 {
                base += 64 - base % 8;
                bits = reader.window(base);
            }
            one = base + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            // Fits in 32 bits: the caller has checked V ≤ 2^24 and K ≥ 1, and the one lies
            // within the section (< K·low + upper + 8 bits), so the id is below
            // (upper + 8) · 2^low ≤ K·2^low + V + 8·2^low ≤ 10·V, as 2^low ≤ V / K.
            (((one - upper_start - i) << low) as u64 | low_bits) as u32
        })
        .collect();
    // The ones come in increasing order, so only the last can lie in the padding.
    if one >= upper_end {
        return Err(malformed_ids(
            "a one lies in the padding after the high-bit region",
        ));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::{btree_set, vec};
    use proptest::prelude::*;

    /// The section one bit at a time, straight from the layout: reference for the writer.
    fn section_bit_by_bit(vocab: u64, ids: &[u32]) -> Vec<u8> {
        let ef = EliasFano::new(vocab, ids.len() as u64);
        let mut bits = vec![false; ef.bytes() as usize * 8];
        for (i, &id) in ids.iter().enumerate() {
            for b in 0..ef.low as usize {
                bits[i * ef.low as usize + b] = (id >> b) & 1 == 1;
            }
            bits[ids.len() * ef.low as usize + (id >> ef.low) as usize + i] = true;
        }
        bits.chunks(8)
            .map(|byte| (0..8).map(|b| u8::from(byte[b]) << b).sum())
            .collect()
    }

    /// The ids one bit at a time, or the first fault: reference for the reader.
    fn ids_bit_by_bit(section: &[u8], ef: EliasFano) -> Result<Vec<u32>, TsdError> {
        let bit = |pos: usize| (section[pos / 8] >> (pos % 8)) & 1 == 1;
        let (k, low) = (ef.k as usize, ef.low as usize);
        let upper_start = k * low;
        let ones: Vec<usize> = (upper_start..section.len() * 8)
            .filter(|&p| bit(p))
            .collect();
        if ones.len() != k {
            return Err(malformed_ids(
                "the high-bit region and padding must hold exactly K ones",
            ));
        }
        if ones
            .last()
            .is_some_and(|&one| one >= upper_start + ef.upper as usize)
        {
            return Err(malformed_ids(
                "a one lies in the padding after the high-bit region",
            ));
        }
        Ok((0..k)
            .map(|i| {
                let low_bits = (0..low)
                    .map(|b| u32::from(bit(i * low + b)) << b)
                    .sum::<u32>();
                (((ones[i] - upper_start - i) as u32) << low) | low_bits
            })
            .collect())
    }

    fn vocab_and_ids() -> impl Strategy<Value = (u64, Vec<u32>)> {
        (1u32..=1 << 24).prop_flat_map(|vocab| {
            let ids = btree_set(0..vocab, 1..=vocab.min(300) as usize);
            (
                Just(u64::from(vocab)),
                ids.prop_map(|s| s.into_iter().collect()),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn the_writer_lays_out_every_bit_as_documented((vocab, ids) in vocab_and_ids()) {
            let mut out = vec![0xAB];
            write_ids(&mut out, vocab, &ids);
            prop_assert_eq!(out[0], 0xAB);
            prop_assert_eq!(&out[1..], &section_bit_by_bit(vocab, &ids)[..]);
            let (read, end) = read_ids(&out, 1, vocab as u32, ids.len()).unwrap();
            prop_assert_eq!(read, ids);
            prop_assert_eq!(end, out.len());
        }

        #[test]
        fn the_reader_agrees_with_the_layout_on_any_bytes(
            vocab in 1u64..5000, k in 1u64..64, seed in vec(any::<u8>(), 0..1200)
        ) {
            let ef = EliasFano::new(vocab, k.min(vocab));
            let section: Vec<u8> = (0..ef.bytes() as usize)
                .map(|i| seed.get(i).copied().unwrap_or(0) & seed.get(i + 600).copied().unwrap_or(0xFF))
                .collect();
            prop_assert_eq!(decode_ids(&section, ef), ids_bit_by_bit(&section, ef));
        }
    }
}
