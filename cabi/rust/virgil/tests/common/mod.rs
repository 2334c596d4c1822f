//! Helpers shared by the integration tests: the typed JSON notation of `cabi/testdata/README.md`
//! and hex.

#![allow(dead_code)] // each test binary uses its own part

use std::path::PathBuf;

use serde_json::Value as Json;
use virgil::{Timestamp, Value};

/// A file of the repository's `cabi` directory.
pub fn cabi_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name)
}

/// Reads a JSON file of the repository's `cabi` directory.
pub fn read_json(name: &str) -> Json {
    let path = cabi_file(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes lowercase hex.
pub fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex {text:?}");
    (0..text.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&text[i..i + 2], 16).unwrap_or_else(|_| panic!("bad hex {text:?}"))
        })
        .collect()
}

/// Encodes lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads one typed JSON value: an object with exactly one key naming its family.
pub fn typed(json: &Json) -> Value {
    let obj = json
        .as_object()
        .unwrap_or_else(|| panic!("typed value {json}: not an object"));
    assert_eq!(obj.len(), 1, "typed value {json}: want exactly one key");
    let (tag, body) = obj.iter().next().unwrap();
    match tag.as_str() {
        "nil" => Value::Nil,
        "bool" => Value::Bool(body.as_bool().expect("bool")),
        "int" => match (body.as_i64(), body.as_u64()) {
            (Some(i), _) => Value::Int(i.into()),
            (None, Some(u)) => Value::Int(u.into()),
            _ => panic!("int {body}"),
        },
        "float" => Value::Float(float(body)),
        "float32" => Value::Float32(float(body) as f32),
        "str" => Value::Str(body.as_str().expect("str").to_owned()),
        "bin" => Value::Bin(unhex(body.as_str().expect("bin"))),
        "array" => Value::Array(body.as_array().expect("array").iter().map(typed).collect()),
        "map" => Value::Map(
            body.as_array()
                .expect("map")
                .iter()
                .map(|pair| {
                    let pair = pair.as_array().expect("pair");
                    (typed(&pair[0]), typed(&pair[1]))
                })
                .collect(),
        ),
        "time" => Value::Time(Timestamp {
            sec: body["sec"].as_i64().expect("sec"),
            nsec: body["nsec"].as_u64().expect("nsec") as u32,
        }),
        other => panic!("unknown typed JSON family {other:?}"),
    }
}

fn float(body: &Json) -> f64 {
    match body {
        Json::String(s) if s == "nan" => f64::from_bits(0x7ff8_0000_0000_0000),
        Json::String(s) if s == "inf" => f64::INFINITY,
        Json::String(s) if s == "-inf" => f64::NEG_INFINITY,
        _ => body.as_f64().expect("float"),
    }
}
