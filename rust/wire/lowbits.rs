//! The low-bits part of an Elias–Fano section: one `low`-bit field per id, packed least
//! significant bit first from the section's first bit.
//!
//! Fields move in groups: as many as fit in one 64-bit window read at any bit offset, so a
//! group costs one window and each field a constant shift and mask. The width is a run-time
//! value (0..=24 for V ≤ 2^24); [`with_constant_width`] calls the packing loops with each width
//! as a literal, so the compiler unrolls a group with constant shifts.

use super::bits::BitReader;

/// Fields per group: a window read at bit `b` holds at least 57 bits from `b` on.
#[inline(always)]
fn group(low: u32) -> usize {
    (57 / low) as usize
}

/// Calls `$f(width, args...)` with the width as a literal for every width from 1 to 24, and
/// as a variable otherwise (so no width is left out).
macro_rules! with_constant_width {
    ($low:expr, $f:ident($($arg:expr),*)) => {
        match $low {
            1 => $f(1, $($arg),*),
            2 => $f(2, $($arg),*),
            3 => $f(3, $($arg),*),
            4 => $f(4, $($arg),*),
            5 => $f(5, $($arg),*),
            6 => $f(6, $($arg),*),
            7 => $f(7, $($arg),*),
            8 => $f(8, $($arg),*),
            9 => $f(9, $($arg),*),
            10 => $f(10, $($arg),*),
            11 => $f(11, $($arg),*),
            12 => $f(12, $($arg),*),
            13 => $f(13, $($arg),*),
            14 => $f(14, $($arg),*),
            15 => $f(15, $($arg),*),
            16 => $f(16, $($arg),*),
            17 => $f(17, $($arg),*),
            18 => $f(18, $($arg),*),
            19 => $f(19, $($arg),*),
            20 => $f(20, $($arg),*),
            21 => $f(21, $($arg),*),
            22 => $f(22, $($arg),*),
            23 => $f(23, $($arg),*),
            24 => $f(24, $($arg),*),
            other => $f(other, $($arg),*),
        }
    };
}
pub(crate) use with_constant_width;

/// Writes the low `low` bits of each id into `section` (zeroed, and long enough for every
/// whole word the fields touch) from its first bit.
#[inline(always)]
pub(crate) fn pack_low_bits(ids: &[u32], low: u32, section: &mut [u8]) {
    if low > 0 {
        with_constant_width!(low, pack(ids, section));
    }
}

#[inline(always)]
fn pack(low: u32, ids: &[u32], section: &mut [u8]) {
    let g = group(low);
    let mask = (1u64 << low) - 1;
    let gather = |fields: &[u32]| {
        fields.iter().enumerate().fold(0u64, |acc, (j, &id)| {
            acc | (u64::from(id) & mask) << (j as u32 * low)
        })
    };
    let mut writer = WordWriter::new(section);
    let groups = ids.chunks_exact(g);
    let rest = groups.remainder();
    for fields in groups {
        writer.push(gather(fields), g as u32 * low);
    }
    writer.push(gather(rest), rest.len() as u32 * low);
    writer.finish();
}

/// Shifts each of `ids` left by `low` and ORs in its field from the low-bits part at the
/// start of `bytes` (the caller has put the high parts in `ids`).
#[inline(always)]
pub(crate) fn merge_low_bits(bytes: &[u8], low: u32, ids: &mut [u32]) {
    if low > 0 {
        with_constant_width!(low, merge(bytes, ids));
    }
}

#[inline(always)]
fn merge(low: u32, bytes: &[u8], ids: &mut [u32]) {
    let g = group(low);
    let mask = (1u64 << low) - 1;
    let reader = BitReader::new(bytes);
    let scatter = |window: u64, slots: &mut [u32]| {
        for (j, slot) in slots.iter_mut().enumerate() {
            *slot = (*slot << low) | ((window >> (j as u32 * low)) & mask) as u32;
        }
    };
    let mut groups = ids.chunks_exact_mut(g);
    let mut at = 0;
    for slots in &mut groups {
        scatter(reader.window(at), slots);
        at += g * low as usize;
    }
    scatter(reader.window(at), groups.into_remainder());
}

/// Appends bit fields of up to 57 bits to a zeroed byte slice through a 64-bit register,
/// storing (OR-ing) whole little-endian words: the slice must cover the last word touched.
struct WordWriter<'a> {
    out: &'a mut [u8],
    word: usize,
    acc: u64,
    filled: u32,
}

impl<'a> WordWriter<'a> {
    fn new(out: &'a mut [u8]) -> Self {
        Self {
            out,
            word: 0,
            acc: 0,
            filled: 0,
        }
    }

    /// Appends the low `bits` bits of `value` (`bits` ≤ 57, higher bits of `value` clear).
    #[inline(always)]
    fn push(&mut self, value: u64, bits: u32) {
        self.acc |= value << self.filled;
        self.filled += bits;
        if self.filled >= 64 {
            or_word(self.out, self.word, self.acc);
            self.word += 1;
            self.filled -= 64;
            // The top `filled` bits of the field did not fit; `bits - filled` is in 1..=bits.
            self.acc = value >> (bits - self.filled);
        }
    }

    /// Stores the last, partial word.
    #[inline(always)]
    fn finish(self) {
        or_word(self.out, self.word, self.acc);
    }
}

/// ORs `word` into bytes `8·index .. 8·index + 8` of `out`, little-endian; a word past the
/// end of `out` is not written (the writers size `out` so that none is).
#[inline(always)]
pub(crate) fn or_word(out: &mut [u8], index: usize, word: u64) {
    if let Some(eight) = out
        .get_mut(8 * index..)
        .and_then(<[u8]>::first_chunk_mut::<8>)
    {
        *eight = (u64::from_le_bytes(*eight) | word).to_le_bytes();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn packed_fields_merge_back_at_every_width(
            low in 0u32..=26, values in vec(any::<u32>(), 0..200), highs in vec(0u32..64, 200)
        ) {
            let mask = (1u64 << low) - 1;
            let mut section = vec![0u8; (values.len() * low as usize).div_ceil(64) * 8 + 8];
            pack_low_bits(&values, low, &mut section);
            for (i, &value) in values.iter().enumerate() {
                let field = (0..low as usize)
                    .map(|b| u64::from((section[(i * low as usize + b) / 8] >> ((i * low as usize + b) % 8)) & 1) << b)
                    .sum::<u64>();
                prop_assert_eq!(field, u64::from(value) & mask);
            }
            let mut ids: Vec<u32> = highs[..values.len()].to_vec();
            merge_low_bits(&section, low, &mut ids);
            for (i, &id) in ids.iter().enumerate() {
                prop_assert_eq!(u64::from(id), (u64::from(highs[i]) << low) & u64::from(u32::MAX) | (u64::from(values[i]) & mask));
            }
        }
    }
}
