//! Tracebacks: the Rust frames of a failure, oldest call first, without the kit's own frames.
//!
//! Two kinds of backtrace give frames ([`Traceback`]):
//!
//! - [`Backtrace`], the kit's: captured with backtrace-rs (the library std's own backtraces are
//!   built on), it stops at the export call that is under way, so it holds only the guest's
//!   frames, and it resolves just those to names and lines, when a record is written. The panic
//!   hook, [`virgil::Error`](crate::Error) and errors that keep their own frames use it.
//! - `std::backtrace::Backtrace`, for errors that already carry one. std can only resolve all of
//!   a backtrace's frames, the host's included, and offers them only as text, which the kit reads
//!   back (`N: function` / `at file:line:column`). Under a host with many shared libraries (a
//!   Python interpreter) that resolution costs hundreds of milliseconds, against tens of
//!   microseconds for the kit's.
//!
//! In both, the kit's frames are cut off both ends: the capture and panic machinery inside, and
//! `catch_unwind`, the export glue and the host's frames outside.
//!
//! It is one file because both kinds share one frame filter (`Seen`, `trim`): what is the kit's
//! and where a call's frames end; a quarter of it is tests.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::exception::{Frame, MAX_FRAMES};

/// The address of the function that runs every export call (`call::serve`), where a capture
/// stops; 0 until the first call. The calling convention's entry point registers itself
/// ([`set_boundary`]) so that this layer does not import the one above it.
static BOUNDARY: AtomicUsize = AtomicUsize::new(0);

/// Registers `function` (the address of `call::serve`) as the frame where captures stop. Before
/// any export call there is no such frame on any stack, so 0 (never a frame's address) loses
/// nothing.
pub(crate) fn set_boundary(function: usize) {
    BOUNDARY.store(function, Ordering::Relaxed);
}

/// Whether the kit captures backtraces: yes unless `RUST_LIB_BACKTRACE` (or, when that is unset,
/// `RUST_BACKTRACE`) is `0`. Read once.
///
/// Unlike std, which captures only when asked to, the kit captures by default: the frames are
/// what a host shows of a Rust failure. A capture walks the guest's part of the stack
/// (microseconds); resolving frames to names and lines happens only when an exception record is
/// written, and the first time reads the library's debug info (milliseconds).
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        let setting =
            std::env::var_os("RUST_LIB_BACKTRACE").or_else(|| std::env::var_os("RUST_BACKTRACE"));
        setting.is_none_or(|v| v != "0")
    })
}

/// Something that yields the frames of a traceback: the kit's [`Backtrace`] or
/// `std::backtrace::Backtrace`. [`ExceptionInfo::exception_backtrace`](crate::ExceptionInfo)
/// returns one.
pub trait Traceback {
    /// The frames, oldest call first, without the kit's own; empty when nothing was captured.
    fn traceback(&self) -> Vec<Frame>;
}

/// A backtrace of the guest's frames, captured cheaply and resolved when a record is written.
///
/// Errors that want their own frames in the exception record keep one from where they are
/// created and return it from [`ExceptionInfo::exception_backtrace`](crate::ExceptionInfo):
///
/// ```
/// #[derive(Debug)]
/// struct Failure {
///     backtrace: virgil::Backtrace,
/// }
///
/// impl Failure {
///     fn new() -> Self {
///         Failure { backtrace: virgil::Backtrace::capture() }
///     }
/// }
/// # impl std::fmt::Display for Failure {
/// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("failed") }
/// # }
/// # impl std::error::Error for Failure {}
///
/// #[virgil::exception]
/// impl virgil::ExceptionInfo for Failure {
///     fn exception_backtrace(&self) -> Option<&dyn virgil::Traceback> {
///         Some(&self.backtrace)
///     }
/// }
/// ```
#[derive(Clone, Default)]
pub struct Backtrace {
    frames: Vec<backtrace::Frame>,
    /// Whether the capture stopped at the export glue (the outer frames are then the glue's).
    in_call: bool,
}

impl Backtrace {
    /// Captures the current thread's frames up to the export call under way (all of them outside
    /// one, at most about [`MAX_FRAMES`]), unless capturing is off ([`enabled`]).
    #[inline(never)]
    pub fn capture() -> Self {
        if !enabled() {
            return Backtrace::default();
        }
        let this = Backtrace::capture as fn() -> Backtrace as usize;
        let boundary = BOUNDARY.load(Ordering::Relaxed);
        let mut frames = Vec::with_capacity(32);
        let mut start = 0; // the frames before are backtrace-rs's and this function's
        let mut in_call = false;
        backtrace::trace(|frame| {
            let function = frame.symbol_address() as usize;
            if function == boundary {
                in_call = true;
                return false;
            }
            frames.push(frame.clone());
            if function == this && start == 0 {
                start = frames.len();
            }
            frames.len() < MAX_FRAMES + 64
        });
        frames.drain(..start);
        Backtrace { frames, in_call }
    }

    /// Whether any frame was captured.
    pub fn is_captured(&self) -> bool {
        !self.frames.is_empty()
    }
}

impl fmt::Debug for Backtrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Backtrace({} frames)", self.frames.len())
    }
}

impl Traceback for Backtrace {
    fn traceback(&self) -> Vec<Frame> {
        let mut frames = Vec::with_capacity(self.frames.len());
        for raw in &self.frames {
            let before = frames.len();
            // Inlined functions give one symbol each, innermost first.
            backtrace::resolve_frame(raw, |symbol| {
                frames.push(Frame {
                    function: symbol.name().map(|n| format!("{n:#}")).unwrap_or_default(),
                    file: symbol
                        .filename()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    line: symbol.lineno().unwrap_or(0),
                    column: symbol.colno().unwrap_or(0),
                });
            });
            if frames.len() == before {
                frames.push(Frame {
                    function: "<unknown>".to_owned(),
                    ..Frame::default()
                });
            }
        }
        trim(&mut frames, self.in_call);
        frames.reverse();
        frames
    }
}

impl Traceback for std::backtrace::Backtrace {
    fn traceback(&self) -> Vec<Frame> {
        if self.status() != std::backtrace::BacktraceStatus::Captured {
            return Vec::new();
        }
        let mut frames = parse(&self.to_string());
        // std writes files under the working directory as `./…`; the host's working directory
        // means nothing to the reader of a traceback, so they are made absolute again.
        if let Ok(dir) = std::env::current_dir() {
            for frame in &mut frames {
                if let Some(rest) = frame.file.strip_prefix("./") {
                    frame.file = dir.join(rest).display().to_string();
                }
            }
        }
        let boundary = frames.iter().position(|f| Seen::new(f).is_boundary());
        if let Some(boundary) = boundary {
            frames.truncate(boundary);
        }
        trim(&mut frames, boundary.is_some());
        frames.reverse();
        frames
    }
}

/// Reads std's short backtrace format, newest frame first.
fn parse(text: &str) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(place) = line.strip_prefix("at ") {
            if let Some(frame) = frames.last_mut() {
                (frame.file, frame.line, frame.column) = parse_place(place);
            }
        } else if let Some((index, function)) = line.split_once(": ")
            && !index.is_empty()
            && index.bytes().all(|b| b.is_ascii_digit())
        {
            frames.push(Frame {
                function: function.to_owned(),
                ..Frame::default()
            });
        }
    }
    frames
}

/// Splits `file:line:column` (or `file:line`); the file may itself contain colons.
fn parse_place(place: &str) -> (String, u32, u32) {
    let mut parts = place.rsplitn(3, ':');
    let last = parts.next().and_then(|s| s.parse().ok());
    let middle = parts.next();
    match (last, middle.and_then(|s| s.parse().ok()), parts.next()) {
        (Some(column), Some(line), Some(file)) => (file.to_owned(), line, column),
        (Some(line), _, _) => {
            let file = place.rsplit_once(':').map_or(place, |(f, _)| f);
            (file.to_owned(), line, 0)
        }
        _ => (place.to_owned(), 0, 0),
    }
}

/// Where the kit's sources were compiled from: frames in these files are the kit's.
const KIT_SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/");

/// One frame as the trimming sees it. Names are full paths when the symbol table names the frame
/// (`virgil::call::serve`) and may be bare names when debug info names an inlined frame (`serve`),
/// so the kit's frames are recognized by their file as much as by their name.
struct Seen<'a> {
    function: &'a str,
    /// The last path segment without generic arguments: `serve`, `{closure#0}`.
    name: &'a str,
    file: &'a str,
}

impl<'a> Seen<'a> {
    fn new(frame: &'a Frame) -> Self {
        let function = frame.function.as_str();
        let base = function
            .split('<')
            .next()
            .unwrap_or(function)
            .trim_end_matches("::");
        let name = base.rsplit("::").next().unwrap_or(base);
        Seen {
            function,
            name,
            file: &frame.file,
        }
    }

    /// Whether the frame is in the kit's source file `file` (`call.rs`).
    fn in_kit_file(&self, file: &str) -> bool {
        self.file.strip_prefix(KIT_SRC) == Some(file)
    }

    /// Whether the frame is in a source file of the kit's folder `dir` (`closure/`).
    fn in_kit_dir(&self, dir: &str) -> bool {
        self.file
            .strip_prefix(KIT_SRC)
            .is_some_and(|f| f.starts_with(dir))
    }

    fn in_kit(&self) -> bool {
        self.file.starts_with(KIT_SRC) || self.function.starts_with("virgil::")
    }

    /// A frame of std, core or alloc.
    fn in_std(&self) -> bool {
        const LIBRARIES: &[&str] = &["/library/std/", "/library/core/", "/library/alloc/"];
        const PATHS: &[&str] = &[
            "std::",
            "core::",
            "alloc::",
            "<std::",
            "<core::",
            "<alloc::",
            "__rustc::",
            "__rust_",
            "rust_begin_unwind",
        ];
        LIBRARIES.iter().any(|l| self.file.contains(l))
            || PATHS.iter().any(|p| self.function.starts_with(p))
    }

    /// The kit's entry point for every call: frames from it outwards are the glue and the host's.
    fn is_boundary(&self) -> bool {
        self.function.starts_with("virgil::call::serve")
            || (self.name == "serve" && self.in_kit_file("call.rs"))
    }

    /// The kit's capture of a backtrace: the panic hook, `Backtrace::capture`, `virgil::Error`, the
    /// call of a closure that failed, `Context::context` and `WithPath::with_path`.
    fn is_capture(&self) -> bool {
        const FULL: &[&str] = &[
            "backtrace::",
            "virgil::backtrace::Backtrace::capture",
            "virgil::panic::install_hook",
            "virgil::panic::record",
            "virgil::error::Error::",
            "<virgil::error::Error as ",
            "virgil::closure::",
            "<virgil::closure::",
            "virgil::context::",
            "<virgil::context::",
        ];
        let closure = self.name.starts_with('{');
        FULL.iter().any(|p| self.function.starts_with(p))
            || self.function.contains(" as virgil::context::")
            || (self.in_kit_file("backtrace.rs") && self.name == "capture")
            || self.in_kit_file("closure.rs")
            || self.in_kit_dir("closure/")
            || self.in_kit_file("context.rs")
            || (self.in_kit_file("panic.rs")
                && (closure || ["record", "install_hook"].contains(&self.name)))
            || (self.in_kit_file("error.rs")
                && ["new", "from", "msg", "from_boxed"].contains(&self.name))
    }
}

/// Cuts the kit's frames off both ends of a newest-first list: inside, the capture and the panic
/// machinery (and the std frames that lead into them, such as indexing that panicked); outside,
/// when the frames end at the export glue, `catch_unwind` and the glue itself.
fn trim(frames: &mut Vec<Frame>, in_call: bool) {
    if in_call {
        while frames.last().is_some_and(|f| {
            let seen = Seen::new(f);
            seen.in_kit() || seen.in_std() || seen.function.contains("__virgil_")
        }) {
            frames.pop();
        }
    }
    let inner = frames
        .iter()
        .take_while(|f| {
            let seen = Seen::new(f);
            seen.in_std() || seen.is_capture()
        })
        .count();
    if inner < frames.len() {
        frames.drain(..inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_std_text() {
        let text = "   0: virgil::backtrace::capture\n             at ./src/backtrace.rs:10:5\n   \
                    1: guest::level\n             at /src/C:odd/lib.rs:42:9\n   \
                    2: <unknown>\n   3: guest::run\n             at ./src/lib.rs:7\n";
        let frames = parse(text);
        assert_eq!(frames.len(), 4);
        assert_eq!(frames[1].function, "guest::level");
        let place = |f: &Frame| (f.file.clone(), f.line, f.column);
        assert_eq!(place(&frames[1]), ("/src/C:odd/lib.rs".into(), 42, 9));
        assert_eq!(place(&frames[2]), ("".into(), 0, 0));
        assert_eq!(place(&frames[3]), ("./src/lib.rs".into(), 7, 0));
    }

    fn named(names: &[&str]) -> Vec<Frame> {
        names
            .iter()
            .map(|n| Frame {
                function: n.to_string(),
                ..Frame::default()
            })
            .collect()
    }

    fn kept(frames: &[Frame]) -> Vec<&str> {
        frames.iter().map(|f| f.function.as_str()).collect()
    }

    #[test]
    fn trims_the_kit_by_name() {
        let mut frames = named(&[
            "virgil::backtrace::Backtrace::capture",
            "<virgil::error::Error as core::convert::From<E>>::from",
            "<core::result::Result<T,F> as core::ops::try_trait::FromResidual<_>>::from_residual",
            "guest::inner",
            "guest::outer",
            "guest::_::__virgil_body",
            "std::panicking::catch_unwind::do_call",
            "std::panic::catch_unwind",
        ]);
        trim(&mut frames, true);
        assert_eq!(kept(&frames), ["guest::inner", "guest::outer"]);
        // Outside a call the outer frames are not the glue's: they stay.
        let mut frames = named(&[
            "virgil::backtrace::Backtrace::capture",
            "guest::f",
            "std::rt::lang_start",
        ]);
        trim(&mut frames, false);
        assert_eq!(kept(&frames), ["guest::f", "std::rt::lang_start"]);
    }

    #[test]
    fn trims_inlined_frames_by_their_file() {
        let kit = |file: &str, function: &str| Frame {
            function: function.into(),
            file: format!("{KIT_SRC}{file}"),
            ..Frame::default()
        };
        let std = |function: &str| Frame {
            function: function.into(),
            file: "/rustc/0123/library/core/src/panicking.rs".into(),
            ..Frame::default()
        };
        let user = |function: &str| Frame {
            function: function.into(),
            file: "/src/guest/lib.rs".into(),
            ..Frame::default()
        };
        let mut frames = vec![
            kit("panic.rs", "record"),
            kit("panic.rs", "{closure#0}"),
            std("core::panicking::panic_fmt"),
            std("index<u32>"),
            user("crash"),
            user("__virgil_body"),
            kit("call.rs", "lift_and_run"),
            std(
                "catch_unwind<core::panic::AssertUnwindSafe<virgil::call::serve::{closure_env#0}>>",
            ),
        ];
        trim(&mut frames, true);
        assert_eq!(kept(&frames), ["crash"]);
    }

    #[inline(never)]
    fn here() -> Backtrace {
        Backtrace::capture()
    }

    #[test]
    fn kit_backtraces_resolve_the_callers_frames() {
        if !enabled() {
            return;
        }
        let frames = here().traceback();
        let innermost = frames.last().expect("frames");
        assert!(innermost.function.ends_with("tests::here"), "{frames:#?}");
        assert!(
            innermost.file.ends_with("backtrace.rs") && innermost.line > 0,
            "{frames:#?}"
        );
        assert!(
            !frames
                .iter()
                .any(|f| f.function.contains("Backtrace::capture")),
            "{frames:#?}"
        );
    }

    #[test]
    fn std_backtraces_resolve_too() {
        #[inline(never)]
        fn there() -> std::backtrace::Backtrace {
            std::backtrace::Backtrace::force_capture()
        }
        let frames = there().traceback();
        assert!(
            frames
                .iter()
                .any(|f| f.function.ends_with("std_backtraces_resolve_too")),
            "{frames:#?}"
        );
        assert!(
            frames.iter().all(|f| !f.file.starts_with("./")),
            "{frames:#?}"
        );
    }
}
