//! Exported functions called through their C symbols, as a host calls them: argument lifting and
//! its errors, the scratch-buffer protocol, panics, error chains, the manifest and the counters.

#![allow(clippy::result_large_err)] // functions that return the ABI's record as their error

mod common;

use std::collections::HashMap;
use std::fmt;
use std::io;

use serde::{Deserialize, Serialize};
use virgil::testing::{call, call_raw, symbol};
use virgil::{AbiType, Exception, Manifest, Stats, Timestamp, Value, VirgilBox, decode, encode};

virgil::library!(name = "kit-tests", version = "9.9.9");

/// add returns a + b, wrapping.
#[virgil::export]
fn add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

#[virgil::export]
fn greet(name: &str) -> String {
    format!("Hello, {name}!")
}

#[virgil::export]
fn echo(v: Value) -> Value {
    v
}

#[virgil::export]
fn reverse_bytes(mut b: Vec<u8>) -> Vec<u8> {
    b.reverse();
    b
}

#[virgil::export]
fn first_byte(b: &[u8]) -> Option<u8> {
    b.first().copied()
}

#[virgil::export]
fn filled(n: usize) -> Result<Box<[u8]>, Never> {
    Ok(vec![7; n].into_boxed_slice())
}

#[virgil::export]
fn nothing() {}

#[virgil::export(name = "renamed_symbol")]
fn renamed() -> &'static str {
    "renamed"
}

#[virgil::export]
fn half(x: f32) -> f32 {
    x / 2.0
}

#[virgil::export]
fn count(xs: Vec<i64>) -> usize {
    xs.len()
}

#[virgil::export]
fn small(x: u8) -> u8 {
    x
}

#[derive(Debug, Default, Serialize, Deserialize, AbiType)]
#[serde(default)]
struct Point {
    x: f64,
    y: f64,
}

#[virgil::export]
fn norm(p: Point) -> f64 {
    p.x.hypot(p.y)
}

#[virgil::export]
fn lookup(m: HashMap<String, i64>, key: String) -> Option<i64> {
    m.get(&key).copied()
}

#[virgil::export]
fn later(t: Timestamp, seconds: i64) -> Timestamp {
    Timestamp {
        sec: t.sec + seconds,
        nsec: t.nsec,
    }
}

#[virgil::export]
fn explode(n: i64) -> i64 {
    panic!("boom {n}")
}

#[virgil::export]
fn explode_deep(v: Value) -> i64 {
    panic!("deep {}", matches!(v, Value::Array(_)))
}

/// An error type that names itself and wraps an io::Error.
#[derive(Debug)]
#[virgil::exception(name = "ConfigError")]
struct ConfigError {
    path: String,
    source: io::Error,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reading {}: {}", self.path, self.source)
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

#[virgil::export]
fn config(path: &str) -> Result<(), ConfigError> {
    Err(ConfigError {
        path: path.to_owned(),
        source: io::Error::new(io::ErrorKind::NotFound, "no such file"),
    })
}

/// An error type that registers nothing, wrapping another that registers nothing.
#[derive(Debug)]
struct Outer(Inner);

#[derive(Debug)]
struct Inner;

impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("outer failed")
    }
}

impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("inner failed")
    }
}

impl std::error::Error for Inner {}

#[virgil::export]
fn unnamed() -> Result<(), Outer> {
    Err(Outer(Inner))
}

#[inline(never)]
fn parse(text: &str) -> Result<u16, virgil::Error> {
    Ok(text.trim().parse::<u16>()?)
}

#[virgil::export]
fn port(text: &str) -> Result<u16, virgil::Error> {
    parse(text)
}

#[virgil::export]
fn foreign() -> Result<(), Exception> {
    let mut cause = Exception::new("KeyError", "'x'");
    cause.language = "python".into();
    Err(Exception::new("LookupFailed", "lookup failed")
        .with_cause(cause)
        .with_note("from a test"))
}

/// An error that never happens.
#[derive(Debug)]
enum Never {}

impl fmt::Display for Never {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl std::error::Error for Never {}

struct Unwritable;

impl Serialize for Unwritable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "this value refuses to be written",
        ))
    }
}

impl AbiType for Unwritable {
    const TYPE: virgil::Ty = virgil::Ty::Any;
}

#[virgil::export]
fn unwritable() -> Unwritable {
    Unwritable
}

fn raw(name: &str, args: &[u8]) -> Envelope {
    let reply = call_raw(symbol(name).expect("exported"), args, 64);
    decode::<virgil::Envelope>(&reply.bytes)
        .unwrap_or_else(|e| panic!("{name}: {e}: {:02x?}", reply.bytes))
}

type Envelope = virgil::Envelope<Value>;

fn error(name: &str, args: &[u8]) -> Exception {
    match raw(name, args) {
        Envelope::Error(x) => x,
        ok => panic!("{name} replied {ok:?}"),
    }
}

#[test]
fn values_cross_both_ways() {
    assert_eq!(call::<i64>("add", &(1, 2)), Ok(3));
    assert_eq!(
        call::<String>("greet", &("World",)).unwrap(),
        "Hello, World!"
    );
    assert_eq!(
        call::<virgil::ByteBuf>("reverse_bytes", &(virgil::Bytes::new(b"abc"),))
            .unwrap()
            .into_vec(),
        b"cba"
    );
    assert_eq!(
        call::<Option<u8>>("first_byte", &(virgil::Bytes::new(b""),)),
        Ok(None)
    );
    assert_eq!(
        call::<virgil::ByteBuf>("filled", &(3,)).unwrap().into_vec(),
        [7, 7, 7]
    );
    assert_eq!(call::<()>("nothing", &()), Ok(()));
    assert_eq!(call::<String>("renamed_symbol", &()).unwrap(), "renamed");
    assert_eq!(call::<f32>("half", &(3,)), Ok(1.5));
    assert_eq!(
        call::<f64>("norm", &(HashMap::from([("x", 3.0), ("y", 4.0)]),)),
        Ok(5.0)
    );
    assert_eq!(
        call::<Option<i64>>("lookup", &(HashMap::from([("k", 1)]), "k")),
        Ok(Some(1))
    );
    let t = Timestamp {
        sec: 1_700_000_000,
        nsec: 5,
    };
    assert_eq!(
        call::<Timestamp>("later", &(t, 10)),
        Ok(Timestamp {
            sec: 1_700_000_010,
            nsec: 5
        })
    );
}

#[test]
fn results_are_canonical() {
    // 3 as a positive fixint, a float 32 only where declared, structs as maps, bin for bytes.
    assert_eq!(
        call_raw(symbol("add").unwrap(), b"\x92\x01\x02", 64).bytes,
        b"\x81\xa2ok\x03"
    );
    assert_eq!(
        call_raw(symbol("half").unwrap(), b"\x91\x03", 64).bytes,
        b"\x81\xa2ok\xca\x3f\xc0\x00\x00"
    );
    assert_eq!(
        call_raw(symbol("nothing").unwrap(), b"\x90", 64).bytes,
        b"\x81\xa2ok\xc0"
    );
    assert_eq!(
        call_raw(symbol("filled").unwrap(), b"\x91\x01", 64).bytes,
        b"\x81\xa2ok\xc4\x01\x07"
    );
    assert_eq!(
        call_raw(symbol("add").unwrap(), b"\x92\xd1\x00\x05\x01", 64).bytes,
        b"\x81\xa2ok\x06"
    );
}

#[test]
fn the_lifting_rules() {
    // float accepts integers, int does not accept floats
    assert_eq!(
        call::<f64>("norm", &(HashMap::from([("x", 3), ("y", 4)]),)),
        Ok(5.0)
    );
    // nil is the empty list, map and record
    assert_eq!(call::<usize>("count", &(Value::Nil,)), Ok(0));
    assert_eq!(call::<Option<i64>>("lookup", &(Value::Nil, "k")), Ok(None));
    assert_eq!(call::<f64>("norm", &(Value::Nil,)), Ok(0.0));
    // a record ignores keys that name no field; missing fields take their zero value
    assert_eq!(
        call::<f64>("norm", &(HashMap::from([("x", 2.0), ("z", 9.0)]),)),
        Ok(2.0)
    );
    // integers out of the native range
    let x = call::<u8>("small", &(300,)).unwrap_err();
    assert_eq!(x.name, "virgil.ArgumentError");
    assert!(
        x.message.starts_with("small: argument 1: "),
        "{}",
        x.message
    );
    let x = call::<u8>("small", &(-1,)).unwrap_err();
    assert_eq!(
        x.message,
        "small: argument 1: expected uint, got negative int"
    );
}

#[test]
fn argument_errors_name_the_function_and_the_argument() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "add",
            b"\x92\x01\xa3two",
            "add: argument 2: expected int, got str",
        ),
        (
            "add",
            b"\x92\x01\xcb\x40\x04\0\0\0\0\0\0",
            "add: argument 2: expected int, got float",
        ),
        ("add", b"\x91\x01", "add: expected 2 arguments, got 1"),
        (
            "add",
            b"\x93\x01\x02\x03",
            "add: expected 2 arguments, got 3",
        ),
        (
            "add",
            b"",
            "add: malformed arguments: empty input, expected an array",
        ),
        (
            "add",
            b"\x81\xa1a\x01",
            "add: arguments must be an array, got map",
        ),
        (
            "add",
            b"\x92\x01",
            "add: malformed arguments: truncated input",
        ),
        ("add", b"\x91\xa5Hel", "add: expected 2 arguments, got 1"),
        (
            "add",
            b"\xc1\xc1\xc1",
            "add: malformed arguments: the reserved byte 0xc1",
        ),
        (
            "add",
            b"\x92\x01\x02\xff",
            "add: malformed arguments: 1 trailing byte after the array",
        ),
        (
            "greet",
            b"\x91\x05",
            "greet: argument 1: expected str, got int",
        ),
        (
            "greet",
            b"\x91\xc4\x01a",
            "greet: argument 1: expected str, got bytes",
        ),
        (
            "greet",
            b"\x91\xa2\xff\xfe",
            "greet: argument 1: a str that is not valid UTF-8",
        ),
        (
            "reverse_bytes",
            b"\x91\xa4text",
            "reverse_bytes: argument 1: expected bytes, got str",
        ),
        (
            "count",
            b"\x91\x92\x01\xa1x",
            "count: argument 1: element 2: expected int, got str",
        ),
        (
            "norm",
            b"\x91\x81\xa1x\xa1s",
            "norm: argument 1: field \"x\": expected float, got str",
        ),
        (
            "norm",
            b"\x91\x91\x01",
            "norm: argument 1: expected {\"x\": float, \"y\": float}, got list",
        ),
        (
            "later",
            b"\x92\xd5\x05\0\0\x01",
            "later: argument 1: expected time, got ext 5",
        ),
    ];
    for (name, args, message) in cases {
        let x = error(name, args);
        assert_eq!(x.name, "virgil.ArgumentError", "{name} {args:02x?}");
        assert_eq!(x.message, *message, "{name} {args:02x?}");
        assert_eq!(x.language, "rust");
        assert!(
            x.traceback[0].function.ends_with(&format!("ffi::{name}")) || *name == "renamed_symbol"
        );
    }
}

#[test]
fn nesting_is_limited_to_512_levels() {
    let nested = |depth: usize| {
        let mut args = vec![0x91];
        args.extend(std::iter::repeat_n(0x91, depth));
        args.push(0x01);
        args
    };
    // The argument array does not count: echo of a value nested 512 deep works.
    let reply = call_raw(symbol("echo").unwrap(), &nested(512), 0);
    let mut want = b"\x81\xa2ok".to_vec();
    want.extend(&nested(512)[1..]);
    assert_eq!(reply.bytes, want);
    let x = error("echo", &nested(513));
    assert_eq!(x.name, virgil::names::LIMIT_EXCEEDED);
    assert_eq!(x.message, "echo: argument 1: nested deeper than 512 levels");
    let x = error("echo", &nested(100_000));
    assert_eq!(x.name, virgil::names::LIMIT_EXCEEDED);
    assert_eq!(x.message, "echo: argument 1: nested deeper than 512 levels");
    // Malformed bytes are still argument errors.
    let x = error("echo", &[0x91, 0xc1]);
    assert_eq!(x.name, virgil::names::ARGUMENT_ERROR);
}

#[test]
fn null_boxes_do_not_crash() {
    let f = symbol("add").unwrap();
    // SAFETY: null boxes are what is being tested; the guest must cope.
    unsafe { f(std::ptr::null(), std::ptr::null_mut()) };
    let mut out = VirgilBox::empty();
    // SAFETY: as above; `out` is a valid box.
    unsafe { f(std::ptr::null(), &mut out) };
    assert!(!out.ptr.is_null());
    // SAFETY: the reply is out.len bytes from the guest's allocator.
    let bytes = unsafe { std::slice::from_raw_parts(out.ptr, out.len as usize) }.to_vec();
    // SAFETY: freed once, with the guest's allocator.
    unsafe { virgil::virgil_realloc(out.ptr.cast(), 0) };
    let x = decode::<Envelope>(&bytes)
        .unwrap()
        .into_result()
        .unwrap_err();
    assert_eq!(
        x.message,
        "add: malformed arguments: empty input, expected an array"
    );
}

#[test]
fn panics_become_virgil_panic() {
    let x = call::<i64>("explode", &(7,)).unwrap_err();
    assert_eq!(x.name, "virgil.Panic");
    assert_eq!(x.message, "boom 7");
    assert_eq!(x.language, "rust");
    assert_eq!(x.notes.len(), 1);
    assert!(
        x.notes[0].starts_with("panicked at ") && x.notes[0].contains("ffi.rs:"),
        "{:?}",
        x.notes
    );
    let functions: Vec<&str> = x.traceback.iter().map(|f| f.function.as_str()).collect();
    if virgil::backtraces_enabled() {
        assert_eq!(functions.last(), Some(&"ffi::explode"), "{functions:#?}");
        assert!(
            !functions
                .iter()
                .any(|f| f.contains("serve") || f.contains("panicking")),
            "{functions:#?}"
        );
    }
    // The guest still works afterwards.
    assert_eq!(call::<i64>("add", &(1, 2)), Ok(3));
}

/// Arguments nested deeper than a small stack can lift are served on a thread of the kit's: a
/// panic there is still a record with the function's frames, and none of that thread's.
#[test]
fn deep_arguments_panic_into_records_on_a_small_stack() {
    let mut args = vec![0x91];
    args.extend(std::iter::repeat_n(0x91, 512));
    args.push(0x01);
    let x = std::thread::Builder::new()
        .stack_size(128 << 10)
        .spawn(move || error("explode_deep", &args))
        .unwrap()
        .join()
        .expect("the small thread survives");
    assert_eq!(x.name, "virgil.Panic");
    assert_eq!(x.message, "deep true");
    assert!(
        x.notes.len() == 1 && x.notes[0].contains("ffi.rs:"),
        "{:?}",
        x.notes
    );
    let functions: Vec<&str> = x.traceback.iter().map(|f| f.function.as_str()).collect();
    if virgil::backtraces_enabled() {
        assert_eq!(
            functions.last(),
            Some(&"ffi::explode_deep"),
            "{functions:#?}"
        );
        assert!(
            !functions
                .iter()
                .any(|f| f.contains("serve") || f.contains("panicking") || f.contains("thread")),
            "{functions:#?}"
        );
    }
}

#[test]
fn errors_become_records_with_their_causes() {
    let x = call::<()>("config", &("/etc/app.toml",)).unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        ("ConfigError", "reading /etc/app.toml")
    );
    assert_eq!(x.traceback.len(), 1, "the exported function's frame");
    assert_eq!(x.traceback[0].function, "ffi::config");
    assert!(
        x.traceback[0].file.ends_with("ffi.rs") && x.traceback[0].line > 0,
        "{:?}",
        x.traceback
    );
    let cause = x.cause.as_deref().expect("cause");
    assert_eq!(
        (cause.name.as_str(), cause.message.as_str()),
        ("FileNotFoundError", "no such file")
    );
    assert!(cause.traceback.is_empty() && cause.cause.is_none());
    assert_eq!(
        x.traceback[0].file, "tests/ffi.rs",
        "files are relative to the crate"
    );

    let x = call::<()>("unnamed", &()).unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        ("Outer", "outer failed")
    );
    let cause = x.cause.as_deref().expect("cause");
    assert_eq!(
        (cause.name.as_str(), cause.message.as_str()),
        ("Exception", "inner failed")
    );

    let x = call::<()>("foreign", &()).unwrap_err();
    assert_eq!(x.notes, ["from a test"]);
    let cause = x.cause.as_deref().expect("cause");
    assert_eq!(
        (cause.name.as_str(), cause.language.as_str()),
        ("KeyError", "python")
    );
}

#[test]
fn question_mark_captures_the_frames() {
    assert_eq!(call::<u16>("port", &(" 8080 ",)), Ok(8080));
    let x = call::<u16>("port", &("http",)).unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        ("ValueError", "invalid digit found in string")
    );
    let functions: Vec<&str> = x.traceback.iter().map(|f| f.function.as_str()).collect();
    if virgil::backtraces_enabled() {
        assert_eq!(
            functions,
            ["ffi::port", "ffi::parse"],
            "oldest first, the kit's frames cut"
        );
    }
}

/// A user's error type: named by its bare type name, its fields the record's attributes.
#[derive(Debug, Serialize)]
#[virgil::exception]
struct QuotaError {
    code: i64,
    reason: String,
}

impl fmt::Display for QuotaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "quota exceeded: {}", self.reason)
    }
}

impl std::error::Error for QuotaError {}

#[virgil::export]
fn quota(code: i64) -> Result<(), QuotaError> {
    Err(QuotaError {
        code,
        reason: "disk full".to_owned(),
    })
}

#[virgil::export]
fn plain_string(fail: bool) -> Result<i64, String> {
    if fail {
        Err("plain failure".to_owned())
    } else {
        Ok(1)
    }
}

#[virgil::export]
fn plain_str() -> Result<Vec<u8>, &'static str> {
    Err("static failure")
}

#[virgil::export]
fn plain_box(text: &str) -> Result<i64, Box<dyn std::error::Error + Send + Sync>> {
    Ok(text.parse::<i64>()?)
}

#[virgil::export]
fn missing_file(path: &str) -> Result<Vec<u8>, virgil::Error> {
    use virgil::{Context, WithPath};
    std::fs::read(path).with_path(path).context("load config")
}

#[test]
fn ordinary_errors_cross_under_shared_names() {
    let x = call::<()>("quota", &(7,)).unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        ("QuotaError", "quota exceeded: disk full")
    );
    assert_eq!(x.attribute("code"), Some(&Value::Int(7)));
    assert_eq!(x.attribute("reason"), Some(&Value::from("disk full")));
    assert_eq!(x.traceback.last().unwrap().function, "ffi::quota");

    assert_eq!(call::<i64>("plain_string", &(false,)), Ok(1));
    let x = call::<i64>("plain_string", &(true,)).unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        ("Exception", "plain failure")
    );
    assert_eq!(x.traceback.last().unwrap().function, "ffi::plain_string");
    let x = call::<Vec<u8>>("plain_str", &()).unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        ("Exception", "static failure")
    );
    let x = call::<i64>("plain_box", &("99999999999999999999",)).unwrap_err();
    assert_eq!(x.name, "OverflowError");
    let m: Manifest = call("virgil_manifest", &()).unwrap();
    let f = m.functions.iter().find(|f| f.name == "plain_str").unwrap();
    assert_eq!(f.result, "bytes");

    let x = call::<Vec<u8>>("missing_file", &("/nonexistent-virgil/app.toml",)).unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        ("FileNotFoundError", "load config")
    );
    let cause = x.cause.as_deref().unwrap();
    assert_eq!(cause.name, "FileNotFoundError");
    assert_eq!(cause.errno(), Some(2));
    assert_eq!(cause.filename(), Some("/nonexistent-virgil/app.toml"));
    assert_eq!(x.io_error_kind(), Some(io::ErrorKind::NotFound));
    let last = x.traceback.last().unwrap();
    assert_eq!(last.function, "ffi::missing_file");
    if virgil::backtraces_enabled() {
        assert_eq!(last.file, "tests/ffi.rs");
        for level in x.chain() {
            assert!(
                level
                    .traceback
                    .iter()
                    .all(|f| !f.function.starts_with("virgil::")
                        && !f.function.contains("__virgil")
                        && !f.file.contains("cabi/rust/virgil/")),
                "glue frames: {x:?}"
            );
        }
    }
}

#[test]
fn unwritable_results_are_result_errors() {
    let x = call::<Value>("unwritable", &()).unwrap_err();
    assert_eq!(x.name, "virgil.ResultError");
    assert!(x.message.contains("refuses to be written"), "{}", x.message);
}

#[test]
fn the_manifest() {
    let m: Manifest = call("virgil_manifest", &()).unwrap();
    assert_eq!(
        (
            m.abi,
            m.library.as_str(),
            m.language.as_str(),
            m.version.as_str()
        ),
        (1, "kit-tests", "rust", "9.9.9")
    );
    let mut names: Vec<&str> = m.functions.iter().map(|f| f.name.as_str()).collect();
    assert!(names.is_sorted(), "{names:?}");
    assert!(names.contains(&"renamed_symbol") && !names.contains(&"renamed"));
    names.dedup();
    assert_eq!(names.len(), m.functions.len());
    let find = |name: &str| m.functions.iter().find(|f| f.name == name).unwrap();
    let add = find("add");
    assert_eq!(add.doc, "add returns a + b, wrapping.");
    let params: Vec<(&str, &str)> = add
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.ty.as_str()))
        .collect();
    assert_eq!(params, [("a", "int"), ("b", "int")]);
    assert_eq!(add.result, "int");
    assert_eq!(find("norm").params[0].ty, r#"{"x": float, "y": float}"#);
    assert_eq!(find("lookup").params[0].ty, "{str: int}");
    assert_eq!(find("lookup").result, "int?");
    assert_eq!(find("reverse_bytes").params[0].ty, "bytes");
    assert_eq!(find("first_byte").result, "uint?");
    assert_eq!(find("filled").result, "bytes");
    assert_eq!(find("nothing").result, "nil");
    assert_eq!(find("config").result, "nil");
    assert_eq!(find("later").params[0].ty, "time");
    assert_eq!(find("echo").params[0].ty, "any");
}

#[test]
fn the_counters() {
    let stats: Stats = call("virgil_stats", &()).unwrap();
    assert_eq!(stats.live, stats.allocations - stats.frees);
    // The reply to virgil_stats itself is counted only afterwards.
    let f = symbol("virgil_stats").unwrap();
    let before = virgil::stats();
    let reply = call_raw(f, b"\x90", 0);
    let seen: Stats = decode::<virgil::Envelope<Stats>>(&reply.bytes)
        .unwrap()
        .into_result()
        .unwrap();
    assert!(seen.allocations >= before.allocations);
    assert!(virgil::stats().allocations > before.allocations);
}

#[test]
fn calls_from_many_threads() {
    let f = symbol("add").unwrap();
    let threads: Vec<_> = (0..8i64)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..5_000i64 {
                    let args = encode(&(t, i)).unwrap();
                    let reply = call_raw(f, &args, if i % 2 == 0 { 64 } else { 0 });
                    let sum: i64 = decode::<virgil::Envelope<i64>>(&reply.bytes)
                        .unwrap()
                        .into_result()
                        .unwrap();
                    assert_eq!(sum, t + i);
                }
                let x = call::<i64>("explode", &(t,)).unwrap_err();
                assert_eq!(x.message, format!("boom {t}"));
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// A borrowed value (ABI.md section 16) of ext type `ext` lending `bytes`.
fn lent(ext: u8, bytes: &[u8]) -> Vec<u8> {
    let mut v = vec![0xd8, ext];
    v.extend_from_slice(&(bytes.as_ptr() as u64).to_ne_bytes());
    v.extend_from_slice(&(bytes.len() as u64).to_ne_bytes());
    v
}

/// Borrowed values read as the values they lend wherever a str or bytes is read: whole
/// parameters (borrowed or copied by the parameter's type), map keys, a record's key that names
/// its field folded, `any`; of the wrong kind they are the usual mismatch.
#[test]
fn borrowed_values_read_as_inline_ones() {
    let ok = |name: &str, args: &[u8]| match raw(name, args) {
        Envelope::Ok(v) => v,
        other => panic!("{name} replied {other:?}"),
    };
    let (abc, x, a) = (vec![1u8, 2, 3], b"X".to_vec(), b"a".to_vec());
    // Vec<u8> and &[u8] parameters.
    let args = [&[0x91][..], &lent(65, &abc)].concat();
    assert_eq!(ok("reverse_bytes", &args), Value::Bin(vec![3, 2, 1]));
    assert_eq!(ok("first_byte", &args), Value::Int(1));
    assert_eq!(ok("echo", &args), Value::Bin(abc.clone()));
    // A record whose key, lent, names its field folded ("X" for x).
    let mut args = vec![0x91, 0x82];
    args.extend(lent(66, &x));
    args.extend([0x03, 0xa1, b'y', 0x04]);
    assert_eq!(ok("norm", &args), Value::Float(5.0));
    // A map keyed by a lent str, looked up by a lent String.
    let mut args = vec![0x92, 0x82];
    args.extend(lent(66, &a));
    args.extend([0x01, 0xa1, b'b', 0x02]);
    args.extend(lent(66, &a));
    assert_eq!(ok("lookup", &args), Value::Int(1));
    // The wrong kind.
    let args = [&[0x91][..], &lent(65, &abc)].concat();
    let x = error("greet", &args);
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        (
            "virgil.ArgumentError",
            "greet: argument 1: expected str, got bytes"
        )
    );
}
