//! The Virgil conformance library (`cabi/ABI.md`, section 9) written in Rust with the `virgil`
//! kit: every host runs `cabi/conformance/cases.json` against it, as against the Go, C and Haskell
//! guests. Build it from the repository root:
//!
//! ```sh
//! cargo build --release --manifest-path cabi/rust/Cargo.toml -p conformance-rust
//! # -> cabi/rust/target/release/libconformance_rust.so
//! ```

use std::sync::{Arc, Mutex};

use serde::Serialize;
use virgil::{
    AbiType, Callback, ClosureError, Context, PathError, RetainedCallback, Value, WithPath,
};

mod errors;

pub use errors::{ChainLevel, OverflowError, QuotaError, ValueError, ZeroDivisionError};

virgil::library!(name = "conformance");

/// add returns a + b; a sum outside int64 raises OverflowError.
#[virgil::export]
pub fn add(a: i64, b: i64) -> Result<i64, OverflowError> {
    a.checked_add(b).ok_or(OverflowError)
}

/// greet returns "Hello, " + name + "!".
#[virgil::export]
pub fn greet(name: &str) -> String {
    format!("Hello, {name}!")
}

/// divide returns a / b; b == 0 raises ZeroDivisionError.
#[virgil::export]
pub fn divide(a: f64, b: f64) -> Result<f64, ZeroDivisionError> {
    if b == 0.0 {
        Err(ZeroDivisionError)
    } else {
        Ok(a / b)
    }
}

/// echo returns v unchanged.
#[virgil::export]
pub fn echo(v: Value) -> Value {
    v
}

/// echo_bytes returns b.
///
/// The bytes are borrowed from the arguments and copied once, into the reply.
#[virgil::export]
pub fn echo_bytes(b: &[u8]) -> &[u8] {
    b
}

/// The result of `stats`.
#[derive(Debug, PartialEq, Serialize, serde::Deserialize, AbiType)]
pub struct Summary {
    /// How many numbers (`int`, as the conformance library declares it).
    pub count: i64,
    /// Their mean.
    pub mean: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

/// stats summarizes xs; an empty list raises ValueError.
#[virgil::export]
pub fn stats(xs: Vec<f64>) -> Result<Summary, ValueError> {
    if xs.is_empty() {
        return Err(ValueError("stats: empty list".to_owned()));
    }
    let sum: f64 = xs.iter().sum();
    Ok(Summary {
        count: xs.len() as i64,
        mean: sum / xs.len() as f64,
        min: xs.iter().copied().fold(f64::INFINITY, f64::min),
        max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// fail_chain raises ChainLevel{depth}, caused by ChainLevel{depth-1}, ... down to ChainLevel1;
/// depth must be 1 to 100.
#[virgil::export]
pub fn fail_chain(depth: i64) -> Result<(), virgil::Error> {
    match u32::try_from(depth) {
        Ok(depth @ 1..=100) => Err(chain(1, depth, None).into()),
        _ => Err(ValueError(format!(
            "fail_chain: depth must be between 1 and 100, got {depth}"
        ))
        .into()),
    }
}

/// Creates level `level` (caused by `below`) and then the levels above it, each in a frame of its
/// own, so that every level's backtrace is its own.
#[inline(never)]
fn chain(level: u32, depth: u32, below: Option<ChainLevel>) -> ChainLevel {
    let this = ChainLevel::new(level, below);
    if level == depth {
        this
    } else {
        std::hint::black_box(chain(level + 1, depth, Some(this)))
    }
}

/// crash panics, to show that a Rust panic comes back to the host as virgil.Panic.
#[virgil::export]
pub fn crash() {
    let empty: Vec<u32> = Vec::new();
    let index = std::hint::black_box(3);
    let _ = empty[index]; // index out of bounds: a real panic
}

/// sleep_ms sleeps ms milliseconds (0 to 10000).
#[virgil::export]
pub fn sleep_ms(ms: i64) -> Result<(), ValueError> {
    let ms = u64::try_from(ms)
        .ok()
        .filter(|ms| *ms <= 10_000)
        .ok_or_else(|| {
            ValueError(format!(
                "sleep_ms: ms must be between 0 and 10000, got {ms}"
            ))
        })?;
    std::thread::sleep(std::time::Duration::from_millis(ms));
    Ok(())
}

/// read_file returns the file's bytes; a missing file is FileNotFoundError, a directory
/// IsADirectoryError, both with errno and filename.
#[virgil::export]
pub fn read_file(path: &str) -> Result<Vec<u8>, PathError> {
    std::fs::read(path).with_path(path)
}

/// load_config returns read_file(path), its failure under the context "load config".
#[virgil::export]
pub fn load_config(path: &str) -> Result<Vec<u8>, virgil::Error> {
    read_file(path).context("load config")
}

/// parse_int parses s as a decimal 64-bit integer: not a number is ValueError, out of range
/// OverflowError.
#[virgil::export]
pub fn parse_int(s: &str) -> Result<i64, virgil::Error> {
    Ok(s.parse::<i64>()?)
}

/// fail_plain fails with a plain String error: Exception with message `message`.
#[virgil::export]
pub fn fail_plain(message: &str) -> Result<(), String> {
    Err(message.to_owned())
}

/// fail_attrs fails with QuotaError, whose fields code and reason become its attributes.
#[virgil::export]
pub fn fail_attrs(code: i64, reason: String) -> Result<(), QuotaError> {
    Err(QuotaError { code, reason })
}

/// apply returns f(x).
#[virgil::export]
pub fn apply(f: Callback<fn(i64) -> i64>, x: i64) -> Result<i64, ClosureError> {
    f.call(x)
}

/// map_ints returns [f(x) for x in xs], stopping at the first failure.
#[virgil::export]
pub fn map_ints(f: Callback<fn(i64) -> i64>, xs: Vec<i64>) -> Result<Vec<i64>, ClosureError> {
    xs.into_iter().map(|x| f.call(x)).collect()
}

/// fold returns f(...f(f(init, x0), x1)..., xn).
#[virgil::export]
pub fn fold(
    f: Callback<fn(i64, i64) -> i64>,
    init: i64,
    xs: Vec<i64>,
) -> Result<i64, ClosureError> {
    xs.into_iter().try_fold(init, |acc, x| f.call(acc, x))
}

/// The callback `register` keeps for `fire`, shared so that `fire` calls it without holding the
/// lock (the callback may call `register` or `unregister` itself).
type Registered = Option<Arc<RetainedCallback<fn(i64) -> i64>>>;

static REGISTERED: Mutex<Registered> = Mutex::new(None);

fn registered() -> std::sync::MutexGuard<'static, Registered> {
    REGISTERED.lock().unwrap_or_else(|e| e.into_inner())
}

/// register keeps f (retained) for fire, releasing one registered before.
#[virgil::export]
pub fn register(f: Callback<fn(i64) -> i64>) {
    let previous = registered().replace(Arc::new(f.retain()));
    drop(previous); // released outside the lock
}

/// fire returns f(x) for the registered f; without one it raises ValueError.
#[virgil::export]
pub fn fire(x: i64) -> Result<i64, virgil::Error> {
    let f = registered()
        .clone()
        .ok_or_else(|| ValueError("no callback registered".to_owned()))?;
    Ok(f.call(x)?)
}

/// unregister releases the registered f, if any.
#[virgil::export]
pub fn unregister() {
    let previous = registered().take();
    drop(previous);
}

#[cfg(test)]
mod tests;
