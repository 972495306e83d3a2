//! Borrowing numpy arrays as slices (with an error that names the argument), and returning
//! named columns as a dict of numpy arrays.

use numpy::{Element, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::ArgumentError;

/// A contiguous 1-D array as a slice.
pub(crate) fn slice<'a, T: Element>(
    array: &'a PyReadonlyArray1<'_, T>,
    field: &'static str,
) -> PyResult<&'a [T]> {
    array
        .as_slice()
        .map_err(|_| ArgumentError::new(field, "must be a contiguous 1-D array").into())
}

/// A C-contiguous 2-D array as one row-major slice and its row length.
pub(crate) fn rows<'a, T: Element>(
    array: &'a PyReadonlyArray2<'_, T>,
    field: &'static str,
) -> PyResult<(&'a [T], usize)> {
    let width = array.shape()[1];
    let values = array
        .as_slice()
        .map_err(|_| ArgumentError::new(field, "must be a C-contiguous 2-D array"))?;
    Ok((values, width))
}

/// A dict of named columns, in the given order (`polars.DataFrame(columns)` reads it as is).
pub(crate) fn columns<'py, const N: usize>(
    py: Python<'py>,
    named: [(&str, Bound<'py, PyAny>); N],
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (name, column) in named {
        dict.set_item(name, column)?;
    }
    Ok(dict)
}
