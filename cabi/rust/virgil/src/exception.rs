//! The exception record (ABI.md, section 6): how a failure crosses the boundary.
//!
//! It is one file because it is one type, [`Exception`] with its [`Frame`], and the limits and
//! encoding its fields obey; a fifth of it is tests.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::types::{AbiType, Field, Ty};
use crate::value::Value;

/// The `language` of records this kit writes.
pub const LANGUAGE: &str = "rust";

/// The most records a cause chain may hold, the outermost included.
pub const MAX_CHAIN: usize = 256;

/// The most frames a traceback may hold.
pub const MAX_FRAMES: usize = 4096;

/// The most attributes a record may hold.
pub const MAX_ATTRIBUTES: usize = 256;

/// A record's structured fields (ABI.md, section 6), keyed by name: kept sorted by their UTF-8
/// bytes, which is the order they are written in.
pub type Attributes = BTreeMap<String, Value>;

/// A failure as it crosses the boundary: the exception record of ABI.md, section 6.
///
/// Guests write one for every `Err` and every panic; a function may also return one directly
/// (`Result<T, virgil::Exception>`) to choose every field itself, or to pass on a record that came
/// from another language. It is an ordinary Rust error: `Display` shows this level's text (its
/// message, or its name when the message is empty), [`source`](std::error::Error::source) is the
/// cause, and `{:#}` and `{:?}` show the whole story: every level's name, message, attributes
/// and frames ([`Exception::story`]). [`Exception::chain_text`] is the chain's text,
/// `load config: No such file or directory (os error 2)`.
///
/// On the wire the keys come in the canonical order `name, message, language, traceback, cause,
/// notes, attributes`; `notes` and `attributes` are left out when empty. Readers ignore unknown
/// keys and take a missing or nil key as its empty value; only `name` is required.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    /// The type or class name: `ZeroDivisionError`, `FileNotFoundError`, `virgil.Panic`.
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
    /// Structured fields: `errno`, `filename`, an error type's own fields. A reader ignores an
    /// `attributes` that is not a map, and keys that are not strings.
    #[serde(
        default,
        deserialize_with = "attributes_or_empty",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub attributes: Attributes,
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

/// Reads `attributes`: a map's entries with string keys; anything else (nil, a list, a number)
/// is no attributes, as a reader that did not know the key would have it.
fn attributes_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Attributes, D::Error> {
    let Value::Map(entries) = Value::deserialize(d)? else {
        return Ok(Attributes::new());
    };
    Ok(entries
        .into_iter()
        .filter_map(|(k, v)| match k {
            Value::Str(k) => Some((k, v)),
            _ => None,
        })
        .collect())
}

/// A key folded as the struct rule folds it (ABI.md, section 5): ASCII letters lowercased, every
/// `_` and `-` removed.
pub fn fold(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
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
            attributes: Attributes::new(),
        }
    }

    /// Sets an attribute.
    #[must_use]
    pub fn with_attribute(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// The attribute `key`, matched as struct keys are (ABI.md, section 6): exactly, else folded
    /// (`errorCode` finds `error_code`).
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        self.attributes.get(key).or_else(|| {
            let folded = fold(key);
            self.attributes
                .iter()
                .find(|(k, _)| fold(k) == folded)
                .map(|(_, v)| v)
        })
    }

    /// The `errno` attribute: the POSIX error number of a failure that came from the OS.
    pub fn errno(&self) -> Option<i32> {
        match self.attribute("errno")? {
            Value::Int(n) => i32::try_from(*n).ok(),
            _ => None,
        }
    }

    /// The `filename` attribute: the path the failed operation was about.
    pub fn filename(&self) -> Option<&str> {
        match self.attribute("filename")? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// This level's text (ABI.md, section 6): its message, or its name when the message is empty.
    pub fn text(&self) -> &str {
        if self.message.is_empty() {
            &self.name
        } else {
            &self.message
        }
    }

    /// The chain's text: the levels' messages, outermost first, joined by `": "`, empty ones
    /// skipped (the outermost name when every message is empty), as Go's `Error()` shows it:
    /// `load config: No such file or directory (os error 2)`.
    pub fn chain_text(&self) -> String {
        let messages: Vec<&str> = self
            .chain()
            .map(|l| l.message.as_str())
            .filter(|m| !m.is_empty())
            .collect();
        if messages.is_empty() {
            self.name.clone()
        } else {
            messages.join(": ")
        }
    }

    /// The whole story, as `{:#}` and `{:?}` show it: for every level, outermost first, its name
    /// and message, its language, attributes, notes and frames (oldest call first, as Python
    /// prints them), the causes after `caused by:`.
    ///
    /// ```text
    /// FileNotFoundError: load config [rust]
    ///   File "src/lib.rs", line 80, column 5, in conformance_rust::load_config
    /// caused by: FileNotFoundError: No such file or directory (os error 2) [rust]
    ///   errno = 2
    ///   filename = "/etc/app.toml"
    ///   File "src/lib.rs", line 70, column 10, in conformance_rust::read_file
    /// ```
    pub fn story(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = self.write_story(&mut out);
        out
    }

    fn write_story(&self, f: &mut impl fmt::Write) -> fmt::Result {
        for (i, level) in self.chain().enumerate() {
            if i > 0 {
                f.write_str("\ncaused by: ")?;
            }
            f.write_str(&level.name)?;
            if !level.message.is_empty() {
                write!(f, ": {}", level.message)?;
            }
            if !level.language.is_empty() {
                write!(f, " [{}]", level.language)?;
            }
            for (key, value) in &level.attributes {
                write!(f, "\n  {key} = {value}")?;
            }
            for note in &level.notes {
                write!(f, "\n  note: {note}")?;
            }
            for frame in &level.traceback {
                write!(f, "\n  {frame}")?;
            }
        }
        Ok(())
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
    /// chain, [`MAX_FRAMES`] frames in each traceback and [`MAX_ATTRIBUTES`] attributes in each
    /// record.
    pub fn check_limits(&self) -> Result<(), String> {
        for (depth, level) in self.chain().enumerate() {
            if depth == MAX_CHAIN {
                return Err(format!(
                    "the cause chain is longer than {MAX_CHAIN} records"
                ));
            }
            if level.attributes.len() > MAX_ATTRIBUTES {
                return Err(format!(
                    "a record of {} attributes has more than {MAX_ATTRIBUTES}",
                    level.attributes.len()
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
            if x.attributes.len() > MAX_ATTRIBUTES {
                let cut = x.attributes.len() - MAX_ATTRIBUTES;
                while x.attributes.len() > MAX_ATTRIBUTES {
                    x.attributes.pop_last();
                }
                x.notes
                    .push(format!("attributes truncated: the last {cut} were dropped"));
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
    /// This level's text ([`Exception::text`]); `{:#}` the whole story ([`Exception::story`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            self.write_story(f)
        } else {
            f.write_str(self.text())
        }
    }
}

impl fmt::Debug for Exception {
    /// The whole story ([`Exception::story`]); `{:#?}` the record's fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return self.write_story(f);
        }
        f.debug_struct("Exception")
            .field("name", &self.name)
            .field("message", &self.message)
            .field("language", &self.language)
            .field("traceback", &self.traceback)
            .field("cause", &self.cause)
            .field("notes", &self.notes)
            .field("attributes", &self.attributes)
            .finish()
    }
}

impl fmt::Display for Frame {
    /// `File "src/lib.rs", line 12, column 5, in my_crate::load`, as Python shows a frame.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = if self.file.is_empty() {
            "<unknown>"
        } else {
            &self.file
        };
        write!(f, "File \"{file}\", line {}", self.line)?;
        if self.column > 0 {
            write!(f, ", column {}", self.column)?;
        }
        write!(f, ", in {}", self.function)
    }
}

impl std::error::Error for Exception {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|c| c as _)
    }
}

impl AbiType for Exception {
    /// Only `name` is required (ABI.md, section 6).
    const TYPE: Ty = Ty::Record(
        "Exception",
        &[
            Field::new("name", Ty::Str),
            Field::optional("message", Ty::Optional(&Ty::Str)),
            Field::optional("language", Ty::Optional(&Ty::Str)),
            Field::optional("traceback", Ty::Optional(&Ty::List(&Frame::TYPE))),
            Field::optional("cause", Ty::Any),
            Field::optional("notes", Ty::Optional(&Ty::List(&Ty::Str))),
            Field::optional("attributes", Ty::Any),
        ],
    );
}

impl AbiType for Frame {
    /// Every key may be missing or nil (ABI.md, section 6).
    const TYPE: Ty = Ty::Record(
        "Frame",
        &[
            Field::optional("function", Ty::Optional(&Ty::Str)),
            Field::optional("file", Ty::Optional(&Ty::Str)),
            Field::optional("line", Ty::Optional(&Ty::UInt)),
            Field::optional("column", Ty::Optional(&Ty::UInt)),
        ],
    );
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
    fn display_is_the_levels_text_and_the_alternate_the_story() {
        let x = chain(3);
        assert_eq!(x.to_string(), "level 3");
        assert_eq!(x.chain_text(), "level 3: level 2: level 1");
        assert_eq!(
            Exception::new("virgil.Panic", "").to_string(),
            "virgil.Panic"
        );
        let wrapper = Exception::new("FileNotFoundError", "")
            .with_cause(Exception::new("FileNotFoundError", "no such file"));
        assert_eq!(wrapper.to_string(), "FileNotFoundError");
        assert_eq!(wrapper.chain_text(), "no such file");
        assert_eq!(Exception::new("Empty", "").chain_text(), "Empty");

        let x = Exception::new("FileNotFoundError", "load config")
            .with_frame(Frame {
                function: "app::load".into(),
                file: "src/lib.rs".into(),
                line: 7,
                column: 5,
            })
            .with_cause(
                Exception::new("FileNotFoundError", "No such file")
                    .with_attribute("errno", 2)
                    .with_attribute("filename", "/etc/app.toml")
                    .with_note("while starting"),
            );
        let story = "FileNotFoundError: load config [rust]\n  \
                     File \"src/lib.rs\", line 7, column 5, in app::load\n\
                     caused by: FileNotFoundError: No such file [rust]\n  \
                     errno = 2\n  filename = \"/etc/app.toml\"\n  note: while starting";
        assert_eq!(format!("{x:#}"), story);
        assert_eq!(format!("{x:?}"), story);
        assert_eq!(x.story(), story);
        assert!(format!("{x:#?}").contains("attributes: {}"));
        let source = std::error::Error::source(&x).expect("the cause");
        assert_eq!(source.to_string(), "No such file");
    }

    #[test]
    fn attributes_are_matched_folded_and_limited() {
        let x = Exception::new("QuotaError", "")
            .with_attribute("error_code", 7)
            .with_attribute("errno", 2);
        assert_eq!(x.attribute("errorCode"), Some(&Value::Int(7)));
        assert_eq!(x.attribute("ERROR-CODE"), Some(&Value::Int(7)));
        assert_eq!(x.attribute("code"), None);
        assert_eq!(x.errno(), Some(2));
        assert_eq!(x.filename(), None);

        let mut many = Exception::new("Many", "");
        for i in 0..MAX_ATTRIBUTES + 2 {
            many.attributes
                .insert(format!("k{i:03}"), Value::Int(i as i128));
        }
        assert!(many.check_limits().is_err());
        many.enforce_limits();
        assert!(many.check_limits().is_ok());
        assert_eq!(many.attributes.len(), MAX_ATTRIBUTES);
        assert_eq!(many.notes.len(), 1);
    }
}
