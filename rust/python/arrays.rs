//! Borrowing numpy arrays as slices, with an error that names the argument.

use numpy::{Element, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::PyResult;

use super::errors::argument_error;
use crate::error::ArgumentError;

/// A contiguous 1-D array as a slice.
pub(crate) fn slice<'a, T: Element>(
    array: &'a PyReadonlyArray1<'_, T>,
    field: &'static str,
) -> PyResult<&'a [T]> {
    array
        .as_slice()
        .map_err(|_| argument_error(&ArgumentError::new(field, "must be a contiguous 1-D array")))
}

/// A C-contiguous 2-D array as one row-major slice and its row length.
pub(crate) fn rows<'a, T: Element>(
    array: &'a PyReadonlyArray2<'_, T>,
    field: &'static str,
) -> PyResult<(&'a [T], usize)> {
    let width = array.shape()[1];
    let values = array.as_slice().map_err(|_| {
        argument_error(&ArgumentError::new(
            field,
            "must be a C-contiguous 2-D array",
        ))
    })?;
    Ok((values, width))
}
