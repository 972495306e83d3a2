//! Borrowing numpy arrays as slices (with an error that names the argument), and returning
//! named columns as a dict of numpy arrays. Multi-dimensional arrays are read in row-major
//! order whatever their memory layout: borrowed when C-contiguous, copied in row-major order
//! otherwise (Fortran order, strided views), so a layout is never misread.

use std::borrow::Cow;

use numpy::ndarray::Dimension;
use numpy::{Element, PyReadonlyArray, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
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

/// The elements of an array in row-major (C) order.
pub(crate) fn row_major<'a, T: Element + Clone, D: Dimension>(
    array: &'a PyReadonlyArray<'_, T, D>,
) -> Cow<'a, [T]> {
    match array.as_slice() {
        Ok(values) if array.is_c_contiguous() => Cow::Borrowed(values),
        _ => Cow::Owned(array.as_array().iter().cloned().collect()),
    }
}

/// A 2-D array as one row-major slice and its row length.
pub(crate) fn rows<'a, T: Element + Clone>(
    array: &'a PyReadonlyArray2<'_, T>,
) -> (Cow<'a, [T]>, usize) {
    (row_major(array), array.shape()[1])
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
