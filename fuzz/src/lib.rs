//! What every ψ decoder must guarantee on arbitrary bytes, shared by the fuzz targets: a
//! decoded payload validates and re-encodes to exactly the bytes it came from; anything else
//! is a decode or validation error (never an argument error, never a panic).

use tsd::wire::{
    chain, gauss, topk, KIND_CHAIN, KIND_GAUSS, KIND_TOP_K, KIND_TOP_K_PACKED, VERSION,
};
use tsd::{decode_any, Payload, PsiChain, PsiGauss, PsiTopK, TsdError};

/// Bytes of the trailing CRC-32 of every ψ payload.
const CHECKSUM_BYTES: usize = 4;

/// Runs `check` on the fuzz input as given and, when it differs, on the same bytes with the
/// last four replaced by the CRC-32 of the rest: a random mutation almost never keeps the
/// checksum right, so without the resealed copy the fuzzer would rarely get past it to the
/// field checks behind it.
pub fn for_each_input(data: &[u8], mut check: impl FnMut(&[u8])) {
    check(data);
    if let Some(resealed) = resealed(data) {
        check(&resealed);
    }
}

/// `data` with its last four bytes replaced by the CRC-32 of the others, or `None` when that
/// changes nothing or `data` is shorter than a checksum.
fn resealed(data: &[u8]) -> Option<Vec<u8>> {
    let body_len = data.len().checked_sub(CHECKSUM_BYTES)?;
    let mut out = data[..body_len].to_vec();
    out.extend_from_slice(&crc32fast::hash(&out).to_le_bytes());
    (out != data).then_some(out)
}

/// Decodes `bytes` as a top-K payload and asserts the decoder's contract on the result.
pub fn check_topk(bytes: &[u8]) -> Result<PsiTopK, TsdError> {
    let decoded = topk::decode(bytes);
    match &decoded {
        Ok(psi) => {
            assert_topk_validates(psi);
            assert_eq!(
                topk::encode(psi),
                bytes,
                "a decoded top-K payload re-encodes to its bytes"
            );
        }
        Err(err) => assert_wire_error(err),
    }
    decoded
}

/// Decodes `bytes` as a chain payload and asserts the decoder's contract on the result.
pub fn check_chain(bytes: &[u8]) -> Result<PsiChain, TsdError> {
    let decoded = chain::decode(bytes);
    match &decoded {
        Ok(chain) => {
            assert_chain_validates(chain);
            assert_eq!(
                chain::encode(chain),
                bytes,
                "a decoded chain payload re-encodes to its bytes"
            );
        }
        Err(err) => assert_wire_error(err),
    }
    decoded
}

/// Decodes `bytes` as a Gaussian payload and asserts the decoder's contract on the result.
pub fn check_gauss(bytes: &[u8]) -> Result<PsiGauss, TsdError> {
    let decoded = gauss::decode(bytes);
    match &decoded {
        Ok(psi) => {
            let rebuilt = PsiGauss::new(
                psi.offset(),
                psi.step(),
                psi.mean_codes().to_vec(),
                psi.logvar_codes().to_vec(),
            );
            assert_eq!(rebuilt.as_ref(), Ok(psi), "a decoded Gaussian payload validates");
            assert_eq!(
                gauss::encode(psi),
                bytes,
                "a decoded Gaussian payload re-encodes to its bytes"
            );
        }
        Err(err) => assert_wire_error(err),
    }
    decoded
}

/// The kinds each decoder reads, in the order [`check_any`] runs them: top-K, chain, Gaussian.
const DECODER_KINDS: [&[u8]; 3] = [
    &[KIND_TOP_K, KIND_TOP_K_PACKED],
    &[KIND_CHAIN],
    &[KIND_GAUSS],
];

/// Runs every decoder and [`decode_any`] on `bytes` and asserts that the kind byte alone picks
/// the one that may succeed: the others report the kind, when the envelope itself is bad all
/// report the same error, and `decode_any` returns what the picked decoder returns. Returns the
/// kind that decoded, if any.
pub fn check_any(bytes: &[u8]) -> Option<u8> {
    let topk = check_topk(bytes);
    let chain = check_chain(bytes);
    let gauss = check_gauss(bytes);
    let kind = (bytes.first() == Some(&VERSION))
        .then(|| bytes.get(1).copied())
        .flatten();
    assert_any_agrees(&decode_any(bytes), &topk, &chain, &gauss, kind);
    let results = [topk.map(drop), chain.map(drop), gauss.map(drop)];
    let accepted = results.iter().filter(|r| r.is_ok()).count();
    assert!(accepted <= 1, "two decoders accepted the same bytes");
    let owner = kind.and_then(|k| DECODER_KINDS.iter().position(|kinds| kinds.contains(&k)));
    match (owner, kind) {
        (Some(owner), Some(found)) => {
            for (decoder, result) in results.iter().enumerate() {
                if decoder != owner {
                    let err = result.as_ref().expect_err("only the picked decoder may accept");
                    assert_kind_error(err, found);
                }
            }
            results[owner].is_ok().then_some(found)
        }
        _ => {
            assert_eq!(accepted, 0, "a decoder accepted a bad envelope");
            let messages: Vec<String> = results
                .iter()
                .map(|r| r.as_ref().unwrap_err().to_string())
                .collect();
            assert!(
                messages.windows(2).all(|pair| pair[0] == pair[1]),
                "every decoder reports a bad envelope alike: {messages:?}"
            );
            None
        }
    }
}

/// `decode_any` returns the payload or the error of the decoder that `kind` picks (any, when
/// the envelope is bad: all then report the same error).
fn assert_any_agrees(
    any: &Result<Payload, TsdError>,
    topk: &Result<PsiTopK, TsdError>,
    chain: &Result<PsiChain, TsdError>,
    gauss: &Result<PsiGauss, TsdError>,
    kind: Option<u8>,
) {
    match any {
        Ok(Payload::TopK(psi)) => assert_eq!(topk.as_ref(), Ok(psi), "decode_any agrees on kind 1"),
        Ok(Payload::Chain(got)) => {
            assert_eq!(chain.as_ref(), Ok(got), "decode_any agrees on kind 2")
        }
        Ok(Payload::Gauss(got)) => {
            assert_eq!(gauss.as_ref(), Ok(got), "decode_any agrees on kind 4")
        }
        Err(err) => {
            let picked = match kind {
                Some(KIND_CHAIN) => chain.as_ref().err(),
                Some(KIND_GAUSS) => gauss.as_ref().err(),
                _ => topk.as_ref().err(),
            };
            assert_eq!(
                picked.map(ToString::to_string),
                Some(err.to_string()),
                "decode_any reports the picked decoder's error"
            );
        }
    }
}

/// A wire decoder reports only decode and validation errors, each with a message.
fn assert_wire_error(err: &TsdError) {
    assert!(
        matches!(err, TsdError::PsiDecode(_) | TsdError::PsiValidation(_)),
        "a decoder returned a non-wire error: {err:?}"
    );
    assert!(
        !err.to_string().is_empty(),
        "an error without a message: {err:?}"
    );
}

/// The error of a decoder handed a payload of the other kind `found` names that kind.
fn assert_kind_error(err: &TsdError, found: u8) {
    assert!(
        matches!(
            err,
            TsdError::PsiDecode(tsd::PsiDecodeError::UnexpectedKind { found: f, .. }) if *f == found
        ),
        "kind {found} given to the other decoder gave {err:?}"
    );
}

/// A decoded top-K payload passes the public constructor's validation unchanged.
fn assert_topk_validates(psi: &PsiTopK) {
    let rebuilt = PsiTopK::with_code_bits(
        psi.vocab(),
        psi.ids().to_vec(),
        psi.codes().to_vec(),
        psi.scale(),
        psi.tau(),
        psi.eps(),
        psi.code_bits(),
    );
    assert_eq!(
        rebuilt.as_ref(),
        Ok(psi),
        "a decoded top-K payload validates"
    );
}

/// A decoded chain passes the public constructor's validation unchanged, and so does every
/// conditional top-K payload the verifier may take from it.
fn assert_chain_validates(chain: &PsiChain) {
    let rebuilt = PsiChain::new(
        chain.vocab(),
        chain.k(),
        chain.tau(),
        chain.all_ids().to_vec(),
        chain.all_codes().to_vec(),
        chain.scales().to_vec(),
        chain.eps().to_vec(),
    );
    assert_eq!(
        rebuilt.as_ref(),
        Ok(chain),
        "a decoded chain payload validates"
    );
    for position in 0..chain.len() {
        for slot in 0..chain.rows(position) {
            assert_topk_validates(&chain.conditional(position, slot));
        }
    }
}
