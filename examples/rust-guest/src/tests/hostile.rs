//! What a hostile host does to this guest (`cabi/conformance/hostile.json`, `host_faults`),
//! every case of `cabi/testdata/edges.json` sent through `echo` as a host sends it, and borrowed
//! bytes as a host lends them (`cabi/testdata/borrowed.json`) (ABI.md sections 2, 5, 11, 16): raw
//! boxes handed to the exported symbols, each reply's name checked, and the guest's
//! `virgil_stats` `live` back where it was.

use std::ffi::c_void;
use std::path::PathBuf;

use serde_json::Value as Json;
use virgil::testing::symbol;
use virgil::{Envelope, Value, VirgilBox, VirgilFn};

fn read_json(name: &str) -> Json {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../cabi")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn export(name: &str) -> VirgilFn {
    symbol(name).unwrap_or_else(|| panic!("no exported function {name:?}"))
}

/// How a hostile host passes `in` and `out`.
#[derive(Clone, Copy)]
enum In<'a> {
    /// `in` is a NULL pointer.
    Null,
    /// `in` points at this box.
    Box(*const u8, u64),
    /// `in` points at a box of these bytes.
    Bytes(&'a [u8]),
}

/// Calls `f` the way a hostile host does, with a scratch buffer of `scratch` bytes (0: `{NULL,
/// 0}`) or, when `out` is false, a NULL `out`. The reply, copied out and freed with the guest's
/// allocator, or `None` when the guest left none.
fn call(f: VirgilFn, input: In<'_>, out: bool, scratch: usize) -> Option<(Vec<u8>, bool)> {
    let boxed = match input {
        In::Null => None,
        In::Box(ptr, len) => Some(VirgilBox {
            ptr: ptr.cast_mut(),
            len,
        }),
        In::Bytes(b) => Some(VirgilBox {
            ptr: b.as_ptr().cast_mut(),
            len: b.len() as u64,
        }),
    };
    let in_ptr = boxed.as_ref().map_or(std::ptr::null(), |b| b as *const _);
    let mut lent = vec![0u8; scratch];
    let lent_ptr = if scratch == 0 {
        std::ptr::null_mut()
    } else {
        lent.as_mut_ptr()
    };
    let mut reply = VirgilBox {
        ptr: lent_ptr,
        len: scratch as u64,
    };
    let out_ptr = if out {
        &raw mut reply
    } else {
        std::ptr::null_mut()
    };
    // SAFETY: `in` is NULL or a box whose pointer is readable for its length (or NULL with a
    // length, which the guest must not read); `out` is NULL or lends `lent`.
    unsafe { f(in_ptr, out_ptr) };
    if !out || reply.ptr.is_null() {
        return None;
    }
    let len = usize::try_from(reply.len).expect("a reply fits memory");
    if reply.ptr == lent_ptr {
        assert!(len <= scratch, "the reply overran the scratch buffer");
        return Some((lent[..len].to_vec(), true));
    }
    // SAFETY: the guest allocated `len` bytes at `reply.ptr`: ours to read, then free once with
    // its allocator.
    let bytes = unsafe { std::slice::from_raw_parts(reply.ptr, len) }.to_vec();
    // SAFETY: as above.
    unsafe { virgil::virgil_realloc(reply.ptr.cast::<c_void>(), 0) };
    Some((bytes, false))
}

/// The reply's outcome: `ok` or the error's name.
fn outcome(reply: &[u8]) -> (String, Result<Value, virgil::Exception>) {
    let envelope = Envelope::<Value>::decode(reply)
        .unwrap_or_else(|e| panic!("not an envelope {reply:02x?}: {e}"));
    match envelope.into_result() {
        Ok(v) => ("ok".to_owned(), Ok(v)),
        Err(x) => (x.name.clone(), Err(x)),
    }
}

/// `live` of the guest's `virgil_stats`, read through its exported symbol as a host reads it.
fn live() -> i128 {
    let (reply, _) = call(export("virgil_stats"), In::Bytes(&[0x90]), true, 0).expect("a reply");
    match outcome(&reply).1 {
        Ok(Value::Map(entries)) => entries
            .into_iter()
            .find_map(|(k, v)| match (k, v) {
                (Value::Str(k), Value::Int(n)) if k == "live" => Some(n),
                _ => None,
            })
            .expect("live"),
        other => panic!("virgil_stats replied {other:?}"),
    }
}

/// `apply`'s argument array with a closure of this ext 64 payload and 21.
fn apply_args(payload: &[u8]) -> Vec<u8> {
    let mut args = vec![0x92];
    match payload.len() {
        8 => args.extend_from_slice(&[0xd7, 0x40]),
        n => args.extend_from_slice(&[0xc7, n as u8, 0x40]),
    }
    args.extend_from_slice(payload);
    args.push(21);
    args
}

fn nested(depth: usize) -> Vec<u8> {
    let mut v = vec![0x91];
    v.extend(std::iter::repeat_n(0x91, depth));
    v.push(0x01);
    v
}

/// Runs one case of `host_faults`; returns what it got in the notation of `expect`.
fn host_fault(name: &str) -> String {
    let add = export("add");
    let reply = |f, bytes: &[u8]| call(f, In::Bytes(bytes), true, 256);
    let named =
        |r: Option<(Vec<u8>, bool)>| r.map_or("no reply".to_owned(), |(b, _)| outcome(&b).0);
    match name {
        "null in" => named(call(add, In::Null, true, 256)),
        "empty in" => named(call(add, In::Box(std::ptr::null(), 0), true, 256)),
        "null out" => {
            assert!(call(add, In::Bytes(&[0x92, 1, 2]), false, 0).is_none());
            // The next call works.
            assert_eq!(named(reply(add, &[0x92, 1, 2])), "ok");
            "no reply".to_owned()
        }
        "garbage" => named(reply(add, &[0xc1, 0xc1])),
        "truncated" => named(reply(add, &[0x92, 0x01])),
        "array32 header claiming 2^32-1 elements" => {
            named(reply(add, &[0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]))
        }
        "str32 header claiming 4 GiB" => named(reply(
            export("greet"),
            &[0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61],
        )),
        "wrong arity" => named(reply(add, &[0x91, 0x01])),
        "wrong type" => named(reply(add, &[0x92, 0x01, 0xa1, 0x32])),
        "not an array" => named(reply(add, &[0x81, 0xa1, 0x61, 0x01])),
        "nesting 513" | "nesting 512" => {
            let depth = if name == "nesting 512" { 512 } else { 513 };
            let args = nested(depth);
            let (bytes, _) = reply(export("echo"), &args).expect("a reply");
            let (got, _) = outcome(&bytes);
            if got == "ok" && bytes[4..] == args[1..] {
                "ok:same".to_owned()
            } else {
                got
            }
        }
        "closure with a NULL call word" => {
            let mut payload = [0x11u8; 40];
            payload[..8].fill(0);
            named(reply(export("apply"), &apply_args(&payload)))
        }
        "closure with a short payload" => named(reply(export("apply"), &apply_args(&[0x11; 8]))),
        "scratch smaller than the reply" => {
            let mut args = vec![0x91, 0xd9, 100];
            args.extend(std::iter::repeat_n(b'x', 100));
            let (bytes, in_scratch) = call(export("greet"), In::Bytes(&args), true, 4).unwrap();
            assert!(!in_scratch, "a 4-byte scratch buffer cannot hold the reply");
            outcome(&bytes).0
        }
        "broken borrowed arguments" => {
            let doc = read_json("testdata/borrowed.json");
            let mut wrong = Vec::new();
            for case in doc["arguments"].as_array().expect("arguments") {
                let f = export(case["function"].as_str().expect("function"));
                let want = case["expect"].as_str().expect("expect");
                let got = named(reply(f, &unhex(case["hex"].as_str().expect("hex"))));
                if got != want {
                    wrong.push(format!("{}: {got}, want {want}", case["name"]));
                }
            }
            if wrong.is_empty() {
                "each case's expect".to_owned()
            } else {
                wrong.join("; ")
            }
        }
        "borrowed str not UTF-8" => {
            let lent = [0xffu8, 0xfe];
            named(reply(export("greet"), &lend_args(&[(66, &lent)])))
        }
        other => panic!("a host fault this test does not know: {other:?}; add it here"),
    }
}

#[test]
fn host_faults() {
    let doc = read_json("conformance/hostile.json");
    let faults = doc["host_faults"].as_array().expect("host_faults");
    assert!(faults.len() >= 15, "{} host faults", faults.len());
    // Every case many times: a buffer leaked per call would show in `live`. Other tests run
    // alongside and may hold a few replies for a moment.
    let before = live();
    for round in 0..50 {
        for fault in faults {
            let name = fault["name"].as_str().expect("name");
            let want = fault["expect"].as_str().expect("expect");
            let got = host_fault(name);
            assert_eq!(got, want, "{name} (round {round})");
        }
    }
    let after = live();
    assert!(after - before <= 16, "live {before} -> {after}");
}

/// A `{NULL, n}` box with a length is broken (ABI.md section 2): never read, a protocol error.
#[test]
fn null_pointer_with_a_length() {
    let got = call(export("add"), In::Box(std::ptr::null(), 1 << 40), true, 256).unwrap();
    assert_eq!(outcome(&got.0).0, "virgil.ProtocolError");
}

/// Every case of edges.json through `echo`: `0x91` followed by the case's bytes; the reply is
/// `{"ok": v}` with v's canonical bytes, or the error the case names (`malformed` is
/// `virgil.ArgumentError` in a guest).
#[test]
fn edges_through_echo() {
    let doc = read_json("testdata/edges.json");
    let cases = doc["cases"].as_array().expect("cases");
    let echo = export("echo");
    let before = live();
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let bytes = unhex(case["hex"].as_str().expect("hex"));
        let mut args = vec![0x91];
        args.extend_from_slice(&bytes);
        let (reply, _) = call(echo, In::Bytes(&args), true, 1024).expect("a reply");
        let (got, result) = outcome(&reply);
        let want = match case["error"].as_str() {
            Some("malformed") => "virgil.ArgumentError",
            Some(limit) => limit,
            None => "ok",
        };
        if got != want {
            failures.push(format!("{name}: {got} ({result:?}), want {want}"));
            continue;
        }
        if want == "ok" {
            let mut expected = vec![0x81, 0xa2, b'o', b'k'];
            expected.extend(case["canonical_hex"].as_str().map_or(bytes, unhex));
            if reply != expected {
                failures.push(format!("{name}: replied {reply:02x?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let after = live();
    assert!(after - before <= 16, "live {before} -> {after}");
}

/// An argument array of borrowed values (ABI.md section 16): fixext 16 of each ext type with the
/// pointer and length of its bytes, in the platform's byte order.
fn lend_args(values: &[(u8, &[u8])]) -> Vec<u8> {
    assert!(values.len() < 16);
    let mut args = vec![0x90 | values.len() as u8];
    for (ext, bytes) in values {
        args.extend_from_slice(&lent_value(*ext, bytes.as_ptr() as usize, bytes.len()));
    }
    args
}

/// A borrowed value of ext type `ext` lending `len` bytes at `ptr`.
fn lent_value(ext: u8, ptr: usize, len: usize) -> Vec<u8> {
    let mut v = vec![0xd8, ext];
    v.extend_from_slice(&(ptr as u64).to_ne_bytes());
    v.extend_from_slice(&(len as u64).to_ne_bytes());
    v
}

/// Every `arguments_lent` case of borrowed.json: the bytes lent from memory of their own, with and
/// without a scratch buffer; `echo_bytes` replies a borrowed view of exactly the lent bytes (no
/// copy), `greet` the greeting.
#[test]
fn borrowed_arguments_lent() {
    let doc = read_json("testdata/borrowed.json");
    let cases = doc["arguments_lent"].as_array().expect("arguments_lent");
    assert!(!cases.is_empty());
    let before = live();
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let function = case["function"].as_str().expect("function");
        let want = case["expect"].as_str().expect("expect");
        let ext = case["ext"].as_u64().expect("ext") as u8;
        let lent = unhex(case["bytes_hex"].as_str().expect("bytes_hex"));
        for scratch in [0, 256] {
            let args = lend_args(&[(ext, &lent)]);
            let (reply, _) =
                call(export(function), In::Bytes(&args), true, scratch).expect("a reply");
            if want != "ok" {
                assert_eq!(outcome(&reply).0, want, "{name}");
            } else if function == "echo_bytes" {
                let mut view = vec![0x81, 0xa2, b'o', b'k'];
                view.extend(lent_value(65, lent.as_ptr() as usize, lent.len()));
                assert_eq!(reply, view, "{name}: not a view of the lent bytes");
            } else {
                let greeting = format!("Hello, {}!", String::from_utf8(lent.clone()).unwrap());
                assert_eq!(outcome(&reply).1, Ok(Value::Str(greeting)), "{name}");
            }
        }
    }
    let after = live();
    assert!(after - before <= 16, "live {before} -> {after}");
}

/// 16 MiB lent to `echo_bytes` come back as a view of the same memory: the guest copies nothing.
#[test]
fn borrowed_echo_bytes_copies_nothing() {
    let lent = vec![0x5au8; 16 << 20];
    let (reply, in_scratch) = call(
        export("echo_bytes"),
        In::Bytes(&lend_args(&[(65, &lent)])),
        true,
        256,
    )
    .unwrap();
    assert!(in_scratch, "an 22-byte reply fits the scratch buffer");
    let mut view = vec![0x81, 0xa2, b'o', b'k'];
    view.extend(lent_value(65, lent.as_ptr() as usize, lent.len()));
    assert_eq!(reply, view);
}

/// Borrowed values elsewhere than a whole `bytes` argument read as the inline values they lend:
/// inside `any` and lists they come back inline (copied), a `String` parameter copies, an empty
/// one comes back inline, and a lent key equal to an inline one is a duplicate.
#[test]
fn borrowed_values_read_as_inline_ones() {
    let (b, s) = (b"\x01\x02\x03".to_vec(), b"hi".to_vec());
    // echo([lent bytes, lent str]) -> [c4 03 01 02 03, a2 68 69]
    let mut args = vec![0x91, 0x92];
    args.extend(lent_value(65, b.as_ptr() as usize, 3));
    args.extend(lent_value(66, s.as_ptr() as usize, 2));
    let (reply, _) = call(export("echo"), In::Bytes(&args), true, 0).unwrap();
    assert_eq!(
        reply,
        [
            0x81, 0xa2, b'o', b'k', 0x92, 0xc4, 3, 1, 2, 3, 0xa2, b'h', b'i'
        ]
    );
    // echo(lent bytes) -> the inline bytes: `any` copies.
    let (reply, _) = call(export("echo"), In::Bytes(&lend_args(&[(65, &b)])), true, 0).unwrap();
    assert_eq!(reply, [0x81, 0xa2, b'o', b'k', 0xc4, 3, 1, 2, 3]);
    // fail_attrs(7, lent "hi"): a String parameter.
    let mut args = vec![0x92, 7];
    args.extend(lent_value(66, s.as_ptr() as usize, 2));
    let (reply, _) = call(export("fail_attrs"), In::Bytes(&args), true, 0).unwrap();
    let x = outcome(&reply).1.unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        ("QuotaError", "quota 7 exceeded: hi")
    );
    // echo_bytes of {NULL, 0}: inline.
    let empty = lent_value(65, 0, 0);
    let (reply, _) = call(
        export("echo_bytes"),
        In::Bytes(&[&[0x91][..], &empty].concat()),
        true,
        0,
    )
    .unwrap();
    assert_eq!(reply, [0x81, 0xa2, b'o', b'k', 0xc4, 0]);
    // {lent "a": 1, "a": 2}
    let key = b"a".to_vec();
    let mut args = vec![0x91, 0x82];
    args.extend(lent_value(66, key.as_ptr() as usize, 1));
    args.extend([1, 0xa1, b'a', 2]);
    let (reply, _) = call(export("echo"), In::Bytes(&args), true, 0).unwrap();
    assert_eq!(outcome(&reply).0, "virgil.ArgumentError");
}

/// A str lent from inside the scratch buffer itself: the guest writes its reply elsewhere, so the
/// greeting is whole.
#[test]
fn borrowed_str_inside_the_scratch_buffer() {
    let mut scratch = vec![0u8; 256];
    scratch[10..13].copy_from_slice(b"Ada");
    let args = [
        &[0x91][..],
        &lent_value(66, scratch.as_ptr() as usize + 10, 3),
    ]
    .concat();
    let input = VirgilBox {
        ptr: args.as_ptr().cast_mut(),
        len: args.len() as u64,
    };
    let mut out = VirgilBox {
        ptr: scratch.as_mut_ptr(),
        len: scratch.len() as u64,
    };
    // SAFETY: `in` is readable; `out` lends `scratch`, which also holds the lent str.
    unsafe { export("greet")(&raw const input, &raw mut out) };
    assert_ne!(
        out.ptr,
        scratch.as_mut_ptr(),
        "the reply went into the lent memory"
    );
    let len = usize::try_from(out.len).unwrap();
    // SAFETY: the guest allocated the reply: ours to read, then free once with its allocator.
    let reply = unsafe { std::slice::from_raw_parts(out.ptr, len) }.to_vec();
    // SAFETY: as above.
    unsafe { virgil::virgil_realloc(out.ptr.cast::<c_void>(), 0) };
    assert_eq!(outcome(&reply).1, Ok(Value::Str("Hello, Ada!".into())));
}
