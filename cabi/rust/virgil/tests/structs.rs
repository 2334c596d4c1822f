//! The struct rule of ABI.md, section 5, on every case of `cabi/testdata/structs.json`: the
//! records declared in Rust's spelling (snake_case, no renames), lifted with [`virgil::lift`]
//! and, through an exported function, as arguments.

#![allow(clippy::result_large_err)] // the ABI's record as an error

mod common;

use common::{read_json, typed, unhex};
use serde::{Deserialize, Serialize};
use virgil::testing::call_raw;
use virgil::{AbiType, Exception, Value, decode, encode, fold, lift};

#[derive(Debug, Serialize, Deserialize, AbiType)]
struct Summary {
    count: i64,
    mean: f64,
    min: f64,
    max: f64,
}

#[derive(Debug, Serialize, Deserialize, AbiType)]
struct Limits {
    max_value: i64,
    min_value: i64,
    note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, AbiType)]
struct Shape {
    name: String,
    origin: Point,
    tags: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, AbiType)]
struct Point {
    x: f64,
    y: f64,
}

/// Lifts `bytes` as the record `ty` and writes it back as a generic value.
fn lift_as(ty: &str, bytes: &[u8]) -> Result<Value, String> {
    fn round<T: Serialize + serde::de::DeserializeOwned + AbiType>(
        bytes: &[u8],
    ) -> Result<Value, String> {
        let record: T = lift(bytes).map_err(|e| e.to_string())?;
        Ok(decode(&encode(&record).unwrap()).unwrap())
    }
    match ty {
        "Summary" => round::<Summary>(bytes),
        "Limits" => round::<Limits>(bytes),
        "Shape" => round::<Shape>(bytes),
        "Point" => round::<Point>(bytes),
        other => panic!("structs.json declares {other}, unknown to this test"),
    }
}

#[virgil::export]
fn limits_span(limits: Limits) -> i64 {
    limits.max_value - limits.min_value
}

#[virgil::export]
fn shape_tags(shape: Shape, suffix: &str) -> Vec<String> {
    shape.tags.into_iter().map(|t| t + suffix).collect()
}

#[test]
fn every_case_of_structs_json() {
    let doc = read_json("testdata/structs.json");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 15, "only {} cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let ty = case["type"].as_str().unwrap();
        let got = lift_as(ty, &unhex(case["hex"].as_str().unwrap()));
        match case.get("error") {
            None => assert_eq!(got, Ok(typed(&case["value"])), "{name}"),
            Some(want) => {
                let message = got.expect_err(name);
                let folded = fold(&message);
                let field = fold(want["field"].as_str().unwrap());
                assert!(folded.contains(&field), "{name}: {message}");
                let kind = want["kind"].as_str().unwrap();
                if kind != "type" {
                    assert!(folded.contains(kind), "{name}: {message}");
                }
            }
        }
    }
}

/// Calls `function` with these argument bytes (an array's elements, already encoded).
fn call_with(function: &str, args: &[&[u8]]) -> Result<Value, Exception> {
    let mut input = vec![0x90 | args.len() as u8];
    for a in args {
        input.extend_from_slice(a);
    }
    let f = virgil::testing::symbol(function).expect("exported");
    decode::<virgil::Envelope>(&call_raw(f, &input, 0).bytes)
        .unwrap()
        .into_result()
}

#[test]
fn arguments_follow_the_struct_rule() {
    // {"MaxValue": 10, "MinValue": 1}: Go's spelling.
    let go = unhex("82a84d617856616c75650aa84d696e56616c756501");
    assert_eq!(call_with("limits_span", &[&go]), Ok(Value::Int(9)));
    // A renamed key before a later argument: the argument ends move with the renaming.
    let shape = unhex(
        "83a44e616d65a3747269a64f726967696e82a158cb3ff0000000000000a159cb4000000000000000a45461677391a161",
    );
    assert_eq!(
        call_with("shape_tags", &[&shape, &encode(&"!").unwrap()]),
        Ok(Value::Array(vec![Value::from("a!")]))
    );
    let x = call_with("limits_span", &[&unhex("81a96d61785f76616c75650a")]).unwrap_err();
    assert_eq!(x.name, "virgil.ArgumentError");
    assert_eq!(
        x.message,
        "limits_span: argument 1: Limits: missing field min_value"
    );
    let ambiguous = unhex("83a86d617856616c75650aa94d41585f56414c55450ba96d696e5f76616c756501");
    let x = call_with("limits_span", &[&ambiguous]).unwrap_err();
    assert_eq!(
        x.message,
        "limits_span: argument 1: Limits: ambiguous keys for field max_value: \"maxValue\" and \"MAX_VALUE\""
    );
    // A field given twice, by its wire name or by two spellings of it, is a duplicate key only
    // when the keys are equal: {"max_value": 1, "min_value": 0, "max_value": 2}.
    let twice = unhex("83a96d61785f76616c756501a96d696e5f76616c756500a96d61785f76616c756502");
    let x = call_with("limits_span", &[&twice]).unwrap_err();
    assert_eq!(x.name, "virgil.ArgumentError");
    assert_eq!(
        x.message,
        "limits_span: argument 1: Limits: a map with the key \"max_value\" twice"
    );
    let nested = unhex("83a46e616d65a3747269a66f726967696e81a178cb3ff0000000000000a47461677390");
    let x = call_with("shape_tags", &[&nested, &encode(&"").unwrap()]).unwrap_err();
    assert_eq!(
        x.message,
        "shape_tags: argument 1: field \"origin\": Point: missing field y"
    );
}
