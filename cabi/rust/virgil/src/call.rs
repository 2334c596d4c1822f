//! One call of an exported function: check and lift the arguments, run the function under
//! `catch_unwind`, lower the result or the failure into the reply envelope (ABI.md, sections 2-4).
//!
//! It is one file because it is the one path every call takes, from the boxes to the reply
//! (including the move to a deep stack for deeply nested arguments).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};

use crate::check::{self, ArgsError, Checked, Patch};
use crate::codec;
use crate::convert::IntoException;
use crate::exception::Exception;
use crate::export::Export;
use crate::ffi::{VirgilBox, box_bytes};
use crate::lent::{self, LentDeserializer};
use crate::names;
use crate::panic::{self, ActiveCall};
use crate::reply::Reply;
use crate::types::{AbiType, Ty};

/// The bytes of `{"ok":` before the value.
const OK_HEAD: &[u8] = &[0x81, 0xa2, b'o', b'k'];
/// The bytes of `{"error":` before the record.
const ERROR_HEAD: &[u8] = &[0x81, 0xa5, b'e', b'r', b'r', b'o', b'r'];

/// What an exported function may return: a value of an [`AbiType`] (`()` for none), or a
/// `Result` of one whose error becomes an exception record ([`IntoException`]).
pub trait IntoReply {
    /// The value that goes into `{"ok": value}`.
    type Value: Serialize;
    /// The result type for the manifest.
    const RESULT: Ty;
    /// The value, or the failure.
    fn into_reply(self) -> Result<Self::Value, Exception>;
}

impl<T: Serialize + AbiType> IntoReply for T {
    type Value = T;
    const RESULT: Ty = T::TYPE;

    fn into_reply(self) -> Result<T, Exception> {
        Ok(self)
    }
}

impl<T: Serialize + AbiType, E: IntoException> IntoReply for Result<T, E> {
    type Value = T;
    const RESULT: Ty = T::TYPE;

    fn into_reply(self) -> Result<T, Exception> {
        self.map_err(IntoException::into_exception)
    }
}

/// The arguments of one call and its reply, handed to the generated body of an export.
pub struct Call<'a> {
    export: &'static Export,
    args: &'a [u8],
    start: usize,
    ends: &'a [usize],
    next: usize,
    reply: &'a mut Reply,
    /// The arguments that are borrowed values themselves (ABI.md section 16): their index and
    /// the lent bytes (UTF-8 when `true`), lifted without a copy. Empty when nothing was lent.
    lent: Vec<(usize, &'a [u8], bool)>,
}

impl<'a> Call<'a> {
    /// Lifts the next argument. The arguments were already checked against the parameter types,
    /// so this fails only where serde is stricter than the type (an integer out of a narrow
    /// type's range, a record without a required field).
    pub fn arg<T: Deserialize<'a>>(&mut self) -> Result<T, Exception> {
        let index = self.next;
        let start = if index == 0 {
            self.start
        } else {
            self.ends[index - 1]
        };
        let bytes: &'a [u8] = &self.args[start..self.ends[index]];
        self.next += 1;
        let lifted = match self.lent.iter().find(|(i, ..)| *i == index) {
            Some(&(_, lent, text)) => {
                // SAFETY: the scanner checked a lent str as UTF-8 (`Reader::payload`).
                let de = unsafe { LentDeserializer::new(lent, text) };
                crate::closure::lifting_arguments(|| T::deserialize(de).map_err(|e| e.to_string()))
            }
            None => {
                let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
                crate::closure::lifting_arguments(|| T::deserialize(&mut de))
                    .map_err(|e| e.to_string())
            }
        };
        lifted.map_err(|e| {
            let message = format!(
                "{}: argument {}: {}",
                self.export.name,
                index + 1,
                shorten(&e)
            );
            Exception::new(names::ARGUMENT_ERROR, message).with_frame(self.export.frame())
        })
    }

    /// Writes the reply for the function's outcome. A failure without frames of its own gets the
    /// frame of the exported function.
    pub fn reply<R: IntoReply>(&mut self, outcome: R) {
        // A byte string of the result inside a lent argument is replied as a view of it.
        let viewable: Vec<(usize, usize)> = self
            .lent
            .iter()
            .map(|(_, b, _)| (b.as_ptr() as usize, b.as_ptr() as usize + b.len()))
            .collect();
        let reply = &mut *self.reply;
        let result = outcome
            .into_reply()
            .and_then(|value| lent::viewing(&viewable, || write_ok(reply, &value)));
        if let Err(mut x) = result {
            if x.traceback.is_empty() {
                x.traceback.push(self.export.frame());
            }
            self.export.relativize(&mut x);
            write_error(self.reply, x);
        }
    }
}

/// Messages from serde quote values; a long one is cut.
fn shorten(message: &str) -> &str {
    const MAX: usize = 200;
    match message.char_indices().nth(MAX) {
        Some((end, _)) => &message[..end],
        None => message,
    }
}

/// Writes `{"ok": value}`. On failure the reply is left to be reset and the failure is returned:
/// `virgil.OutOfMemory` when memory ran out, `virgil.LimitExceeded` for a length MessagePack
/// cannot represent, else `virgil.ResultError`.
pub(crate) fn write_ok<T: Serialize + ?Sized>(
    reply: &mut Reply,
    value: &T,
) -> Result<(), Exception> {
    use std::io::Write;
    let written = match reply.write_all(OK_HEAD) {
        Ok(()) => codec::write(&mut *reply, value).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match written {
        Ok(()) => Ok(()),
        Err(_) if reply.failed() => Err(Exception::new(
            names::OUT_OF_MEMORY,
            "the guest could not allocate memory for its reply",
        )),
        Err(e) if crate::bounded::is_too_long(&e) => Err(Exception::new(
            names::LIMIT_EXCEEDED,
            format!("the result could not be lowered: {e}"),
        )),
        Err(e) => Err(Exception::new(
            names::RESULT_ERROR,
            format!("the result could not be lowered: {e}"),
        )),
    }
}

/// Replaces the reply with `{"error": record}`. When even that cannot be written, a bare
/// `virgil.InternalError` is tried, and failing that the reply stays failed (`{NULL, 0}`).
pub(crate) fn write_error(reply: &mut Reply, mut x: Exception) {
    use std::io::Write;
    x.enforce_limits();
    for attempt in [Some(x), None] {
        reply.reset();
        let record = attempt.unwrap_or_else(|| {
            Exception::new(
                names::INTERNAL_ERROR,
                "the guest could not write its error reply",
            )
        });
        let written =
            reply.write_all(ERROR_HEAD).is_ok() && codec::write(&mut *reply, &record).is_ok();
        if written {
            return;
        }
    }
}

/// The message of an argument array that cannot be lifted (ABI.md, section 7).
fn argument_message(name: &str, error: ArgsError) -> String {
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    match error {
        ArgsError::Empty => format!("{name}: malformed arguments: empty input, expected an array"),
        ArgsError::NotAnArray(got) => format!("{name}: arguments must be an array, got {got}"),
        ArgsError::Malformed(problem) => format!("{name}: malformed arguments: {problem}"),
        ArgsError::Count { want, got } => {
            format!(
                "{name}: expected {want} argument{}, got {got}",
                plural(want as u64)
            )
        }
        ArgsError::Argument { index, error } => format!("{name}: argument {index}: {error}"),
        ArgsError::Trailing(n) => format!(
            "{name}: malformed arguments: {n} trailing byte{} after the array",
            plural(n as u64)
        ),
    }
}

/// How deep arguments may nest and still be lifted on the caller's thread. serde lifts nesting
/// recursively, a few hundred bytes of stack a level (more in a debug build), and a caller's
/// thread may have as little as 128 KiB (musl's default): deeper arguments are lifted, and the
/// function run, on a thread of the kit's with a stack of [`DEEP_STACK`] bytes.
const SHALLOW: usize = 32;

/// The stack of the thread that serves a call whose arguments nest deeper than [`SHALLOW`]:
/// room for the 512 levels ABI.md section 11 allows, lifted and lowered again, with a wide margin
/// (it is address space; only the pages touched are memory).
const DEEP_STACK: usize = 16 << 20;

thread_local! {
    /// Whether this thread is one [`serve_deep`] started, with a stack for any nesting.
    static DEEP: Cell<bool> = const { Cell::new(false) };
}

/// What became of a call whose arguments were checked.
enum Ran {
    /// The function ran and the reply was written.
    Done,
    /// The arguments nest this deep, too deep to lift on this thread; nothing was written.
    TooDeep(usize),
}

/// The generated body of an export: lifts the arguments, calls the function, writes the reply.
pub type Body = for<'a, 'b> fn(&'b mut Call<'a>) -> Result<(), Exception>;

/// Serves one call of an exported function. Every `#[virgil::export]` symbol calls this, with
/// room for the ends of its arguments in `ends` (one per parameter).
///
/// It never unwinds: a panic of the function, of its arguments' `Deserialize` or its result's
/// `Serialize` becomes `virgil.Panic`. It always leaves a reply in `output`, or `{NULL, 0}` when
/// no memory could be had for one.
///
/// # Safety
///
/// `input` and `output` follow the ABI (sections 2 and 3): `input` is null or a readable box,
/// `output` is null or a box that is `{NULL, 0}` or lends a writable scratch buffer.
#[inline(never)]
pub unsafe fn serve(
    input: *const VirgilBox,
    output: *mut VirgilBox,
    export: &'static Export,
    ends: &mut [usize],
    body: Body,
) {
    // SAFETY: the caller's promise.
    let Some(out) = (unsafe { output.as_mut() }) else {
        return;
    };
    crate::backtrace::set_boundary(serve as *const () as usize);
    panic::install_hook();
    let active = ActiveCall::enter();
    let boxed = input;
    // A box of {NULL, n > 0} is broken (ABI.md section 2): it is never read.
    // SAFETY: the caller's promise: `input` is null or points at a box.
    let broken = unsafe { input.as_ref() }.is_some_and(|b| b.ptr.is_null() && b.len > 0);
    // SAFETY: the caller's promise; `in` is borrowed for the call only.
    let input = unsafe { box_bytes(input) };
    // SAFETY: the caller's promise.
    let mut reply = unsafe { Reply::for_out(out, input) };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if broken {
            return Err(Exception::new(
                names::PROTOCOL_ERROR,
                format!(
                    "{}: protocol error: the argument box is NULL with a length",
                    export.name
                ),
            ));
        }
        lift_and_run(input, export, ends, body, &mut reply)
    }));
    match outcome {
        Ok(Ok(Ran::Done)) => {}
        Ok(Ok(Ran::TooDeep(depth))) => {
            // Nothing was written: the call starts over on a thread with a deep stack.
            drop(reply);
            drop(active);
            // SAFETY: the caller's promise, passed on.
            return unsafe { serve_deep(boxed, output, export, ends, body, depth) };
        }
        Ok(Err(x)) => write_error(&mut reply, x),
        Err(payload) => {
            let mut x = panic::exception(payload, &export.frame());
            export.relativize(&mut x);
            write_error(&mut reply, x);
        }
    }
    reply.finish(out);
}

/// Serves a call again on a thread of its own with a stack of [`DEEP_STACK`] bytes, for arguments
/// nested `depth` deep, while this thread waits: the function's frames, panics and failures are
/// the new thread's, and its own [`serve`] turns them into the reply as usual. When no such
/// thread can be started the reply is `virgil.OutOfMemory`.
///
/// # Safety
///
/// As for [`serve`]; `output` is not null.
#[cold]
#[inline(never)]
unsafe fn serve_deep(
    input: *const VirgilBox,
    output: *mut VirgilBox,
    export: &'static Export,
    ends: &mut [usize],
    body: Body,
    depth: usize,
) {
    /// The call's boxes, handed to the thread that serves it.
    struct Boxes(*const VirgilBox, *mut VirgilBox);
    // SAFETY: only the new thread touches the boxes, while this one waits for it to end.
    unsafe impl Send for Boxes {}
    let boxes = Boxes(input, output);
    let served = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("virgil-deep-call".into())
            .stack_size(DEEP_STACK)
            .spawn_scoped(scope, move || {
                let boxes = boxes;
                DEEP.set(true);
                // SAFETY: the caller's promise, passed on; the calling thread waits meanwhile.
                unsafe { serve(boxes.0, boxes.1, export, ends, body) }
            })
            .map(|thread| thread.join())
    });
    let message = match served {
        Ok(Ok(())) => return,
        // `serve` never unwinds; this is only in case.
        Ok(Err(_)) => format!("{}: the thread that served the call panicked", export.name),
        Err(e) => format!(
            "{}: could not start a thread to lift arguments nested {depth} deep: {e}",
            export.name
        ),
    };
    // SAFETY: the caller's promise.
    let (out, input) = unsafe { (&mut *output, box_bytes(input)) };
    // SAFETY: the caller's promise.
    let mut reply = unsafe { Reply::for_out(out, input) };
    write_error(
        &mut reply,
        Exception::new(names::OUT_OF_MEMORY, message).with_frame(export.frame()),
    );
    reply.finish(out);
}

fn lift_and_run(
    input: &[u8],
    export: &'static Export,
    ends: &mut [usize],
    body: Body,
    reply: &mut Reply,
) -> Result<Ran, Exception> {
    let mut patches = Vec::new();
    // SAFETY: `input` is the call's arguments (`serve`'s caller's promise), and the host keeps
    // what it lends alive and unchanged for the call (ABI.md section 16), which outlasts `input`
    // here.
    let checked = unsafe {
        check::check_args(
            input,
            export.params.iter().map(|p| &p.ty),
            ends,
            &mut patches,
        )
    };
    let Checked { start, depth, lent } = checked.map_err(|e| {
        let name = if e.is_limit() {
            names::LIMIT_EXCEEDED
        } else if e.is_protocol() {
            names::PROTOCOL_ERROR
        } else {
            names::ARGUMENT_ERROR
        };
        Exception::new(name, argument_message(export.name, e)).with_frame(export.frame())
    })?;
    if depth > SHALLOW && !DEEP.get() {
        return Ok(Ran::TooDeep(depth));
    }
    for l in &lent {
        reply.keep_off(l.ptr, l.ptr + l.len); // `words` checked that this does not wrap
    }
    // SAFETY: `check_args` found `lent` in this call's arguments.
    let args_lent = unsafe { lend(&lent, start, ends, &mut patches) };
    // The argument ends move with the patches.
    let mut start = start;
    let args = check::patched(
        input,
        patches,
        std::iter::once(&mut start).chain(ends.iter_mut()),
    );
    body(&mut Call {
        export,
        args: &args,
        start,
        ends,
        next: 0,
        reply,
        lent: args_lent,
    })?;
    Ok(Ran::Done)
}

/// Sorts the borrowed values of checked arguments (ABI.md section 16): an argument that is one
/// is lifted straight from the lent memory (returned with its index), one inside an argument is
/// patched into the inline value serde reads (copied), unless a key patch replaces it already.
///
/// # Safety
///
/// `lent` is what `check_args` found in a call's arguments, and the call lasts for `'i`.
unsafe fn lend<'i>(
    lent: &[lent::Lent],
    start: usize,
    ends: &[usize],
    patches: &mut Vec<Patch<'i>>,
) -> Vec<(usize, &'i [u8], bool)> {
    let mut whole = Vec::new();
    for l in lent {
        // SAFETY: the caller's promise: the scanner accepted these words, and the host lends
        // the memory for the call (ABI.md section 16).
        let bytes: &'i [u8] = unsafe { lent::bytes(l.ptr, l.len) };
        let argument = std::iter::once(start)
            .chain(ends.iter().copied())
            .position(|s| s == l.start)
            .filter(|&i| i < ends.len() && ends[i] == l.end);
        if let Some(index) = argument {
            whole.push((index, bytes, l.text));
        } else if !patches.iter().any(
            |p| matches!(p, Patch::Key { start, end, .. } if *start <= l.start && l.start < *end),
        ) {
            patches.push(Patch::Lent {
                start: l.start,
                end: l.end,
                text: l.text,
                bytes,
            });
        }
    }
    whole
}

/// Serves a built-in symbol (`virgil_manifest`, `virgil_stats`): `write` writes the reply.
///
/// # Safety
///
/// As for [`serve`].
pub(crate) unsafe fn serve_builtin(
    output: *mut VirgilBox,
    name: &str,
    write: impl FnOnce(&mut Reply) -> Result<(), Exception>,
) {
    // SAFETY: the caller's promise.
    let Some(out) = (unsafe { output.as_mut() }) else {
        return;
    };
    // SAFETY: the caller's promise; there are no arguments to overlap.
    let mut reply = unsafe { Reply::for_out(out, &[]) };
    match catch_unwind(AssertUnwindSafe(|| write(&mut reply))) {
        Ok(Ok(())) => {}
        Ok(Err(x)) => write_error(&mut reply, x),
        Err(_) => write_error(
            &mut reply,
            Exception::new(names::INTERNAL_ERROR, format!("{name} panicked")),
        ),
    }
    reply.finish(out);
}

/// Writes bytes that already hold a whole envelope.
pub(crate) fn reply_raw(reply: &mut Reply, envelope: &[u8]) -> Result<(), Exception> {
    use std::io::Write;
    reply.write_all(envelope).map_err(|_| {
        Exception::new(
            names::OUT_OF_MEMORY,
            "the guest could not allocate memory for its reply",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_messages() {
        assert_eq!(
            argument_message("add", ArgsError::Count { want: 2, got: 1 }),
            "add: expected 2 arguments, got 1"
        );
        assert_eq!(
            argument_message("f", ArgsError::Count { want: 1, got: 0 }),
            "f: expected 1 argument, got 0"
        );
        assert_eq!(
            argument_message("add", ArgsError::Trailing(1)),
            "add: malformed arguments: 1 trailing byte after the array"
        );
        assert_eq!(
            argument_message("add", ArgsError::NotAnArray("map".into())),
            "add: arguments must be an array, got map"
        );
    }

    #[test]
    fn long_serde_messages_are_cut() {
        let long = "é".repeat(500);
        assert_eq!(shorten(&long).chars().count(), 200);
        assert_eq!(shorten("short"), "short");
    }
}
