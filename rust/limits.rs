//! The limits the core enforces on step counters and on the sizes a call returns, stated once,
//! and the loop helpers that keep to them: a request past a limit is an [`ArgumentError`]
//! before anything is allocated, an allocation within the limits that the machine cannot make
//! is an [`AllocationError`] (never an abort), and long loops run in chunks with a hook between
//! chunks (the Python bindings check for signals there).

use std::ops::Range;

use crate::error::{AllocationError, ArgumentError};

/// The last step any kernel uses. Every kernel that uses `count` steps from `start` uses the
/// steps `start..start + count`, and that exclusive end must fit in 64 bits: so step
/// `u64::MAX` itself is never used, by any kernel (draws, chains, verification alike).
pub const LAST_STEP: u64 = u64::MAX - 1;

/// The most steps one call returns as per-step columns (draws, random words, verified steps).
/// Longer runs go in chunks, which give the same columns: every draw is keyed by its step.
pub const MAX_STEPS_PER_CALL: u64 = 1 << 32;

/// Steps a long loop runs between two calls of its hook (about 10 ms of work).
pub const CHUNK_STEPS: u64 = 1 << 20;

/// The steps `start..start + count`, checked against the one rule for the top step
/// ([`LAST_STEP`]); `field` names the argument that holds `start`.
pub fn step_range(
    field: &'static str,
    start: u64,
    count: u64,
) -> Result<Range<u64>, ArgumentError> {
    match start.checked_add(count) {
        Some(end) => Ok(start..end),
        None => Err(ArgumentError::new(
            field,
            format!(
                "{field} {start} + {count} steps overflows the 64-bit step counter \
                 (the last step any kernel uses is {LAST_STEP})"
            ),
        )),
    }
}

/// `count` as a column length, at most [`MAX_STEPS_PER_CALL`]; `field` names the argument.
pub fn column_len(field: &'static str, count: u64) -> Result<usize, ArgumentError> {
    match usize::try_from(count) {
        Ok(len) if count <= MAX_STEPS_PER_CALL => Ok(len),
        _ => Err(ArgumentError::new(
            field,
            format!(
                "{count} steps in one call exceeds the limit of {MAX_STEPS_PER_CALL}; \
                 run them in chunks (the columns are the same)"
            ),
        )),
    }
}

/// An empty vector with room for `len` values, or an error naming `what` when the machine
/// cannot provide the memory.
pub fn reserve<T>(what: &'static str, len: usize) -> Result<Vec<T>, AllocationError> {
    let mut values = Vec::new();
    values.try_reserve_exact(len).map_err(|_| AllocationError {
        what,
        bytes: len as u128 * std::mem::size_of::<T>() as u128,
    })?;
    Ok(values)
}

/// A hook that never interrupts, for callers outside Python.
pub fn uninterrupted<E>() -> Result<(), E> {
    Ok(())
}

/// Calls `work(start, len)` for consecutive chunks of at most [`CHUNK_STEPS`] steps covering
/// `range`, in order, and `between_chunks` before each; the first error stops the loop.
pub fn in_chunks<E>(
    range: Range<u64>,
    mut between_chunks: impl FnMut() -> Result<(), E>,
    mut work: impl FnMut(u64, usize) -> Result<(), E>,
) -> Result<(), E> {
    let mut start = range.start;
    while start < range.end {
        between_chunks()?;
        let len = (range.end - start).min(CHUNK_STEPS);
        work(start, len as usize)?;
        start += len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_step_is_the_same_for_every_count() {
        assert_eq!(step_range("step", LAST_STEP, 1), Ok(LAST_STEP..u64::MAX));
        assert_eq!(step_range("step", u64::MAX, 1).unwrap_err().field, "step");
        assert_eq!(
            step_range("step", u64::MAX - 2, 2),
            Ok(u64::MAX - 2..u64::MAX)
        );
        assert!(step_range("step", u64::MAX - 2, 3).is_err());
        assert_eq!(step_range("step", u64::MAX, 0), Ok(u64::MAX..u64::MAX));
    }

    #[test]
    fn column_lengths_are_bounded_before_allocating() {
        assert_eq!(column_len("count", MAX_STEPS_PER_CALL), Ok(1 << 32));
        assert_eq!(column_len("count", 1 << 62).unwrap_err().field, "count");
        assert_eq!(
            column_len("count", 10_000_000_000).unwrap_err().field,
            "count"
        );
    }

    #[test]
    fn impossible_allocations_are_errors() {
        let err = reserve::<u64>("words", usize::MAX / 4).unwrap_err();
        assert_eq!(err.what, "words");
        assert_eq!(reserve::<u32>("tokens", 10).unwrap().capacity(), 10);
    }

    #[test]
    fn chunks_cover_the_range_in_order_and_stop_at_the_first_error() {
        let mut seen = Vec::new();
        let mut hooks = 0;
        in_chunks::<()>(
            5..5 + 2 * CHUNK_STEPS + 3,
            || {
                hooks += 1;
                Ok(())
            },
            |start, len| {
                seen.push((start, len));
                Ok(())
            },
        )
        .unwrap();
        let chunk = CHUNK_STEPS as usize;
        assert_eq!(
            seen,
            vec![
                (5, chunk),
                (5 + CHUNK_STEPS, chunk),
                (5 + 2 * CHUNK_STEPS, 3)
            ]
        );
        assert_eq!(hooks, 3);
        let mut calls = 0;
        let stopped = in_chunks(
            0..3 * CHUNK_STEPS,
            || Err("stop"),
            |_, _| {
                calls += 1;
                Ok(())
            },
        );
        assert_eq!((stopped, calls), (Err("stop"), 0));
    }
}
