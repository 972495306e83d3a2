//! The PyO3 binding layer, compiled only with the `python` feature: the `tsd._core` module.
//! Its files mirror the core's folders (psi, tsu, verify, walk, craft, ngram, rng, stats); each
//! binding borrows its arrays, calls one core function and converts the result. This file
//! registers types, functions, exceptions and the limits the core enforces.

mod arrays;
mod convert;
mod craft;
mod errors;
mod gauss;
mod ngram;
mod psi;
mod rng;
mod signals;
mod stats;
mod tsu;
mod verify;
mod walk;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<psi::topk::PyPsiTopK>()?;
    m.add_class::<psi::chain::PyPsiChain>()?;
    m.add_class::<psi::gauss::PyPsiGaussian>()?;
    m.add_class::<psi::gauss::PyPsiGaussianBatch>()?;
    m.add_function(wrap_pyfunction!(psi::decode_any, m)?)?;
    m.add_function(wrap_pyfunction!(psi::gauss::gauss_encoded_len, m)?)?;
    m.add_function(wrap_pyfunction!(gauss::gauss_draw, m)?)?;
    m.add_function(wrap_pyfunction!(gauss::gauss_log_density, m)?)?;
    m.add_function(wrap_pyfunction!(gauss::gauss_verify_blocks, m)?)?;
    m.add_function(wrap_pyfunction!(gauss::gauss_draw_target, m)?)?;
    m.add_function(wrap_pyfunction!(gauss::rng_lane_words, m)?)?;
    m.add_function(wrap_pyfunction!(gauss::libm_map, m)?)?;
    m.add_function(wrap_pyfunction!(psi::psi_encoded_len, m)?)?;
    m.add_function(wrap_pyfunction!(craft::craft_psi_rows, m)?)?;
    m.add_function(wrap_pyfunction!(craft::craft_chain_positions, m)?)?;
    m.add_function(wrap_pyfunction!(craft::chains_from_positions, m)?)?;
    m.add_function(wrap_pyfunction!(tsu::tsu_draw_many, m)?)?;
    m.add_function(wrap_pyfunction!(tsu::tsu_draw_each, m)?)?;
    m.add_function(wrap_pyfunction!(tsu::tsu_draw_chains, m)?)?;
    m.add_class::<verify::PyBlockVerdicts>()?;
    m.add_function(wrap_pyfunction!(verify::accept_correct, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify_blocks, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify_external, m)?)?;
    m.add_class::<walk::PyBigramChain>()?;
    m.add_class::<walk::PyWalkCounts>()?;
    m.add_function(wrap_pyfunction!(walk::m0_run, m)?)?;
    m.add_class::<ngram::PyNgramModel>()?;
    m.add_function(wrap_pyfunction!(rng::rng_words, m)?)?;
    m.add_function(wrap_pyfunction!(stats::chi2_sf, m)?)?;
    m.add("RNG_STREAM_TSU", crate::rng::STREAM_TSU)?;
    m.add("CUMULATIVE_CHUNK", crate::cumulative::CHUNK)?;
    m.add("RNG_STREAM_VERIFY", crate::rng::STREAM_VERIFY)?;
    m.add("PSI_VERSION", crate::wire::VERSION)?;
    m.add("PSI_KIND_TOP_K", crate::wire::KIND_TOP_K)?;
    m.add("PSI_KIND_CHAIN", crate::wire::KIND_CHAIN)?;
    m.add("MAX_VOCAB", crate::psi::MAX_VOCAB)?;
    m.add("MAX_CHAIN_LEN", crate::psi::MAX_CHAIN_LEN)?;
    m.add("PSI_KIND_GAUSS", crate::wire::KIND_GAUSS)?;
    m.add("MAX_GAUSS_DIM", crate::psi::MAX_GAUSS_DIM)?;
    m.add("GAUSS_LOGVAR_STEP", crate::psi::gauss::LOGVAR_STEP)?;
    m.add("GAUSS_LOGVAR_MIN", crate::psi::gauss::LOGVAR_MIN)?;
    m.add("GAUSS_LOGVAR_MAX", crate::psi::gauss::LOGVAR_MAX)?;
    m.add(
        "GAUSS_MAX_RESIDUAL_TRIES",
        crate::verify::gauss::MAX_RESIDUAL_TRIES,
    )?;
    m.add("GAUSS_TARGET_LANE", crate::verify::gauss::TARGET_LANE)?;
    m.add("MAX_NGRAM_ORDER", crate::ngram::MAX_ORDER)?;
    m.add("MAX_CHI2_DOF", crate::stats::MAX_CHI2_DOF)?;
    m.add("LAST_STEP", crate::limits::LAST_STEP)?;
    m.add("MAX_STEPS_PER_CALL", crate::limits::MAX_STEPS_PER_CALL)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
