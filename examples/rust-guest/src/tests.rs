//! The conformance functions called in-process through their ABI symbols, as a host calls them.

use virgil::testing::call;
use virgil::{Exception, Value};

use super::Summary;

mod callbacks;
mod errors;
mod hostile;

#[test]
fn add() {
    assert_eq!(call::<i64>("add", &(1, 2)), Ok(3));
    assert_eq!(
        call::<i64>("add", &(4_000_000_000i64, 5_000_000_000i64)),
        Ok(9_000_000_000)
    );
    let x = call::<i64>("add", &(i64::MAX, 1)).unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        ("OverflowError", "integer overflow")
    );
    assert_eq!(x.traceback.len(), 1, "the exported function's frame");
    assert_eq!(x.traceback[0].function, "conformance_rust::add");
    assert!(x.traceback[0].file.ends_with("lib.rs") && x.traceback[0].line > 0);
}

#[test]
fn argument_errors() {
    let x = call::<i64>("add", &(1, "two")).unwrap_err();
    assert_eq!(x.name, "virgil.ArgumentError");
    assert_eq!(x.message, "add: argument 2: expected int, got str");
    let x = call::<i64>("add", &(1,)).unwrap_err();
    assert_eq!(x.message, "add: expected 2 arguments, got 1");
    let x = call::<i64>("add", &(1, 2.5)).unwrap_err();
    assert_eq!(x.message, "add: argument 2: expected int, got float");
    let x = call::<Summary>("stats", &(vec![Value::Float(1.0), Value::from("x")],)).unwrap_err();
    assert_eq!(
        x.message,
        "stats: argument 1: element 2: expected float, got str"
    );
    let x = call::<Vec<u8>>("echo_bytes", &("text",)).unwrap_err();
    assert_eq!(x.message, "echo_bytes: argument 1: expected bytes, got str");
    let x = call::<String>("greet", &(virgil::ByteBuf::from(b"abc".to_vec()),)).unwrap_err();
    assert_eq!(x.message, "greet: argument 1: expected str, got bytes");
}

#[test]
fn greet_and_divide() {
    assert_eq!(
        call::<String>("greet", &("Zoë 世界",)).unwrap(),
        "Hello, Zoë 世界!"
    );
    assert_eq!(call::<f64>("divide", &(7.0, 2.0)), Ok(3.5));
    assert_eq!(call::<f64>("divide", &(1, 4)), Ok(0.25));
    let x = call::<f64>("divide", &(1.0, 0.0)).unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        ("ZeroDivisionError", "division by zero")
    );
}

#[test]
fn echo_keeps_every_family() {
    let v = Value::Map(vec![
        (Value::Int(1), Value::from("int key")),
        (Value::from("f32"), Value::Float32(1.5)),
        (Value::from("bin"), Value::Bin(vec![0, 255])),
        (
            Value::from("time"),
            Value::Time(virgil::Timestamp { sec: -1, nsec: 500 }),
        ),
        (Value::from("ext"), Value::Ext(5, vec![1, 2, 3])),
        (Value::from("big"), Value::Int(u64::MAX.into())),
        (
            Value::from("nested"),
            Value::Array(vec![Value::Nil, Value::Bool(true), Value::Float(-0.0)]),
        ),
    ]);
    assert_eq!(call::<Value>("echo", &(v.clone(),)), Ok(v));
}

/// A value nested 512 deep (the most ABI.md section 11 allows) is lifted on a stack of the kit's
/// own: a caller's thread with a small stack (musl's default of 128 KiB) survives it.
#[test]
fn deep_values_on_a_small_stack() {
    let mut args = vec![0x91];
    args.extend(std::iter::repeat_n(0x91, 512));
    args.push(0x01);
    let echo = virgil::testing::symbol("echo").expect("echo is exported");
    let add = virgil::testing::symbol("add").expect("add is exported");
    let (deep, shallow) = std::thread::Builder::new()
        .stack_size(128 << 10)
        .spawn(move || {
            let deep = virgil::testing::call_raw(echo, &args, 0).bytes;
            let shallow = virgil::testing::call_raw(add, &[0x92, 0x01, 0x02], 0).bytes;
            (deep, shallow)
        })
        .unwrap()
        .join()
        .expect("the small thread survives");
    let mut want = b"\x81\xa2ok".to_vec();
    want.extend(std::iter::repeat_n(0x91, 512));
    want.push(0x01);
    assert_eq!(deep, want);
    assert_eq!(shallow, b"\x81\xa2ok\x03");
}

#[test]
fn echo_bytes() {
    let big: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    let got: virgil::ByteBuf = call("echo_bytes", &(virgil::Bytes::new(&big),)).unwrap();
    assert_eq!(got.into_vec(), big);
}

#[test]
fn stats() {
    let s: Summary = call("stats", &(vec![1.0, 2.0, 6.0],)).unwrap();
    assert_eq!(
        s,
        Summary {
            count: 3,
            mean: 3.0,
            min: 1.0,
            max: 6.0
        }
    );
    let s: Summary = call("stats", &(vec![1, 3],)).unwrap();
    assert_eq!(
        s,
        Summary {
            count: 2,
            mean: 2.0,
            min: 1.0,
            max: 3.0
        }
    );
    assert_eq!(
        call::<Summary>("stats", &(Vec::<f64>::new(),))
            .unwrap_err()
            .name,
        "ValueError"
    );
    // nil is the empty list (ABI.md, section 5), which stats refuses as a value, not as a type.
    assert_eq!(
        call::<Summary>("stats", &(Value::Nil,)).unwrap_err().name,
        "ValueError"
    );
}

#[test]
fn fail_chain() {
    let x = call::<()>("fail_chain", &(5,)).unwrap_err();
    let levels: Vec<&Exception> = x.chain().collect();
    let names: Vec<&str> = levels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ChainLevel5",
            "ChainLevel4",
            "ChainLevel3",
            "ChainLevel2",
            "ChainLevel1"
        ]
    );
    for (level, n) in levels.iter().zip((1..=5).rev()) {
        assert_eq!(level.message, format!("level {n}"));
        assert_eq!(level.language, "rust");
        assert!(!level.traceback.is_empty(), "{level:#?}");
        let last = level.traceback.last().unwrap();
        assert!(
            last.function.contains("conformance_rust"),
            "{:#?}",
            level.traceback
        );
    }
    for depth in [0, 101, -1] {
        assert_eq!(
            call::<()>("fail_chain", &(depth,)).unwrap_err().name,
            "ValueError"
        );
    }
}

#[test]
fn crash_is_a_panic_record() {
    let x = call::<()>("crash", &()).unwrap_err();
    assert_eq!(x.name, "virgil.Panic");
    assert_eq!(
        x.message,
        "index out of bounds: the len is 0 but the index is 3"
    );
    assert!(
        x.notes
            .iter()
            .any(|n| n.starts_with("panicked at ") && n.contains("lib.rs")),
        "{x:#?}"
    );
    assert!(
        x.traceback
            .iter()
            .any(|f| f.function == "conformance_rust::crash"),
        "{x:#?}"
    );
}

#[test]
fn sleep_ms() {
    assert_eq!(call::<()>("sleep_ms", &(1,)), Ok(()));
    assert_eq!(
        call::<()>("sleep_ms", &(10_001,)).unwrap_err().name,
        "ValueError"
    );
    assert_eq!(
        call::<()>("sleep_ms", &(-1,)).unwrap_err().name,
        "ValueError"
    );
}

#[test]
fn manifest() {
    let m: virgil::Manifest = call("virgil_manifest", &()).unwrap();
    assert_eq!(
        (m.abi, m.library.as_str(), m.language.as_str()),
        (1, "conformance", "rust")
    );
    assert_eq!(m.version, "1.0.0");
    assert!(
        m.borrow,
        "the kit's functions accept borrowed bytes (ABI.md section 16)"
    );
    let names: Vec<&str> = m.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "add",
            "apply",
            "crash",
            "divide",
            "echo",
            "echo_bytes",
            "fail_attrs",
            "fail_chain",
            "fail_plain",
            "fire",
            "fold",
            "greet",
            "load_config",
            "map_ints",
            "parse_int",
            "read_file",
            "register",
            "sleep_ms",
            "stats",
            "unregister"
        ]
    );
    let stats = m.functions.iter().find(|f| f.name == "stats").unwrap();
    assert_eq!(stats.params[0].name, "xs");
    assert_eq!(stats.params[0].ty, "[float]");
    assert_eq!(
        stats.result,
        r#"{"count": int, "mean": float, "min": float, "max": float}"#
    );
    assert_eq!(
        stats.doc,
        "stats summarizes xs; an empty list raises ValueError."
    );
    let echo_bytes = m.functions.iter().find(|f| f.name == "echo_bytes").unwrap();
    assert_eq!(
        (echo_bytes.params[0].ty.as_str(), echo_bytes.result.as_str()),
        ("bytes", "bytes")
    );
    let crash = m.functions.iter().find(|f| f.name == "crash").unwrap();
    assert!(crash.params.is_empty());
    assert_eq!(crash.result, "nil");
}
