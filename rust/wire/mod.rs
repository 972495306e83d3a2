//! The versioned ψ wire format, one file per payload kind ([`topk`], [`chain`]) in one
//! checksummed envelope; [`decode_any`] dispatches on the kind byte.

mod bits;
pub mod chain;
pub mod topk;

pub(crate) use topk::{
    check_envelope, check_length_and_checksum, f32_at, ids_len, read_count, read_ids, seal,
    varint_len, write_ids, CHECKSUM_BYTES,
};
pub use topk::{
    decode, encode, encode_into, encoded_len, KIND_CHAIN, KIND_TOP_K, MIN_ENCODED_LEN, VERSION,
};
