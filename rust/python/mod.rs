//! The PyO3 binding layer, compiled only with the `python` feature: the `tsd._core` module.
//! It registers types, functions and exceptions; the logic lives in the core modules.

mod arrays;
mod chain;
mod convert;
mod errors;
mod kernels;
mod psi;
mod psi_chain;
mod signals;
mod speculative;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<psi::PyPsiTopK>()?;
    m.add_class::<psi_chain::PyPsiChain>()?;
    m.add_function(wrap_pyfunction!(psi_chain::craft_chain_positions, m)?)?;
    m.add_function(wrap_pyfunction!(psi_chain::chains_from_positions, m)?)?;
    m.add_function(wrap_pyfunction!(psi_chain::tsu_draw_chains, m)?)?;
    m.add_class::<chain::PyBigramChain>()?;
    m.add_function(wrap_pyfunction!(chain::verify_external, m)?)?;
    m.add_class::<speculative::PyNgramModel>()?;
    m.add_function(wrap_pyfunction!(speculative::craft_psi_rows, m)?)?;
    m.add_function(wrap_pyfunction!(speculative::tsu_draw_each, m)?)?;
    m.add_function(wrap_pyfunction!(speculative::verify_blocks, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::psi_encoded_len, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::rng_words, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::tsu_draw_many, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::accept_correct, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::m0_run, m)?)?;
    m.add("RNG_STREAM_TSU", crate::rng::STREAM_TSU)?;
    m.add("RNG_STREAM_VERIFY", crate::rng::STREAM_VERIFY)?;
    m.add("PSI_VERSION", crate::wire::VERSION)?;
    m.add("PSI_KIND_TOP_K", crate::wire::KIND_TOP_K)?;
    m.add("PSI_KIND_CHAIN", crate::wire::KIND_CHAIN)?;
    m.add("MAX_CHAIN_LEN", crate::psi_chain::MAX_CHAIN_LEN)?;
    m.add("LAST_STEP", crate::limits::LAST_STEP)?;
    m.add("MAX_STEPS_PER_CALL", crate::limits::MAX_STEPS_PER_CALL)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
