//! Panics inside exported functions: a hook that records where they happened, quietly, and their
//! conversion to `virgil.Panic` records.
//!
//! Every export runs its function under `catch_unwind`, which returns only the panic's payload.
//! The message's location and the panicking frames are known only to the panic hook, so the kit
//! installs one (once, when the first call arrives) that records them in a thread-local for the
//! export to pick up. It does so only for panics on a thread that is inside an export call, and
//! then prints nothing: the panic is reported to the caller, not to stderr. Every other panic goes
//! to the hook that was installed before (std's default prints as usual). A hook installed later
//! by someone else replaces this one; panics are still caught, with the message only.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, PanicHookInfo};
use std::sync::Once;

use crate::backtrace::{Backtrace, Traceback};
use crate::exception::{Exception, Frame};

/// The name of the record a panic becomes.
pub const PANIC: &str = crate::names::PANIC;

struct Caught {
    message: String,
    location: Option<(String, u32, u32)>,
    backtrace: Backtrace,
}

thread_local! {
    /// How many export calls are under way on this thread (an export may call another).
    static ACTIVE: Cell<u32> = const { Cell::new(0) };
    /// What the hook recorded of the last panic inside an export call on this thread.
    static CAUGHT: RefCell<Option<Caught>> = const { RefCell::new(None) };
}

/// Installs the hook, once per process.
pub(crate) fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if ACTIVE.try_with(|a| a.get() > 0).unwrap_or(false) {
                record(info);
            } else {
                previous(info);
            }
        }));
    });
}

/// Marks the current thread as inside an export call while it lives.
pub(crate) struct ActiveCall(());

impl ActiveCall {
    pub(crate) fn enter() -> Self {
        ACTIVE.with(|a| a.set(a.get() + 1));
        // Nothing recorded before this call belongs to it.
        let _ = CAUGHT.try_with(|c| c.try_borrow_mut().map(|mut c| c.take()));
        ActiveCall(())
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(a.get() - 1));
    }
}

fn record(info: &PanicHookInfo<'_>) {
    let caught = Caught {
        message: payload_text(info.payload()),
        location: info
            .location()
            .map(|l| (l.file().to_owned(), l.line(), l.column())),
        backtrace: Backtrace::capture(),
    };
    let _ = CAUGHT.try_with(|c| c.try_borrow_mut().map(|mut c| *c = Some(caught)));
}

/// The text of a panic's payload: the message of `panic!("...")`, else a description.
fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(x) = payload.downcast_ref::<Exception>() {
        x.to_string()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}

/// The record of a caught panic: `virgil.Panic` with the panic's message, the panicking frames
/// and a note of its location. `fallback` names the exported function, for the one frame a
/// panic gets when no backtrace was captured. A panic whose payload is an [`Exception`]
/// (`std::panic::panic_any(record)`) is that record.
pub(crate) fn exception(payload: Box<dyn Any + Send>, fallback: &Frame) -> Exception {
    let payload = match payload.downcast::<Exception>() {
        Ok(record) => return *record,
        Err(payload) => payload,
    };
    let message = payload_text(&*payload);
    let caught = CAUGHT
        .try_with(|c| c.try_borrow_mut().ok().and_then(|mut c| c.take()))
        .ok()
        .flatten()
        .filter(|c| c.message == message);
    let mut x = Exception::new(PANIC, message);
    let Some(caught) = caught else {
        return x.with_frame(fallback.clone());
    };
    x.traceback = caught.backtrace.traceback();
    if let Some((file, line, column)) = caught.location {
        x.notes.push(format!("panicked at {file}:{line}:{column}"));
        if x.traceback.is_empty() {
            x.traceback.push(Frame {
                function: fallback.function.clone(),
                file,
                line,
                column,
            });
        }
    }
    if x.traceback.is_empty() {
        x.traceback.push(fallback.clone());
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn explode(n: usize) -> usize {
        let v: Vec<usize> = Vec::new();
        v[n]
    }

    #[test]
    fn panics_inside_calls_are_recorded_quietly() {
        install_hook();
        let fallback = Frame {
            function: "tests::fallback".into(),
            ..Frame::default()
        };
        let payload = {
            let _active = ActiveCall::enter();
            panic::catch_unwind(|| explode(std::hint::black_box(3))).unwrap_err()
        };
        let x = exception(payload, &fallback);
        assert_eq!(x.name, PANIC);
        assert_eq!(
            x.message,
            "index out of bounds: the len is 0 but the index is 3"
        );
        assert_eq!(x.notes.len(), 1);
        assert!(
            x.notes[0].starts_with("panicked at ") && x.notes[0].contains("panic.rs"),
            "{x:?}"
        );
        if crate::backtraces_enabled() {
            // The innermost frames are std's indexing; the function that indexed is among them.
            let innermost: Vec<&str> = x
                .traceback
                .iter()
                .rev()
                .take(5)
                .map(|f| f.function.as_str())
                .collect();
            assert!(
                innermost.iter().any(|f| f.ends_with("tests::explode")),
                "{innermost:#?}"
            );
            assert!(
                !x.traceback
                    .iter()
                    .any(|f| f.function.starts_with("core::panicking")),
                "{:#?}",
                x.traceback
            );
        }
    }

    #[test]
    fn panics_outside_calls_are_not_recorded() {
        install_hook();
        let fallback = Frame {
            function: "tests::fallback".into(),
            ..Frame::default()
        };
        // The previous hook (the test harness's) reports this one; nothing is recorded.
        let payload = panic::catch_unwind(|| panic!("outside")).unwrap_err();
        let x = exception(payload, &fallback);
        assert_eq!(x.message, "outside");
        assert_eq!(x.traceback, [fallback]);
        assert!(x.notes.is_empty());
    }

    #[test]
    fn records_thrown_as_payloads_pass_through() {
        let thrown = Exception::new("KeyError", "'x'");
        let payload = panic::catch_unwind(|| panic::panic_any(thrown.clone())).unwrap_err();
        assert_eq!(exception(payload, &Frame::default()), thrown);
    }
}
