//! Core throughput, single thread: ψ encode+decode at K = 64 and the fused M0 loop at
//! V = 1000, K = 64. Prints `name=value` lines that scripts/bench_core.py collects.
//! Run with `cargo bench --bench core`.
//!
//! A round trip is one `encode_into` (into a reused buffer) and one decode. Two decodes are
//! timed, because users call both: `decode`, which allocates a new payload
//! (`psi_decode_per_s`, `psi_encode_decode_per_s`), and `Decoder::decode`, which refills one
//! payload it keeps (`psi_decode_reused_per_s`, `psi_encode_decode_reused_per_s`).
//!
//! `cargo bench --bench core -- --count N OP` instead runs one codec operation (`encode`,
//! `decode` or `decode-reused`) exactly N times and prints nothing: a fixed amount of work for
//! `valgrind --tool=callgrind`, whose instruction counts at two values of N give the cost of
//! one operation without the set-up (docs/BENCHMARKS.md, issue 14).

use std::hint::black_box;
use std::time::{Duration, Instant};

use tsd::craft::{craft_topk, EpsChoice};
use tsd::error::TsdError;
use tsd::limits::uninterrupted;
use tsd::psi::PsiTopK;
use tsd::walk::m0::run_m0;
use tsd::wire::topk::{decode, encode_into, Decoder};

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

/// The `--count N OP` arguments, if given.
fn count_mode() -> Option<(u64, String)> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|arg| arg == "--count")?;
    let count = args.get(at + 1)?.parse().ok()?;
    Some((count, args.get(at + 2)?.clone()))
}

/// Runs `op` on `psi` (whose encoding is `bytes`) exactly `count` times.
fn run_counted(psi: &PsiTopK, bytes: &[u8], count: u64, op: &str) {
    let mut buffer = Vec::with_capacity(256);
    match op {
        "encode" => {
            for _ in 0..count {
                buffer.clear();
                encode_into(black_box(psi), &mut buffer);
                black_box(&buffer);
            }
        }
        "decode" => {
            for _ in 0..count {
                black_box(decode(black_box(bytes)).unwrap());
            }
        }
        "decode-reused" => {
            let mut decoder = Decoder::default();
            for _ in 0..count {
                black_box(decoder.decode(black_box(bytes)).unwrap());
            }
        }
        other => panic!("unknown operation {other:?}: expected encode, decode or decode-reused"),
    }
}

fn main() {
    let budget = Duration::from_secs(2);
    let p = target(1000);
    let logp: Vec<f64> = p.iter().map(|&x| libm::log(x)).collect();
    let psi = craft_topk(&p, 64, 1.0, EpsChoice::Auto).unwrap();

    let mut buffer = Vec::with_capacity(256);
    if let Some((count, op)) = count_mode() {
        encode_into(&psi, &mut buffer);
        run_counted(&psi, &buffer, count, &op);
        return;
    }
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
    let mut decoder = Decoder::default();
    let reused_rate = rate(budget, || {
        for _ in 0..1000 {
            black_box(decoder.decode(black_box(&buffer)).unwrap());
        }
        1000
    });
    // One encode followed by one decode.
    let round_trip = |decode_rate: f64| 1.0 / (1.0 / encode_rate + 1.0 / decode_rate);
    println!("psi_bytes={}", buffer.len());
    println!("psi_encode_per_s={encode_rate:.0}");
    println!("psi_decode_per_s={decode_rate:.0}");
    println!("psi_decode_reused_per_s={reused_rate:.0}");
    println!("psi_encode_decode_per_s={:.0}", round_trip(decode_rate));
    println!(
        "psi_encode_decode_reused_per_s={:.0}",
        round_trip(reused_rate)
    );

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
