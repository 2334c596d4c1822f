//! Every case of `cabi/testdata/edges.json` (ABI.md sections 5 and 11): the kit's [`Value`]
//! decoder reads `hex` as `any` and writes it back as `canonical_hex` (else `hex`), or refuses it:
//! `virgil.LimitExceeded` for a limit, malformed for anything else.

mod common;

use common::{hex, read_json, unhex};
use virgil::{Value, decode, encode};

#[test]
fn every_edge_has_one_answer() {
    let doc = read_json("testdata/edges.json");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 30, "{} cases", cases.len());
    // Decoding 512 levels recurses through serde; a thread with room for it, as a guest's
    // caller's thread has.
    let failures: Vec<String> = std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn({
            let cases = cases.clone();
            move || cases.iter().filter_map(check).collect()
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check(case: &serde_json::Value) -> Option<String> {
    let name = case["name"].as_str().expect("name");
    let bytes = unhex(case["hex"].as_str().expect("hex"));
    let decoded = decode::<Value>(&bytes);
    match (case["error"].as_str(), decoded) {
        (Some(want), Ok(v)) => Some(format!("{name}: accepted {v}, want {want}")),
        (Some(want), Err(e)) => {
            let limit = want == "virgil.LimitExceeded";
            assert!(limit || want == "malformed", "{name}: unknown error {want}");
            (e.is_limit() != limit).then(|| format!("{name}: refused ({e}), want {want}"))
        }
        (None, Err(e)) => Some(format!("{name}: refused: {e}")),
        (None, Ok(v)) => {
            let want = case["canonical_hex"]
                .as_str()
                .map_or_else(|| bytes.clone(), unhex);
            match encode(&v) {
                Ok(got) if got == want => None,
                Ok(got) => Some(format!("{name}: wrote {}, want {}", hex(&got), hex(&want))),
                Err(e) => Some(format!("{name}: could not write it back: {e}")),
            }
        }
    }
}

/// The extension values the cases keep are kept as values too, not only as bytes.
#[test]
fn extensions_are_values() {
    assert_eq!(
        decode::<Value>(&[0xd4, 0x01, 0x00]),
        Ok(Value::Ext(1, vec![0]))
    );
    assert_eq!(
        decode::<Value>(&[0xc7, 0x03, 0x41, 1, 2, 3]),
        Ok(Value::Ext(65, vec![1, 2, 3]))
    );
    let e = decode::<Value>(&[0xc7, 0x03, 0xff, 0, 0, 0]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a timestamp extension of a length other than 4, 8 or 12"
    );
    let e = decode::<Value>(&[0x82, 0x01, 0x01, 0xcd, 0x00, 0x01, 0x02]).unwrap_err();
    assert_eq!(e.to_string(), "a map with the key 1 twice");
}
