//! Long core calls that honour Ctrl-C: the core runs its loop in chunks with the GIL released
//! and calls [`check_signals`] between chunks, which takes the GIL back briefly to run Python's
//! signal handlers; a handler's exception (KeyboardInterrupt) ends the call.

use pyo3::prelude::*;

/// Runs pending Python signal handlers; their exception, if any, is the error.
pub(crate) fn check_signals() -> PyResult<()> {
    Python::attach(|py| py.check_signals())
}
