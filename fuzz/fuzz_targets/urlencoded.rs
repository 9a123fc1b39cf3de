//! The urlencoded body: `corsform::decode` never panics on any bytes, what it decodes
//! survives re-encoding, and `decode(encode(pairs)) == pairs` for arbitrary pairs once
//! newlines are normalised as jQuery sends them (`\r` dropped, `\n` sent as `\r\n`).
#![no_main]

use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;

fn normalise(pairs: &[(String, String)]) -> Vec<(String, String)> {
    let one = |text: &str| text.replace('\r', "").replace('\n', "\r\n");
    pairs.iter().map(|(n, v)| (one(n), one(v))).collect()
}

fn round_trip(pairs: &[(String, String)]) {
    let body = corsform::encode(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    assert!(body.is_ascii(), "{body:?}");
    assert_eq!(
        corsform::decode(body.as_bytes()).unwrap(),
        normalise(pairs),
        "{body:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    // The bytes as a body.
    if let Ok(pairs) = corsform::decode(data) {
        round_trip(&pairs);
    }
    // The bytes as arbitrary pairs.
    if let Ok(pairs) = Vec::<(String, String)>::arbitrary_take_rest(Unstructured::new(data)) {
        round_trip(&pairs);
    }
});
