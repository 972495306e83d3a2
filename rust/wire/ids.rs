//! The ids section of every payload kind: K sorted ids below V in Elias–Fano form, about
//! K·(2 + log2(V/K)) bits instead of K·log2(V).

use super::bits::BitReader;
use super::cpu::extended_copy;
use super::lowbits::{merge_low_bits, or_word, pack_low_bits, with_constant_width};
use super::truncated;
use crate::error::{PsiDecodeError, TsdError};
use crate::psi::validate_ids;

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
        // low = ⌊log2(⌊V / K⌋)⌋ (0 when ⌊V / K⌋ ≤ 1) without a division: the largest l with
        // K·2^l ≤ V, which is ⌊log2 V⌋ − ⌊log2 K⌋ or one less.
        let low = if k == 0 || vocab < 2 * k {
            0
        } else {
            let l = vocab.ilog2() - k.ilog2();
            l - u32::from(k << l > vocab)
        };
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

extended_copy! {
    /// Appends the Elias–Fano section of the sorted `ids` below `vocab`.
    ///
    /// Both parts are OR-ed into the section as whole little-endian words (the low bits in
    /// groups through a shift register, the unary high parts gathered per word), so the section
    /// is zeroed up to one word past its end and cut back afterwards.
    pub(crate) fn write_ids(out: &mut Vec<u8>, vocab: u64, ids: &[u32]) = write_ids_body;
}

#[inline(always)]
fn write_ids_body(out: &mut Vec<u8>, vocab: u64, ids: &[u32]) {
    let ef = EliasFano::new(vocab, ids.len() as u64);
    let start = out.len();
    let len = ef.bytes() as usize;
    // The last word a field touches ends at most 7 bytes past the section: 8 spare bytes.
    out.resize(start + len + 8, 0);
    let section = &mut out[start..];
    pack_low_bits(ids, ef.low, section);
    with_constant_width!(ef.low, write_ones(ids, section));
    out.truncate(start + len);
}

/// ORs the unary high parts into `section`: the i-th one lies at bit K·low + (id >> low) + i.
/// Ids are sorted, so the ones arrive in order and each word is stored once, when the next
/// one leaves it. Ones come four at a time: when the fourth lies in the current word, so do
/// the other three (the common case: ones fill about half the region's bits).
#[inline(always)]
fn write_ones(low: u32, ids: &[u32], section: &mut [u8]) {
    let upper_start = ids.len() * low as usize;
    let mut region = Ones {
        section,
        word: 0,
        index: upper_start / 64,
    };
    let fours = ids.chunks_exact(4);
    let rest = fours.remainder();
    for (n, four) in fours.enumerate() {
        let first = upper_start + 4 * n;
        let ones: [usize; 4] = std::array::from_fn(|j| first + j + (four[j] >> low) as usize);
        if ones[3] / 64 == region.index {
            region.word |= ones.iter().fold(0, |bits, &one| bits | 1 << (one % 64));
        } else {
            ones.into_iter().for_each(|one| region.add(one));
        }
    }
    let first = upper_start + ids.len() - rest.len();
    for (j, &id) in rest.iter().enumerate() {
        region.add(first + j + (id >> low) as usize);
    }
    or_word(region.section, region.index, region.word);
}

/// The high-bit region as [`write_ones`] fills it: the word being gathered and its index.
struct Ones<'a> {
    section: &'a mut [u8],
    word: u64,
    index: usize,
}

impl Ones<'_> {
    /// Sets section bit `one`, at or after every bit set so far.
    #[inline(always)]
    fn add(&mut self, one: usize) {
        if one / 64 != self.index {
            or_word(self.section, self.index, self.word);
            (self.word, self.index) = (0, one / 64);
        }
        self.word |= 1 << (one % 64);
    }
}

/// Bytes of the Elias–Fano section for K ids below V.
pub(crate) fn ids_len(vocab: u64, k: u64) -> u64 {
    EliasFano::new(vocab, k).bytes()
}

/// Reads the Elias–Fano section of `ids.len()` ids below `vocab` from the start of `bytes`
/// (the section and whatever follows it in the payload) into `ids`, and checks them: first the
/// section's structure (`PsiDecodeError::Malformed`), then that the ids are strictly
/// increasing and below `vocab` (the `PsiValidationError` of [`validate_ids`], which names
/// the first fault). Returns the section's length in bytes.
pub(crate) fn read_ids(bytes: &[u8], vocab: u32, ids: &mut [u32]) -> Result<usize, TsdError> {
    let ef = EliasFano::new(u64::from(vocab), ids.len() as u64);
    let len = ef.bytes() as usize;
    let section = bytes
        .get(..len)
        .ok_or_else(|| truncated(len as u64, bytes.len()))?;
    let increasing = decode_ids(section, bytes, ef, ids)?;
    if !increasing || ids.last().is_some_and(|&last| last >= vocab) {
        validate_ids(vocab, ids)?;
    }
    Ok(len)
}

fn malformed_ids(reason: &str) -> TsdError {
    PsiDecodeError::Malformed {
        field: "ids",
        reason: reason.to_owned(),
    }
    .into()
}

extended_copy! {
    /// [`decode_ids_body`], where the CPU allows with its bit and vector extensions.
    fn decode_ids(
        section: &[u8],
        bytes: &[u8],
        ef: EliasFano,
        ids: &mut [u32]
    ) -> Result<bool, TsdError> = decode_ids_body;
}

/// Fills `ids` from `section`, which starts `bytes`, and says whether they strictly increase.
/// The high parts come first, a word of ones at a time read from `bytes`: reads may run past
/// the section, but only its own K ones (counted first) are used. The low bits are merged in
/// after them, then one pass checks the order (a fault is named later, off the fast path).
#[inline(always)]
fn decode_ids_body(
    section: &[u8],
    bytes: &[u8],
    ef: EliasFano,
    ids: &mut [u32],
) -> Result<bool, TsdError> {
    let k = ids.len();
    let upper_start = k * ef.low as usize;
    let upper_end = upper_start + ef.upper as usize;
    // Exactly K ones may follow the low bits: none in the padding, none past the K-th id.
    if BitReader::new(section).count_ones_from(upper_start) != k {
        return Err(malformed_ids(
            "the high-bit region and padding must hold exactly K ones",
        ));
    }
    let reader = BitReader::new(bytes);
    // A window of the region at stream bit `at` holds its ones for slots `filled..`: the one
    // at `at + t` for slot i gives the high part `at + t - upper_start - i`. Each id fits in
    // 31 bits even once shifted by `low`: the caller has checked V ≤ 2^24 and K ≥ 1, and
    // every one lies within the section (< K·low + upper + 8 bits), so the id is below
    // (upper + 8)·2^low ≤ K·2^low + V + 8·2^low ≤ 10·V < 2^28, as 2^low ≤ V / K.
    let (mut filled, mut at) = (0, upper_start);
    while filled < k {
        let mut bits = reader.window(at);
        let base = at - upper_start;
        let mut slot = filled;
        filled += (bits.count_ones() as usize).min(k - filled);
        while bits != 0 && slot < k {
            if let Some(four) = ids.get_mut(slot..slot + 4) {
                // Four at a time, unconditionally: once `bits` runs out the slots get junk,
                // which the next window's ones overwrite (a short window is never the last).
                let first = base.wrapping_sub(slot);
                for (j, high) in four.iter_mut().enumerate() {
                    *high = first
                        .wrapping_add(bits.trailing_zeros() as usize)
                        .wrapping_sub(j) as u32;
                    bits &= bits.wrapping_sub(1);
                }
                slot += 4;
            } else {
                ids[slot] = (base + bits.trailing_zeros() as usize - slot) as u32;
                bits &= bits - 1;
                slot += 1;
            }
        }
        at += 64 - at % 8;
    }
    // The ones come in increasing order, so only the last (the (K − 1)-th) can lie in the
    // padding.
    if let Some(&high) = ids.last() {
        if upper_start + k - 1 + high as usize >= upper_end {
            return Err(malformed_ids(
                "a one lies in the padding after the high-bit region",
            ));
        }
    }
    merge_low_bits(bytes, ef.low, ids);
    // Ids are below 2^28 (above), so they compare as i32, eight to a vector.
    let pairs = ids.iter().zip(ids.iter().skip(1));
    Ok(pairs.fold(true, |ok, (&a, &b)| ok & ((a as i32) < (b as i32))))
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

    #[test]
    fn the_low_width_is_the_log_of_the_quotient() {
        for vocab in (1u64..2000).chain([1 << 23, (1 << 24) - 1, 1 << 24]) {
            let ks = (1..=vocab.min(300)).chain([vocab / 3, vocab / 2, vocab]);
            for k in ks.filter(|&k| k >= 1) {
                let ratio = vocab / k;
                let expected = if ratio <= 1 { 0 } else { ratio.ilog2() };
                assert_eq!(
                    EliasFano::new(vocab, k).low,
                    expected,
                    "V = {vocab}, K = {k}"
                );
            }
        }
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
            // The copy built without the CPU extensions writes the same bytes.
            let mut plain = vec![0xAB];
            write_ids_body(&mut plain, vocab, &ids);
            prop_assert_eq!(&plain, &out);
            let mut read = vec![0; ids.len()];
            let len = read_ids(&out[1..], vocab as u32, &mut read).unwrap();
            prop_assert_eq!(read, ids);
            prop_assert_eq!(1 + len, out.len());
        }

        #[test]
        fn the_reader_agrees_with_the_layout_and_the_rules_on_any_bytes(
            vocab in 1u64..5000, k in 1u64..64, seed in vec(any::<u8>(), 0..1200)
        ) {
            let ef = EliasFano::new(vocab, k.min(vocab));
            let section: Vec<u8> = (0..ef.bytes() as usize)
                .map(|i| seed.get(i).copied().unwrap_or(0) & seed.get(i + 600).copied().unwrap_or(0xFF))
                .collect();
            // The reader may look past the section: what follows it must not matter.
            let mut bytes = section.clone();
            bytes.extend_from_slice(&seed[..seed.len().min(16)]);
            let mut read = vec![0; ef.k as usize];
            let expected = ids_bit_by_bit(&section, ef).and_then(|ids| {
                validate_ids(vocab as u32, &ids)?;
                Ok(ids)
            });
            // The copy built without the CPU extensions agrees (on ids where the layout holds).
            let (mut plain, mut extended) = (read.clone(), read.clone());
            let plain_result = decode_ids_body(&section, &bytes, ef, &mut plain);
            let extended_result = decode_ids(&section, &bytes, ef, &mut extended);
            prop_assert_eq!(&extended_result, &plain_result);
            if plain_result.is_ok() {
                prop_assert_eq!(&extended, &plain);
            }
            prop_assert_eq!(read_ids(&bytes, vocab as u32, &mut read).map(|_| read), expected);
        }
    }
}
