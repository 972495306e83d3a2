//! Python values to core types without silent conversions: a float is never truncated to an
//! integer, a negative or oversized integer never wraps, and every failure is a `TsdError`
//! naming the argument.

use numpy::PyReadonlyArray1;
use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes};

use super::errors::InvalidArgumentError;

/// The name of `value`'s type, for an error message.
fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".into(), |name| name.to_string())
}

/// `repr(value)`, for an error message.
fn repr_of(value: &Bound<'_, PyAny>) -> String {
    value
        .repr()
        .map_or_else(|_| "?".into(), |repr| repr.to_string())
}

/// The integer `value` holds: a Python int or anything with `__index__` (numpy integers), but
/// not a bool. `Ok(None)` is an integer too large for 128 bits; a non-integer is an
/// `InvalidArgumentError` naming `what`.
fn index(value: &Bound<'_, PyAny>, what: &dyn Fn() -> String) -> PyResult<Option<i128>> {
    let not_integer = || {
        InvalidArgumentError::new_err(format!(
            "{}: must be an integer, got {} {}",
            what(),
            type_name(value),
            repr_of(value)
        ))
    };
    if value.is_instance_of::<PyBool>() || !value.hasattr("__index__")? {
        return Err(not_integer());
    }
    let number = value.call_method0("__index__").map_err(|_| not_integer())?;
    Ok(number.extract::<i128>().ok())
}

/// `value` as an integer of type `T`; an integer outside `T`'s range is `out_of_range(repr)`.
pub(crate) fn integer<T: TryFrom<i128>>(
    value: &Bound<'_, PyAny>,
    field: &str,
    out_of_range: impl FnOnce(String) -> PyErr,
) -> PyResult<T> {
    match index(value, &|| field.to_string())? {
        Some(number) => T::try_from(number).map_err(|_| out_of_range(number.to_string())),
        None => Err(out_of_range(repr_of(value))),
    }
}

/// A real number argument (int or float, not a string or bool) as f64.
pub(crate) fn real(value: &Bound<'_, PyAny>, field: &str) -> PyResult<f64> {
    let not_number = || {
        InvalidArgumentError::new_err(format!("{field}: must be a number, got {}", repr_of(value)))
    };
    if value.is_instance_of::<PyBool>() {
        return Err(not_number());
    }
    value.extract::<f64>().map_err(|_| not_number())
}

/// The items of a sequence argument.
pub(crate) fn items<'py>(
    value: &Bound<'py, PyAny>,
    field: &str,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    value
        .try_iter()
        .and_then(|items| items.collect())
        .map_err(|_| {
            InvalidArgumentError::new_err(format!(
                "{field}: must be a sequence, got {}",
                type_name(value)
            ))
        })
}

/// A sequence of integers of type `T`; entry `i` outside `T`'s range is
/// `out_of_range(i, repr)`.
pub(crate) fn integers<T: TryFrom<i128>>(
    value: &Bound<'_, PyAny>,
    field: &str,
    out_of_range: impl Fn(usize, String) -> PyErr,
) -> PyResult<Vec<T>> {
    items(value, field)?
        .iter()
        .enumerate()
        .map(
            |(position, item)| match index(item, &|| format!("{field}: entry {position}"))? {
                Some(number) => {
                    T::try_from(number).map_err(|_| out_of_range(position, number.to_string()))
                }
                None => Err(out_of_range(position, repr_of(item))),
            },
        )
        .collect()
}

/// Token ids: a uint32 numpy array as it is, or any sequence of integers in 0..2^32.
pub(crate) fn token_ids(value: &Bound<'_, PyAny>, field: &'static str) -> PyResult<Vec<u32>> {
    if let Ok(array) = value.extract::<PyReadonlyArray1<'_, u32>>() {
        return Ok(array.as_array().to_vec());
    }
    integers(value, field, |position, id| {
        InvalidArgumentError::new_err(format!(
            "{field}: entry {position} is {id}, not a token id (ids are in 0..2^32)"
        ))
    })
}

/// The bytes of a bytes-like argument (bytes, bytearray, memoryview, a uint8 buffer).
pub(crate) fn bytes_like(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    PyBuffer::<u8>::get(value)
        .and_then(|buffer| buffer.to_vec(value.py()))
        .map_err(|_| {
            InvalidArgumentError::new_err(format!(
                "{field}: must be bytes-like (bytes, bytearray, memoryview), got {}",
                type_name(value)
            ))
        })
}
