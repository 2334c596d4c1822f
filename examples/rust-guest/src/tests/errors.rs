//! `cabi/conformance/errors.json` run in-process through the ABI symbols (ABI.md, section 9,
//! "Errors of ordinary code"): names, chains, attributes, per-level messages, the user's frame
//! and no glue frames.

use serde_json::Value as Json;
use virgil::testing::call;
use virgil::{Exception, Value, fold};

/// A value in the typed JSON notation (cabi/testdata/README.md).
fn value(json: &Json) -> Value {
    let (kind, v) = json.as_object().unwrap().iter().next().unwrap();
    match kind.as_str() {
        "nil" => Value::Nil,
        "bool" => Value::Bool(v.as_bool().unwrap()),
        "int" => Value::Int(
            v.as_i64()
                .map(i128::from)
                .or_else(|| v.as_u64().map(i128::from))
                .unwrap(),
        ),
        "float" => Value::Float(v.as_f64().unwrap()),
        "str" => Value::from(v.as_str().unwrap()),
        "bin" => {
            let hex = v.as_str().unwrap();
            Value::Bin(
                (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect(),
            )
        }
        "array" => Value::Array(v.as_array().unwrap().iter().map(value).collect()),
        "map" => Value::Map(
            v.as_array()
                .unwrap()
                .iter()
                .map(|pair| (value(&pair[0]), value(&pair[1])))
                .collect(),
        ),
        other => panic!("notation {other:?} is not used by errors.json"),
    }
}

/// Checks that `level`'s attributes hold `want`'s (keys matched exactly or folded).
fn check_attributes(case: &str, level: &Exception, want: &Json, whole: &Exception) {
    for (key, typed) in want.as_object().unwrap() {
        assert_eq!(
            level.attribute(key),
            Some(&value(typed)),
            "{case}: attribute {key}: {whole:?}"
        );
    }
}

fn check_error(case: &str, want: &Json, x: &Exception, glue: &[String]) {
    assert_eq!(x.name, want["name"].as_str().unwrap(), "{case}: {x:?}");
    assert_eq!(x.language, "rust", "{case}");
    if let Some(chain) = want.get("chain") {
        let names: Vec<&str> = x.chain().map(|l| l.name.as_str()).collect();
        let chain: Vec<&str> = chain
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(names, chain, "{case}: {x:?}");
    }
    if let Some(attributes) = want.get("attributes") {
        check_attributes(case, x, attributes, x);
    }
    if let Some(levels) = want.get("levels") {
        for (level, want) in x.chain().zip(levels.as_array().unwrap()) {
            if let Some(message) = want.get("message") {
                assert_eq!(level.message, message.as_str().unwrap(), "{case}: {x:?}");
            }
            if let Some(attributes) = want.get("attributes") {
                check_attributes(case, level, attributes, x);
            }
        }
    }
    if let Some(user) = want.get("user_frame") {
        let last = x
            .traceback
            .last()
            .unwrap_or_else(|| panic!("{case}: no frames: {x:?}"));
        assert!(
            fold(&last.function).contains(&fold(user.as_str().unwrap())),
            "{case}: the last frame is not the user's function: {x:?}"
        );
        assert!(
            !last.file.is_empty() && last.line > 0,
            "{case}: the user's frame has no place: {x:?}"
        );
    }
    for level in x.chain() {
        for frame in &level.traceback {
            for marker in glue {
                assert!(
                    !frame.function.contains(marker.as_str())
                        && !frame.file.contains(marker.as_str()),
                    "{case}: glue frame ({marker}): {x:?}"
                );
            }
            assert!(
                !frame.file.starts_with('/') && !frame.file.starts_with(".."),
                "{case}: files are crate-relative: {x:?}"
            );
        }
    }
}

#[test]
fn every_case_of_errors_json() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../cabi/conformance/errors.json"
    );
    let doc: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(doc["abi"], 1);
    let glue: Vec<String> = doc["glue_markers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 9, "only {} cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let function = case["function"].as_str().unwrap();
        let args: Vec<Value> = case["args"].as_array().unwrap().iter().map(value).collect();
        let got = call::<Value>(function, &args);
        match case.get("result") {
            Some(want) => assert_eq!(got, Ok(value(want)), "{name}"),
            None => check_error(name, &case["error"], &got.expect_err(name), &glue),
        }
    }
}

#[test]
fn ordinary_errors_read_as_rust_sees_them() {
    let x = call::<Vec<u8>>("load_config", &("/nonexistent-virgil-conformance/x",)).unwrap_err();
    assert_eq!(x.to_string(), "load config");
    assert_eq!(
        x.chain_text(),
        "load config: /nonexistent-virgil-conformance/x: No such file or directory (os error 2)"
    );
    assert_eq!(x.io_error_kind(), Some(std::io::ErrorKind::NotFound));
    let source = std::error::Error::source(&x).expect("the cause");
    assert_eq!(
        source.to_string(),
        "/nonexistent-virgil-conformance/x: No such file or directory (os error 2)"
    );
    let story = format!("{x:#}");
    assert!(
        story.starts_with("FileNotFoundError: load config [rust]")
            && story.contains("caused by: FileNotFoundError: /nonexistent")
            && story.contains("errno = 2")
            && story.contains("in conformance_rust::load_config"),
        "{story}"
    );
    let frames = &x.traceback;
    assert!(
        frames.iter().all(|f| f.file == "src/lib.rs"),
        "files as file!() shows them: {frames:?}"
    );

    let x = call::<()>("fail_plain", &("plain failure",)).unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.to_string().as_str()),
        ("Exception", "plain failure")
    );
    assert_eq!(x.traceback.len(), 1, "the exported function's frame");
    assert_eq!(x.traceback[0].function, "conformance_rust::fail_plain");

    let x = call::<()>("fail_attrs", &(7, "disk full")).unwrap_err();
    assert_eq!(x.message, "quota 7 exceeded: disk full");
    let keys: Vec<&str> = x.attributes.keys().map(String::as_str).collect();
    assert_eq!(keys, ["code", "reason"]);
}
