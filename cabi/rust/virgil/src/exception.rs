//! The exception record (ABI.md, section 6): how a failure crosses the boundary.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::types::{AbiType, Field, Ty};

/// The `language` of records this kit writes.
pub const LANGUAGE: &str = "rust";

/// The most records a cause chain may hold, the outermost included.
pub const MAX_CHAIN: usize = 256;

/// The most frames a traceback may hold.
pub const MAX_FRAMES: usize = 4096;

/// A failure as it crosses the boundary: the exception record of ABI.md, section 6.
///
/// Guests write one for every `Err` and every panic; a function may also return one directly
/// (`Result<T, virgil::Exception>`) to choose every field itself, or to pass on a record that came
/// from another language. It is an ordinary Rust error: `Display` shows `name: message`, and
/// [`source`](std::error::Error::source) is the cause.
///
/// On the wire the keys come in the canonical order `name, message, language, traceback, cause,
/// notes`; `notes` is left out when empty. Readers ignore unknown keys and take a missing or nil
/// key as its empty value; only `name` is required.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    /// The type or class name: `ZeroDivisionError`, `std::io::Error`, `virgil.Panic`.
    pub name: String,
    /// This level's own message, without its causes' text.
    #[serde(default, deserialize_with = "nil_as_default")]
    pub message: String,
    /// The language that raised it: `rust`, `go`, `python`, `haskell`, `c`.
    #[serde(default, deserialize_with = "nil_as_default")]
    pub language: String,
    /// The frames, oldest call first; the last one is where it was raised.
    #[serde(default, deserialize_with = "nil_as_default")]
    pub traceback: Vec<Frame>,
    /// The exception this one wraps.
    #[serde(default)]
    pub cause: Option<Box<Exception>>,
    /// Extra annotations.
    #[serde(
        default,
        deserialize_with = "nil_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub notes: Vec<String>,
}

/// One frame of a traceback.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Frame {
    /// The function, as its language names it: `conformance_rust::divide`.
    #[serde(default, deserialize_with = "nil_as_default")]
    pub function: String,
    /// The source file, `""` when unknown.
    #[serde(default, deserialize_with = "nil_as_default")]
    pub file: String,
    /// The line, 0 when unknown.
    #[serde(default, deserialize_with = "nil_as_default")]
    pub line: u32,
    /// The column, 0 when unknown.
    #[serde(default, deserialize_with = "nil_as_default")]
    pub column: u32,
}

/// Reads a key that may be nil, which stands for its empty value.
fn nil_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl Exception {
    /// A record with this name and message, in language `rust`, with no frames and no cause.
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        Exception {
            name: name.into(),
            message: message.into(),
            language: LANGUAGE.to_owned(),
            traceback: Vec::new(),
            cause: None,
            notes: Vec::new(),
        }
    }

    /// Sets the cause.
    #[must_use]
    pub fn with_cause(mut self, cause: Exception) -> Self {
        self.cause = Some(Box::new(cause));
        self
    }

    /// Appends a frame (frames go oldest first, so the last one appended is where it was raised).
    #[must_use]
    pub fn with_frame(mut self, frame: Frame) -> Self {
        self.traceback.push(frame);
        self
    }

    /// Appends a note.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The levels of the chain, this one first.
    pub fn chain(&self) -> impl Iterator<Item = &Exception> {
        std::iter::successors(Some(self), |x| x.cause.as_deref())
    }

    /// Checks the limits a reader enforces (section 6): at most [`MAX_CHAIN`] records in the
    /// chain and [`MAX_FRAMES`] frames in each traceback.
    pub fn check_limits(&self) -> Result<(), String> {
        for (depth, level) in self.chain().enumerate() {
            if depth == MAX_CHAIN {
                return Err(format!(
                    "the cause chain is longer than {MAX_CHAIN} records"
                ));
            }
            if level.traceback.len() > MAX_FRAMES {
                return Err(format!(
                    "a traceback of {} frames is longer than {MAX_FRAMES}",
                    level.traceback.len()
                ));
            }
        }
        Ok(())
    }

    /// Cuts the chain and the tracebacks down to the limits a writer must keep, saying so in a
    /// note on the level that was cut. Tracebacks keep their newest frames, where it was raised.
    pub fn enforce_limits(&mut self) {
        let mut level = Some(self);
        let mut depth = 1;
        while let Some(x) = level {
            if x.traceback.len() > MAX_FRAMES {
                let cut = x.traceback.len() - MAX_FRAMES;
                x.traceback.drain(..cut);
                x.notes.push(format!(
                    "traceback truncated: the {cut} oldest frames were dropped"
                ));
            }
            if depth == MAX_CHAIN && x.cause.is_some() {
                x.cause = None;
                x.notes
                    .push(format!("cause chain truncated after {MAX_CHAIN} levels"));
            }
            depth += 1;
            level = x.cause.as_deref_mut();
        }
    }
}

impl fmt::Display for Exception {
    /// `name: message`, or only the name when the message is empty. `{:#}` adds the causes,
    /// separated by `: `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, level) in self.chain().enumerate() {
            if i > 0 && !f.alternate() {
                break;
            }
            if i > 0 {
                f.write_str(": ")?;
            }
            f.write_str(&level.name)?;
            if !level.message.is_empty() {
                write!(f, ": {}", level.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Exception {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|c| c as _)
    }
}

impl AbiType for Exception {
    const TYPE: Ty = Ty::Record(&[
        Field {
            name: "name",
            ty: Ty::Str,
        },
        Field {
            name: "message",
            ty: Ty::Str,
        },
        Field {
            name: "language",
            ty: Ty::Str,
        },
        Field {
            name: "traceback",
            ty: Ty::List(&Frame::TYPE),
        },
        Field {
            name: "cause",
            ty: Ty::Any,
        },
        Field {
            name: "notes",
            ty: Ty::List(&Ty::Str),
        },
    ]);
}

impl AbiType for Frame {
    const TYPE: Ty = Ty::Record(&[
        Field {
            name: "function",
            ty: Ty::Str,
        },
        Field {
            name: "file",
            ty: Ty::Str,
        },
        Field {
            name: "line",
            ty: Ty::UInt,
        },
        Field {
            name: "column",
            ty: Ty::UInt,
        },
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(depth: usize) -> Exception {
        let mut x = Exception::new("Level1", "level 1");
        for n in 2..=depth {
            x = Exception::new(format!("Level{n}"), format!("level {n}")).with_cause(x);
        }
        x
    }

    #[test]
    fn limits_are_checked_and_enforced() {
        assert!(chain(MAX_CHAIN).check_limits().is_ok());
        let mut long = chain(MAX_CHAIN + 10);
        assert!(long.check_limits().is_err());
        long.enforce_limits();
        assert!(long.check_limits().is_ok());
        assert_eq!(long.chain().count(), MAX_CHAIN);
        let last = long.chain().last().unwrap();
        assert_eq!(
            last.notes,
            [format!("cause chain truncated after {MAX_CHAIN} levels")]
        );

        let mut wide = Exception::new("Wide", "");
        wide.traceback = (0..MAX_FRAMES as u32 + 3)
            .map(|line| Frame {
                line,
                ..Frame::default()
            })
            .collect();
        assert!(wide.check_limits().is_err());
        wide.enforce_limits();
        assert_eq!(wide.traceback.len(), MAX_FRAMES);
        assert_eq!(wide.traceback[0].line, 3, "the oldest frames go");
    }

    #[test]
    fn display() {
        let x = chain(3);
        assert_eq!(x.to_string(), "Level3: level 3");
        assert_eq!(
            format!("{x:#}"),
            "Level3: level 3: Level2: level 2: Level1: level 1"
        );
        assert_eq!(
            Exception::new("virgil.Panic", "").to_string(),
            "virgil.Panic"
        );
    }
}
