//! Golden vectors: ψ wire bytes and log q bit patterns (tests/data/golden_psi.json), Gaussian
//! payloads, draws and log densities (golden_gauss.json), and the verifier's exp and cumulative
//! masses (golden_exp.json). Any platform, compiler or refactor that changes one bit fails here.

use serde_json::Value;
use tsd::fmap::logq_for_ids;
use tsd::rng;
use tsd::tsu::{Sampler, SimTsu};
use tsd::wire::gauss;
use tsd::wire::topk::{decode, encode};

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/golden_psi.json");
    let text = std::fs::read_to_string(path).expect("golden vectors are committed");
    let document: Value = serde_json::from_str(&text).unwrap();
    document["cases"].as_array().unwrap().clone()
}

#[test]
fn wire_bytes_decode_and_re_encode_identically() {
    for case in cases() {
        let bytes = hex_to_bytes(case["psi_hex"].as_str().unwrap());
        let psi = decode(&bytes).unwrap();
        assert_eq!(encode(&psi), bytes, "case {}", case["name"]);
    }
}

#[test]
fn logq_matches_the_pinned_bit_patterns() {
    for case in cases() {
        let psi = decode(&hex_to_bytes(case["psi_hex"].as_str().unwrap())).unwrap();
        let tokens: Vec<u32> = case["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap() as u32)
            .collect();
        let logq = logq_for_ids(&psi, &tokens).unwrap();
        for (value, bits) in logq.iter().zip(case["logq_bits"].as_array().unwrap()) {
            let expected = u64::from_str_radix(bits.as_str().unwrap(), 16).unwrap();
            assert_eq!(value.to_bits(), expected, "case {}", case["name"]);
        }
    }
}

#[test]
fn tsu_draws_return_the_pinned_values() {
    for case in cases() {
        let psi = decode(&hex_to_bytes(case["psi_hex"].as_str().unwrap())).unwrap();
        let sampler = Sampler::new(&psi);
        let tsu = SimTsu::new(42);
        for step in 0..500 {
            let (token, logq) = tsu.draw(&sampler, step);
            let reference = logq_for_ids(&psi, &[token]).unwrap()[0];
            assert_eq!(logq.to_bits(), reference.to_bits());
        }
    }
}

#[test]
fn rng_words_are_pinned() {
    // The Python reference replays runs from these words; they must never drift.
    assert_eq!(
        rng::words(7, rng::STREAM_TSU, 0),
        [0xc009_f9dc_f460_7a2d, 0x15ed_ac82_1d3a_ba42]
    );
    assert_eq!(
        rng::words(7, rng::STREAM_TSU, 1),
        [0xcb97_bc13_682e_8e9b, 0xf535_eea6_2bfa_ff6b]
    );
    assert_eq!(
        rng::words(u64::MAX, rng::STREAM_VERIFY, 1 << 40),
        [0x06f4_a45d_270e_04f1, 0x96a3_39d4_5091_df36]
    );
}

fn gauss_cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/golden_gauss.json");
    let text = std::fs::read_to_string(path).expect("golden vectors are committed");
    let document: Value = serde_json::from_str(&text).unwrap();
    document["cases"].as_array().unwrap().clone()
}

fn bits(values: &Value) -> Vec<u64> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|b| u64::from_str_radix(b.as_str().unwrap(), 16).unwrap())
        .collect()
}

#[test]
fn gaussian_bytes_draws_and_log_densities_are_pinned() {
    for case in gauss_cases() {
        let bytes = hex_to_bytes(case["psi_hex"].as_str().unwrap());
        let psi = gauss::decode(&bytes).unwrap();
        assert_eq!(gauss::encode(&psi), bytes, "case {}", case["name"]);
        let steps: Vec<u64> = case["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_u64().unwrap())
            .collect();
        let payloads = vec![&psi; steps.len()];
        let seed = case["seed"].as_u64().unwrap();
        let draws = tsd::tsu::gauss::draw_each(&payloads, seed, &steps).unwrap();
        let values: Vec<u64> = draws.values.iter().map(|v| v.to_bits()).collect();
        let logq: Vec<u64> = draws.logq.iter().map(|v| v.to_bits()).collect();
        assert_eq!(values, bits(&case["values_bits"]), "case {}", case["name"]);
        assert_eq!(logq, bits(&case["logq_bits"]), "case {}", case["name"]);
    }
}

/// The bit patterns of one list in tests/data/golden_exp.json.
fn exp_golden(section: &str, list: &str) -> Vec<f64> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/golden_exp.json");
    let text = std::fs::read_to_string(path).expect("golden values are committed");
    let document: Value = serde_json::from_str(&text).unwrap();
    document[section][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|bits| f64::from_bits(u64::from_str_radix(bits.as_str().unwrap(), 16).unwrap()))
        .collect()
}

#[test]
fn the_verifier_exp_gives_the_pinned_bits_as_numpy_replays_them() {
    let inputs = exp_golden("exp", "inputs");
    let mut row = vec![0.0; inputs.len()];
    tsd::exp::exp_into(&inputs, &mut row);
    for ((&x, &want), &got) in inputs.iter().zip(&exp_golden("exp", "outputs")).zip(&row) {
        if want.is_nan() {
            assert!(tsd::exp::exp(x).is_nan() && got.is_nan());
        } else {
            assert_eq!(tsd::exp::exp(x).to_bits(), want.to_bits(), "exp({x:e})");
            assert_eq!(got.to_bits(), want.to_bits(), "exp_into at {x:e}");
        }
    }
}

#[test]
fn cumulative_masses_give_the_pinned_bits_as_numpy_replays_them() {
    let masses = exp_golden("cumulative", "masses");
    let expected = exp_golden("cumulative", "outputs");
    let got = tsd::cumulative::cumulative(&masses);
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g.to_bits(), e.to_bits(), "entry {i}");
    }
}
