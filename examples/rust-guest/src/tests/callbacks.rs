//! Closures (ABI.md, section 15): the cases of `cabi/conformance/callbacks.json`, run through the
//! exports' C symbols with closures of the test's own, and what the cases do not pin down:
//! retain and release counts, records that cross whole, wrong types, misbehaving closures, leaks.

// Test closures fail with `Exception`, the ABI's record, as the kit itself does.
#![allow(clippy::result_large_err)]

use std::ffi::c_void;
use std::sync::{Mutex, MutexGuard};

use serde_json::Value as Json;
use virgil::testing::{TestClosure, call, closure_replies_live};
use virgil::{Exception, Frame, RawClosure, Value, VirgilBox};

/// `register`, `fire` and `unregister` share one global: their tests take turns.
static REGISTRY: Mutex<()> = Mutex::new(());

fn registry() -> MutexGuard<'static, ()> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

fn int(v: &Value) -> i128 {
    match v {
        Value::Int(i) => *i,
        other => panic!("not an int: {other:?}"),
    }
}

/// The record `fail` raises: the host's own exception, with a frame and a cause of its own.
fn callback_error(x: i128) -> Exception {
    let mut cause = Exception::new("Detail", "deeper");
    cause.language = "c".into();
    let mut x = Exception::new("CallbackError", format!("callback failed on {x}"))
        .with_frame(Frame {
            function: "host::fail".into(),
            file: "host.c".into(),
            line: 7,
            column: 3,
        })
        .with_cause(cause)
        .with_note("raised by the test host");
    x.language = "c".into();
    x
}

/// The host callbacks callbacks.json names.
fn host_callback(name: &str) -> TestClosure {
    match name {
        "identity" => TestClosure::new(|args| Ok(args[0].clone())),
        "double" => TestClosure::new(|args| Ok(Value::Int(2 * int(&args[0])))),
        "add" => TestClosure::new(|args| Ok(Value::Int(int(&args[0]) + int(&args[1])))),
        "fail" => TestClosure::new(|args| Err(callback_error(int(&args[0])))),
        other => panic!("no host callback {other:?}"),
    }
}

/// A value in the typed JSON notation (cabi/testdata/README.md), closures made as it goes.
fn value(json: &Json, closures: &mut Vec<TestClosure>) -> Value {
    let (kind, v) = json.as_object().unwrap().iter().next().unwrap();
    match kind.as_str() {
        "nil" => Value::Nil,
        "int" => Value::Int(v.as_i64().unwrap().into()),
        "array" => Value::Array(
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| value(x, closures))
                .collect(),
        ),
        "callback" => {
            let c = host_callback(v.as_str().unwrap());
            let payload = c.raw().to_payload().to_vec();
            closures.push(c);
            Value::Ext(virgil::CLOSURE_EXT, payload)
        }
        other => panic!("notation {other:?} is not used by callbacks.json"),
    }
}

/// Runs one call of a case (or of a step of a sequence) and checks its outcome.
fn step(name: &str, case: &Json, closures: &mut Vec<TestClosure>) {
    let function = case["function"].as_str().unwrap();
    let args: Vec<Value> = case["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| value(a, closures))
        .collect();
    let got = call::<Value>(function, &args);
    // The call returned: the closures passed to it are valid only if retained.
    for c in closures.iter() {
        c.end_call();
    }
    if let Some(want) = case.get("result") {
        let want = value(want, &mut Vec::new());
        assert_eq!(got, Ok(want), "{name}: {function}");
        return;
    }
    let want = &case["error"];
    let x = got.expect_err(name);
    if let Some(n) = want.get("name") {
        assert_eq!(x.name, n.as_str().unwrap(), "{name}: {x:#?}");
    }
    if let Some(m) = want.get("message_contains") {
        assert!(x.message.contains(m.as_str().unwrap()), "{name}: {x:#?}");
    }
    if let Some(names) = want.get("chain_contains") {
        let mut chain = x.chain().map(|l| l.name.as_str());
        for n in names.as_array().unwrap() {
            let n = n.as_str().unwrap();
            assert!(chain.any(|l| l == n), "{name}: {n} not in order in {x:#?}");
        }
    }
    if want.get("callback_frames").is_some() {
        let level = x.chain().find(|l| l.name == "CallbackError").unwrap();
        assert_eq!(level.language, "c");
        assert_eq!(level.traceback[0].function, "host::fail");
    }
}

#[test]
fn every_case_of_callbacks_json() {
    let _turn = registry();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../cabi/conformance/callbacks.json"
    );
    let cases: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(cases["abi"], 1);
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut closures = Vec::new();
        match case.get("sequence") {
            Some(steps) => {
                for s in steps.as_array().unwrap() {
                    step(name, s, &mut closures);
                }
            }
            None => step(name, case, &mut closures),
        }
        for c in &closures {
            assert!(!c.is_valid(), "{name}: a closure is still retained");
            assert_eq!(c.retains(), c.releases(), "{name}");
        }
    }
    assert_eq!(closure_replies_live(), 0);
}

fn closure_arg(c: &TestClosure) -> Value {
    Value::Ext(virgil::CLOSURE_EXT, c.raw().to_payload().to_vec())
}

#[test]
fn calls_and_their_arguments() {
    let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let add = TestClosure::new(move |args| {
        log.lock().unwrap().push(args.clone());
        Ok(Value::Int(int(&args[0]) + int(&args[1])))
    });
    let x = call::<i64>(
        "fold",
        &(
            closure_arg(&add),
            100,
            vec![1, -2, 300, i64::from(i32::MAX)],
        ),
    );
    assert_eq!(x, Ok(100 + 1 - 2 + 300 + i64::from(i32::MAX)));
    assert_eq!(add.calls(), 4);
    assert_eq!(
        seen.lock().unwrap()[..2],
        [
            vec![Value::Int(100), Value::Int(1)],
            vec![Value::Int(101), Value::Int(-2)]
        ]
    );
    add.end_call();
    assert_eq!(
        (add.retains(), add.releases(), add.is_valid()),
        (0, 0, false)
    );
    // nil is the empty list.
    let double = host_callback("double");
    assert_eq!(
        call::<Vec<i64>>("map_ints", &(closure_arg(&double), Value::Nil)),
        Ok(vec![])
    );
    assert_eq!(double.calls(), 0);
}

#[test]
fn a_raising_callback_crosses_whole_under_the_guests_level() {
    let fail = host_callback("fail");
    let x = call::<i64>("apply", &(closure_arg(&fail), 3)).unwrap_err();
    assert_eq!(x.name, "virgil::ClosureError");
    assert_eq!(x.language, "rust");
    assert_eq!(x.message, "callback fn(int) -> int failed");
    let functions: Vec<&str> = x.traceback.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(
        functions.last().copied(),
        Some("conformance_rust::apply"),
        "{x:#?}"
    );
    assert!(!functions.iter().any(|f| f.contains("virgil::")), "{x:#?}");
    assert_eq!(x.cause.as_deref(), Some(&callback_error(3)), "verbatim");

    // map_ints stops at the first failure.
    let x = call::<Vec<i64>>("map_ints", &(closure_arg(&fail), [1, 2, 3])).unwrap_err();
    assert_eq!(x.cause.as_deref(), Some(&callback_error(1)));
    assert!(
        x.traceback
            .iter()
            .any(|f| f.function.starts_with("conformance_rust::map_ints")),
        "{x:#?}"
    );
    assert_eq!(fail.calls(), 2);
}

#[test]
fn wrong_types_are_argument_errors() {
    let x = call::<i64>("apply", &(1, 1)).unwrap_err();
    assert_eq!(x.name, "virgil.ArgumentError");
    assert_eq!(x.message, "apply: argument 1: expected fn, got int");
    let x = call::<i64>("apply", &(Value::Ext(5, vec![0; 40]), 1)).unwrap_err();
    assert_eq!(x.message, "apply: argument 1: expected fn, got ext 5");
    let x = call::<i64>("apply", &(Value::Ext(64, vec![1; 16]), 1)).unwrap_err();
    assert_eq!(
        x.message,
        "apply: argument 1: a closure's payload is 40 bytes"
    );
    let x = call::<i64>("apply", &(Value::Ext(64, vec![0; 40]), 1)).unwrap_err();
    assert_eq!(
        x.message,
        "apply: argument 1: a closure with a null call pointer"
    );
    let double = host_callback("double");
    let x = call::<i64>("apply", &(closure_arg(&double), "x")).unwrap_err();
    assert_eq!(x.message, "apply: argument 2: expected int, got str");
    let x = call::<i64>("fold", &(closure_arg(&double), 0, [Value::Nil])).unwrap_err();
    assert_eq!(
        x.message,
        "fold: argument 3: element 1: expected int, got nil"
    );
    let x = call::<()>("register", &(closure_arg(&double).clone(), 1)).unwrap_err();
    assert_eq!(x.message, "register: expected 1 argument, got 2");
    assert_eq!(double.calls(), 0);
    // An `any` keeps a closure as a plain extension value: nothing calls it.
    assert_eq!(
        call::<Value>("echo", &(closure_arg(&double),)),
        Ok(closure_arg(&double))
    );
}

#[test]
fn wrong_results_are_result_errors() {
    let text = TestClosure::new(|_| Ok(Value::from("forty-two")));
    let x = call::<i64>("apply", &(closure_arg(&text), 1)).unwrap_err();
    assert_eq!(x.name, "virgil::ClosureError");
    let cause = x.cause.as_deref().unwrap();
    assert_eq!(cause.name, "virgil.ResultError");
    assert_eq!(
        cause.message,
        "callback fn(int) -> int: the result: expected int, got str"
    );
    let nil = TestClosure::new(|_| Ok(Value::Nil));
    let x = call::<Vec<i64>>("map_ints", &(closure_arg(&nil), [1])).unwrap_err();
    assert_eq!(
        x.cause.unwrap().message,
        "callback fn(int) -> int: the result: expected int, got nil"
    );
}

#[test]
fn replies_in_the_closures_memory_are_freed_with_its_allocator() {
    let double = host_callback("double");
    double.reply_in_own_memory();
    let before = closure_replies_live();
    let xs: Vec<i64> = (0..1000).collect();
    let got = call::<Vec<i64>>("map_ints", &(closure_arg(&double), &xs)).unwrap();
    assert_eq!(got, xs.iter().map(|x| 2 * x).collect::<Vec<_>>());
    assert_eq!(double.calls(), 1000);
    assert_eq!(closure_replies_live(), before);
    let fail = host_callback("fail");
    fail.reply_in_own_memory();
    assert!(call::<i64>("apply", &(closure_arg(&fail), 1)).is_err());
    assert_eq!(closure_replies_live(), before);
}

#[test]
fn retain_and_release() {
    let _turn = registry();
    let double = host_callback("double");
    assert_eq!(call::<()>("register", &(closure_arg(&double),)), Ok(()));
    double.end_call();
    assert_eq!((double.retains(), double.releases()), (1, 0));
    assert!(double.is_valid(), "retained beyond its call");
    assert_eq!(call::<i64>("fire", &(21,)), Ok(42));
    assert_eq!(call::<i64>("fire", &(-4,)), Ok(-8));
    // Registering another releases the first, once.
    let identity = host_callback("identity");
    assert_eq!(call::<()>("register", &(closure_arg(&identity),)), Ok(()));
    identity.end_call();
    assert_eq!((double.retains(), double.releases()), (1, 1));
    assert!(!double.is_valid());
    assert_eq!(call::<i64>("fire", &(9,)), Ok(9));
    assert_eq!(call::<()>("unregister", &()), Ok(()));
    assert_eq!(call::<()>("unregister", &()), Ok(()), "twice is harmless");
    assert_eq!((identity.retains(), identity.releases()), (1, 1));
    let x = call::<i64>("fire", &(1,)).unwrap_err();
    assert_eq!(
        (x.name.as_str(), x.message.as_str()),
        ("ValueError", "no callback registered")
    );
    // A failure of a retained callback, through virgil::Error.
    let fail = host_callback("fail");
    assert_eq!(call::<()>("register", &(closure_arg(&fail),)), Ok(()));
    fail.end_call();
    let x = call::<i64>("fire", &(5,)).unwrap_err();
    assert_eq!(x.name, "virgil::ClosureError");
    assert_eq!(x.cause.as_deref(), Some(&callback_error(5)));
    assert!(
        x.traceback
            .iter()
            .any(|f| f.function == "conformance_rust::fire"),
        "{x:#?}"
    );
    assert_eq!(call::<()>("unregister", &()), Ok(()));
    assert_eq!((fail.retains(), fail.releases()), (1, 1));
}

#[test]
fn a_closure_its_host_invalidated_replies_released_closure() {
    let _turn = registry();
    let double = host_callback("double");
    assert_eq!(call::<()>("register", &(closure_arg(&double),)), Ok(()));
    drop(double); // the host dropped it although the guest still holds a retain
    let x = call::<i64>("fire", &(1,)).unwrap_err();
    assert_eq!(x.name, "virgil::ClosureError");
    assert_eq!(x.cause.unwrap().name, "virgil.ReleasedClosure");
    assert_eq!(call::<()>("unregister", &()), Ok(())); // release of an invalid env does nothing
}

/// Closures that break the protocol, written directly against the C signatures.
mod misbehaving {
    use super::*;

    unsafe extern "C" fn no_reply(_: *mut c_void, _: *const VirgilBox, out: *mut VirgilBox) {
        // SAFETY: `out` is the guest's box.
        unsafe { *out = VirgilBox::empty() };
    }

    unsafe extern "C" fn overrun(_: *mut c_void, _: *const VirgilBox, out: *mut VirgilBox) {
        // SAFETY: `out` is the guest's box; only its length changes (a lie, never acted on).
        unsafe { (*out).len += 1 };
    }

    unsafe extern "C" fn not_an_envelope(_: *mut c_void, _: *const VirgilBox, out: *mut VirgilBox) {
        // SAFETY: `out` lends at least one byte.
        unsafe {
            *(*out).ptr = 0x2a;
            (*out).len = 1;
        }
    }

    /// Echoes its argument array back as `{"ok": [args]}` and counts its calls in `env`.
    unsafe extern "C" fn echo_args(env: *mut c_void, input: *const VirgilBox, out: *mut VirgilBox) {
        // SAFETY: `env` is the test's counter; `input` and `out` the guest's boxes.
        unsafe {
            (*env.cast::<std::sync::atomic::AtomicU32>())
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let args = std::slice::from_raw_parts((*input).ptr, (*input).len as usize);
            let mut reply = vec![0x81, 0xa2, b'o', b'k'];
            reply.extend_from_slice(args);
            std::ptr::copy_nonoverlapping(reply.as_ptr(), (*out).ptr, reply.len());
            (*out).len = reply.len() as u64;
        }
    }

    /// Leaves `out` as it was lent: no reply written.
    unsafe extern "C" fn silent(_: *mut c_void, _: *const VirgilBox, _: *mut VirgilBox) {}

    unsafe extern "C" fn null_with_length(
        _: *mut c_void,
        _: *const VirgilBox,
        out: *mut VirgilBox,
    ) {
        // SAFETY: `out` is the guest's box.
        unsafe { (*out).ptr = std::ptr::null_mut() };
    }

    unsafe extern "C" fn into_its_arguments(
        _: *mut c_void,
        input: *const VirgilBox,
        out: *mut VirgilBox,
    ) {
        // SAFETY: `input` and `out` are the guest's boxes; the reply points into the arguments.
        unsafe {
            *out = VirgilBox {
                ptr: (*input).ptr,
                len: (*input).len,
            }
        };
    }

    unsafe extern "C" fn inside_the_scratch(
        _: *mut c_void,
        _: *const VirgilBox,
        out: *mut VirgilBox,
    ) {
        // SAFETY: `out` lends at least 1024 bytes; the reply is a pointer into them.
        unsafe {
            let p = (*out).ptr;
            p.add(8)
                .copy_from_nonoverlapping([0x81, 0xa2, b'o', b'k', 0x01].as_ptr(), 5);
            *out = VirgilBox {
                ptr: p.add(8),
                len: 5,
            };
        }
    }

    /// Memory of the closure side's own: the reply of `huge` and `long_chain`.
    static OWN: Mutex<Vec<u8>> = Mutex::new(Vec::new());
    static FREES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

    unsafe extern "C" fn huge(_: *mut c_void, _: *const VirgilBox, out: *mut VirgilBox) {
        let mut own = OWN.lock().unwrap_or_else(|e| e.into_inner());
        *own = vec![0x81; 16];
        // SAFETY: `out` is the guest's box; 2^50 bytes is a lie the guest must not act on.
        unsafe {
            *out = VirgilBox {
                ptr: own.as_mut_ptr(),
                len: 1 << 50,
            }
        };
    }

    /// Replies an error whose cause chain has 257 records: one beyond the limit.
    unsafe extern "C" fn long_chain(_: *mut c_void, _: *const VirgilBox, out: *mut VirgilBox) {
        let mut record = vec![0x81, 0xa4, b'n', b'a', b'm', b'e', 0xa1, b'E'];
        for _ in 1..257 {
            let mut outer = vec![0x82, 0xa4, b'n', b'a', b'm', b'e', 0xa1, b'E'];
            outer.extend_from_slice(&[0xa5, b'c', b'a', b'u', b's', b'e']);
            outer.extend_from_slice(&record);
            record = outer;
        }
        let mut own = OWN.lock().unwrap_or_else(|e| e.into_inner());
        *own = vec![0x81, 0xa5, b'e', b'r', b'r', b'o', b'r'];
        own.extend_from_slice(&record);
        // SAFETY: `out` is the guest's box; the reply is in the closure side's memory.
        unsafe {
            *out = VirgilBox {
                ptr: own.as_mut_ptr(),
                len: own.len() as u64,
            }
        };
    }

    /// Frees nothing (the memory is `OWN`); counts what the guest gives back.
    unsafe extern "C" fn counting_realloc(_: *mut c_void, n: usize) -> *mut c_void {
        assert_eq!(n, 0, "the guest only frees");
        FREES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::ptr::null_mut()
    }

    unsafe extern "C" fn nop(_: *mut c_void) {}

    fn raw(call: virgil::ClosureCallFn, env: *mut c_void) -> Value {
        let raw = RawClosure {
            call,
            env,
            realloc: counting_realloc,
            retain: nop,
            release: nop,
        };
        Value::Ext(virgil::CLOSURE_EXT, raw.to_payload().to_vec())
    }

    fn cause(f: virgil::ClosureCallFn) -> Exception {
        let x = call::<i64>("apply", &(raw(f, std::ptr::null_mut()), 1)).unwrap_err();
        assert_eq!(x.name, "virgil::ClosureError");
        *x.cause.unwrap()
    }

    /// The frees `f`'s reply got from the guest.
    fn frees(f: impl FnOnce()) -> u32 {
        static TURN: Mutex<()> = Mutex::new(());
        let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let before = FREES.load(std::sync::atomic::Ordering::SeqCst);
        f();
        FREES.load(std::sync::atomic::Ordering::SeqCst) - before
    }

    #[test]
    fn broken_replies_are_errors_not_crashes() {
        let x = cause(no_reply);
        assert_eq!(
            (x.name.as_str(), x.message.as_str()),
            (
                "virgil.OutOfMemory",
                "callback fn(int) -> int: the closure could not allocate its reply"
            )
        );
        let x = cause(overrun);
        assert_eq!(x.name, "virgil.ProtocolError");
        assert!(x.message.contains("scratch buffer of 1024"), "{x:#?}");
        let x = cause(not_an_envelope);
        assert_eq!(x.name, "virgil.ResultError");
        assert_eq!(
            x.message,
            "callback fn(int) -> int: a malformed reply: expected an envelope (a map), got int"
        );
    }

    /// ABI.md section 2: each check of a reply box, with what is freed (only the closure's own
    /// memory, once, never the guest's).
    #[test]
    fn reply_boxes_are_checked() {
        let cases: [(virgil::ClosureCallFn, &str, &str, u32); 6] = [
            (silent, "virgil.ProtocolError", "wrote no reply", 0),
            (
                null_with_length,
                "virgil.ProtocolError",
                "NULL reply pointer with a length of 1024",
                0,
            ),
            (
                into_its_arguments,
                "virgil.ProtocolError",
                "points into its own arguments",
                0,
            ),
            (
                inside_the_scratch,
                "virgil.ProtocolError",
                "inside the scratch buffer",
                0,
            ),
            (
                huge,
                "virgil.LimitExceeded",
                "reply of 1125899906842624 bytes",
                1,
            ),
            (
                long_chain,
                "virgil.LimitExceeded",
                "longer than 256 records",
                1,
            ),
        ];
        for (f, name, words, freed) in cases {
            let mut x = None;
            let n = frees(|| x = Some(cause(f)));
            let x = x.unwrap();
            assert_eq!(x.name, name, "{x:#?}");
            assert!(x.message.contains(words), "{words}: {}", x.message);
            assert_eq!(n, freed, "frees of {words}");
        }
    }

    #[test]
    fn arguments_cross_canonically_with_env() {
        let counter = std::sync::atomic::AtomicU32::new(0);
        let env = (&raw const counter).cast_mut().cast::<c_void>();
        // The closure replies its own argument array, `[x]`: a list where an int was declared.
        let x = call::<i64>("apply", &(raw(echo_args, env), 300)).unwrap_err();
        assert_eq!(
            x.cause.unwrap().message,
            "callback fn(int) -> int: the result: expected int, got list"
        );
        assert_eq!(counter.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}

#[test]
fn threads_and_leaks() {
    let before = virgil::stats().live;
    std::thread::scope(|s| {
        for t in 0..8i64 {
            s.spawn(move || {
                for i in 0..200i64 {
                    let add = host_callback("add");
                    let xs = vec![t, i, 1];
                    assert_eq!(
                        call::<i64>("fold", &(closure_arg(&add), 0, xs)),
                        Ok(t + i + 1)
                    );
                    add.end_call();
                }
            });
        }
    });
    assert_eq!(closure_replies_live(), 0);
    // Other tests run alongside: their replies may be live for a moment.
    let after = virgil::stats().live;
    assert!(after <= before + 16, "{before} -> {after}");
}

#[test]
fn manifest_types() {
    let m: virgil::Manifest = call("virgil_manifest", &()).unwrap();
    let sig = |name: &str| {
        let f = m.functions.iter().find(|f| f.name == name).unwrap();
        let params: Vec<&str> = f.params.iter().map(|p| p.ty.as_str()).collect();
        (params.join(", "), f.result.clone())
    };
    assert_eq!(sig("apply"), ("fn(int) -> int, int".into(), "int".into()));
    assert_eq!(
        sig("map_ints"),
        ("fn(int) -> int, [int]".into(), "[int]".into())
    );
    assert_eq!(
        sig("fold"),
        ("fn(int, int) -> int, int, [int]".into(), "int".into())
    );
    assert_eq!(sig("register"), ("fn(int) -> int".into(), "nil".into()));
    assert_eq!(sig("fire"), ("int".into(), "int".into()));
    assert_eq!(sig("unregister"), (String::new(), "nil".into()));
}
