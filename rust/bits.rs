//! Little-endian bit streams and LEB128 varints for the ψ wire format.
//!
//! Bit `b` of a stream is bit `b % 8` of byte `b / 8`; values are written least significant
//! bit first. This is the order `docs/PSI_FORMAT.md` documents.

/// Appends bit fields to a byte vector.
pub(crate) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    filled: u32,
}

impl<'a> BitWriter<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        Self {
            out,
            acc: 0,
            filled: 0,
        }
    }

    /// Writes the low `width` bits of `value` (`width` <= 32).
    #[inline]
    pub(crate) fn write(&mut self, value: u32, width: u32) {
        debug_assert!(width <= 32);
        if width == 0 {
            return;
        }
        let masked = u64::from(value) & ((1u64 << width) - 1);
        self.acc |= masked << self.filled;
        self.filled += width;
        while self.filled >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.filled -= 8;
        }
    }

    /// Writes `count` zero bits followed by a single one bit (unary code).
    #[inline]
    pub(crate) fn write_unary(&mut self, count: u32) {
        let mut left = count;
        while left >= 32 {
            self.write(0, 32);
            left -= 32;
        }
        self.write(1 << left, left + 1);
    }

    /// Flushes a partial byte, padding with zero bits.
    pub(crate) fn finish(self) {
        if self.filled > 0 {
            self.out.push(self.acc as u8);
        }
    }
}

/// Reads a bit at a time or a field at a time from a byte slice known to be long enough.
pub(crate) struct BitReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Up to 64 bits starting at bit `pos`: bit 0 of the result is stream bit `pos`; bits past
    /// the end of the slice read as zero.
    #[inline]
    fn window(&self, pos: usize) -> u64 {
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

    /// Reads `width` bits (<= 32). The caller guarantees they lie within the slice.
    #[inline]
    pub(crate) fn read(&mut self, width: u32) -> u32 {
        if width == 0 {
            return 0;
        }
        let value = self.window(self.pos) & ((1u64 << width) - 1);
        self.pos += width as usize;
        value as u32
    }

    /// Position of the next set bit at or after the cursor, below `end`; moves past it.
    #[inline]
    pub(crate) fn next_one(&mut self, end: usize) -> Option<usize> {
        while self.pos < end {
            // A window holds at least 57 valid bits (64 minus the in-byte offset).
            let valid = 64 - self.pos % 8;
            let bits = self.window(self.pos);
            if bits != 0 {
                let found = self.pos + bits.trailing_zeros() as usize;
                if found >= end {
                    return None;
                }
                self.pos = found + 1;
                return Some(found);
            }
            self.pos += valid;
        }
        None
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
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
    fn bit_fields_round_trip() {
        let fields = [
            (5u32, 3u32),
            (0, 0),
            (1, 1),
            (0xABCDE, 20),
            (u32::MAX, 32),
            (2, 7),
        ];
        let mut out = Vec::new();
        let mut writer = BitWriter::new(&mut out);
        for &(value, width) in &fields {
            writer.write(value, width);
        }
        writer.finish();
        assert_eq!(out.len(), (3 + 1 + 20 + 32 + 7usize).div_ceil(8));
        let mut reader = BitReader::new(&out);
        for &(value, width) in &fields {
            assert_eq!(reader.read(width), value);
        }
    }

    #[test]
    fn unary_codes_are_found_by_next_one() {
        let gaps = [0u32, 3, 40, 0, 7];
        let mut out = Vec::new();
        let mut writer = BitWriter::new(&mut out);
        for &gap in &gaps {
            writer.write_unary(gap);
        }
        writer.finish();
        let end = gaps.iter().map(|g| *g as usize + 1).sum::<usize>();
        let mut reader = BitReader::new(&out);
        let mut last = None;
        for &gap in &gaps {
            let start = last.map_or(0, |p: usize| p + 1);
            let found = reader.next_one(end).unwrap();
            assert_eq!(found - start, gap as usize);
            last = Some(found);
        }
        assert_eq!(reader.next_one(end), None);
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
