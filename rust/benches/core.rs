//! Core throughput, single thread: ψ encode+decode at K = 64 and the fused M0 loop at
//! V = 1000, K = 64. Prints `name=value` lines that scripts/bench_core.py collects.
//! Run with `cargo bench --bench core`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tsd::craft::{craft_topk, EpsChoice};
use tsd::error::TsdError;
use tsd::limits::uninterrupted;
use tsd::walk::m0::run_m0;
use tsd::wire::topk::{decode, encode_into};

/// Repeats `work` (which reports how many operations it did) for at least `budget`; returns ops/s.
fn rate(budget: Duration, mut work: impl FnMut() -> u64) -> f64 {
    let start = Instant::now();
    let mut ops = 0u64;
    while start.elapsed() < budget {
        ops += work();
    }
    ops as f64 / start.elapsed().as_secs_f64()
}

/// A Dirichlet-like target without an RNG dependency: normalised squares of a hash sequence.
fn target(vocab: usize) -> Vec<f64> {
    let raw: Vec<f64> = (0..vocab as u64)
        .map(|i| {
            let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) >> 11;
            let x = h as f64 / (1u64 << 53) as f64;
            -libm::log(1.0 - x)
        })
        .collect();
    let total: f64 = raw.iter().sum();
    raw.iter().map(|x| x / total).collect()
}

fn main() {
    let budget = Duration::from_secs(2);
    let p = target(1000);
    let logp: Vec<f64> = p.iter().map(|&x| libm::log(x)).collect();
    let psi = craft_topk(&p, 64, 1.0, EpsChoice::Auto).unwrap();

    let mut buffer = Vec::with_capacity(256);
    let encode_rate = rate(budget, || {
        for _ in 0..1000 {
            buffer.clear();
            encode_into(black_box(&psi), &mut buffer);
        }
        1000
    });
    let decode_rate = rate(budget, || {
        for _ in 0..1000 {
            black_box(decode(black_box(&buffer)).unwrap());
        }
        1000
    });
    println!("psi_bytes={}", buffer.len());
    println!("psi_encode_per_s={encode_rate:.0}");
    println!("psi_decode_per_s={decode_rate:.0}");
    // One encode followed by one decode.
    let round_trip = 1.0 / (1.0 / encode_rate + 1.0 / decode_rate);
    println!("psi_encode_decode_per_s={round_trip:.0}");

    let steps = 1_000_000u64;
    let mut start = 0u64;
    let fused = rate(budget, || {
        let columns = run_m0::<TsdError>(&logp, &psi, 7, start, steps, uninterrupted).unwrap();
        black_box(columns.emitted[columns.emitted.len() - 1]);
        start += steps;
        steps
    });
    println!("fused_m0_steps_per_s={fused:.0}");
}
