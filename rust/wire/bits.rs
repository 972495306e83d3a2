//! Little-endian bit streams and LEB128 varints for the ψ wire format.
//!
//! Bit `b` of a stream is bit `b % 8` of byte `b / 8`; values are written least significant
//! bit first. This is the order `docs/PSI_FORMAT.md` documents.

/// Random-access reads of bit fields from a byte slice.
pub(crate) struct BitReader<'a> {
    bytes: &'a [u8],
}

impl<'a> BitReader<'a> {
    #[inline(always)]
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// Up to 64 bits starting at bit `pos`: bit 0 of the result is stream bit `pos`; bits past
    /// the end of the slice read as zero.
    #[inline(always)]
    pub(crate) fn window(&self, pos: usize) -> u64 {
        let byte = pos / 8;
        let word = match self.bytes.get(byte..byte + 8) {
            Some(eight) => u64::from_le_bytes(eight.try_into().unwrap_or([0; 8])),
            None => {
                let mut buf = [0u8; 8];
                for (slot, &b) in buf.iter_mut().zip(self.bytes.get(byte..).unwrap_or(&[])) {
                    *slot = b;
                }
                u64::from_le_bytes(buf)
            }
        };
        word >> (pos % 8)
    }

    /// Number of set bits from stream bit `pos` to the end of the slice, a window at a time.
    #[inline(always)]
    pub(crate) fn count_ones_from(&self, pos: usize) -> usize {
        let (mut at, end) = (pos, self.bytes.len() * 8);
        let mut ones = 0;
        while at < end {
            // A window holds the bits from `at` to the next byte boundary 64 bits on, and
            // zeros past the slice.
            ones += self.window(at).count_ones() as usize;
            at += 64 - at % 8;
        }
        ones
    }
}

/// Writes bit fields into a zeroed byte slice sized for them, through a 64-bit accumulator,
/// least significant bit first, so consecutive fields never read back bytes just written.
pub(crate) struct BitWriter<'a> {
    out: &'a mut [u8],
    at: usize,
    acc: u64,
    filled: u32,
}

impl<'a> BitWriter<'a> {
    pub(crate) fn new(out: &'a mut [u8]) -> Self {
        Self {
            out,
            at: 0,
            acc: 0,
            filled: 0,
        }
    }

    /// Appends the low `bits` bits of `value` (`bits` ≤ 32, higher bits of `value` clear).
    /// The slice must hold every bit pushed: a full 32-bit word is written only once pushed.
    #[inline]
    pub(crate) fn push(&mut self, value: u64, bits: u32) {
        self.acc |= value << self.filled;
        self.filled += bits;
        if self.filled >= 32 {
            self.out[self.at..self.at + 4].copy_from_slice(&(self.acc as u32).to_le_bytes());
            self.at += 4;
            self.acc >>= 32;
            self.filled -= 32;
        }
    }

    /// Writes the last partial bytes, zero-padded to a whole byte.
    pub(crate) fn finish(self) {
        let bytes = self.filled.div_ceil(8) as usize;
        self.out[self.at..self.at + bytes].copy_from_slice(&self.acc.to_le_bytes()[..bytes]);
    }
}

/// Appends `value` as an unsigned LEB128 varint.
pub(crate) fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Why a varint could not be read.
#[derive(Debug, PartialEq)]
pub(crate) enum VarintError {
    Truncated,
    Overlong,
}

/// Reads a canonical LEB128 varint of at most `max_bytes` bytes; returns (value, bytes used).
pub(crate) fn read_varint(bytes: &[u8], max_bytes: usize) -> Result<(u64, usize), VarintError> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().take(max_bytes).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            // A trailing zero group means a longer-than-needed encoding: reject it so that
            // every payload has exactly one byte string.
            if i > 0 && byte == 0 {
                return Err(VarintError::Overlong);
            }
            return Ok((value, i + 1));
        }
    }
    if bytes.len() < max_bytes {
        Err(VarintError::Truncated)
    } else {
        Err(VarintError::Overlong)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_counts_read_little_endian_bits() {
        let bytes = [0b1010_0001u8, 0xff, 0x00, 0x80];
        let reader = BitReader::new(&bytes);
        assert_eq!(reader.window(0) & 0xff, 0b1010_0001);
        assert_eq!(reader.window(5) & 0b111, 0b101);
        assert_eq!(reader.window(31), 1);
        assert_eq!(reader.window(32), 0);
        assert_eq!(reader.count_ones_from(0), 3 + 8 + 1);
        assert_eq!(reader.count_ones_from(6), 1 + 8 + 1);
        assert_eq!(reader.count_ones_from(32), 0);
    }

    #[test]
    fn the_writer_packs_fields_the_reader_reads() {
        // 3 + 70 + 1 + 32 = 106 bits: 14 bytes.
        let mut out = [0u8; 14];
        let mut writer = BitWriter::new(&mut out);
        writer.push(0b101, 3);
        writer.push(0, 32);
        writer.push(0, 32);
        writer.push(0, 6);
        writer.push(1, 1);
        writer.push(0xFFFF_FFFF, 32);
        writer.finish();
        let reader = BitReader::new(&out);
        assert_eq!(reader.window(0) & 0b111, 0b101);
        assert_eq!(reader.count_ones_from(3), 33);
        assert_eq!(reader.window(73) & 1, 1);
        assert_eq!(reader.window(74) & 0xFFFF_FFFF, 0xFFFF_FFFF);
        assert_eq!(reader.count_ones_from(106), 0);
    }

    #[test]
    fn varints_round_trip_and_reject_overlong_forms() {
        for value in [0u64, 1, 127, 128, 300, 1 << 24, u64::from(u32::MAX)] {
            let mut out = Vec::new();
            write_varint(&mut out, value);
            assert_eq!(read_varint(&out, 5), Ok((value, out.len())));
        }
        assert_eq!(read_varint(&[0x80, 0x00], 4), Err(VarintError::Overlong));
        assert_eq!(read_varint(&[0x80, 0x80], 4), Err(VarintError::Truncated));
        assert_eq!(read_varint(&[0xff; 5], 4), Err(VarintError::Overlong));
    }
}
