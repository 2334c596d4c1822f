//! The MessagePack scanner: reads heads and skips whole values without recursing on the input's
//! nesting (at most [`MAX_DEPTH`] deep, ABI.md section 11), checking what every value must be
//! whatever its declared type: well formed, strs UTF-8, timestamps valid, map keys scalars and
//! never twice in one map. The checks against a declared type (`check.rs`) and the exception
//! records' readers build on it.
//!
//! It is one file because every part is the one [`Reader`] cursor and the [`Problem`]s it
//! reports; the checks against a type are already apart, in `check.rs`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use crate::lent::{self, BadWords, Lent};
use crate::raw_closure::CLOSURE_EXT;
use crate::timestamp::{TIMESTAMP_EXT, Timestamp};
use crate::types::Ty;

/// The deepest nesting of arrays and maps a value may have.
pub const MAX_DEPTH: usize = 512;

/// Why bytes are not a value of the declared type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Not MessagePack, or cut short.
    Malformed(Cow<'static, str>),
    /// MessagePack, but not a valid value of its family (a str that is not UTF-8).
    Invalid(Cow<'static, str>),
    /// Arrays and maps nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A record without a field it requires (the struct rule).
    Missing {
        /// The record's name.
        record: &'static str,
        /// The field's wire name.
        field: &'static str,
    },
    /// A record's field that no key names exactly and two or more keys name folded.
    Ambiguous {
        /// The record's name.
        record: &'static str,
        /// The field's wire name.
        field: &'static str,
        /// Two of the keys.
        keys: (String, String),
    },
    /// A borrowed value (ABI.md section 16) of 2³² bytes or more.
    LentTooLong(u64),
    /// A borrowed value NULL with a length, or running past the end of the address space.
    LentPointer,
    /// A well-formed value of another type.
    Mismatch {
        /// The declared type.
        expected: Ty,
        /// What the value is: `str`, `negative int`, `ext 5`, ...
        got: Cow<'static, str>,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Malformed(what) | Problem::Invalid(what) => f.write_str(what),
            Problem::TooDeep => write!(f, "nested deeper than {MAX_DEPTH} levels"),
            Problem::LentTooLong(len) => write!(
                f,
                "a borrowed value of {len} bytes: MessagePack cannot represent a length of 2^32 or more"
            ),
            Problem::LentPointer => {
                f.write_str("a borrowed value NULL with a length, or wrapping the address space")
            }
            Problem::Missing { record, field } => write!(f, "{record}: missing field {field}"),
            Problem::Ambiguous {
                record,
                field,
                keys: (a, b),
            } => write!(
                f,
                "{record}: ambiguous keys for field {field}: {a:?} and {b:?}"
            ),
            // A closure of the wrong type cannot be told from one of the right type (its type is
            // not on the wire), so a mismatch is only ever "not a closure at all".
            Problem::Mismatch {
                expected: Ty::Func(..),
                got,
            } => write!(f, "expected fn, got {got}"),
            Problem::Mismatch { expected, got } => write!(f, "expected {expected}, got {got}"),
        }
    }
}

/// A [`Problem`] and where it is inside the value: `element 2`, `field "count"`, ...
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckError {
    /// The path from the outermost value inwards.
    pub path: Vec<String>,
    /// What is wrong there.
    pub problem: Problem,
}

impl CheckError {
    pub(crate) fn inside(mut self, segment: impl FnOnce() -> String) -> Self {
        self.path.insert(0, segment());
        self
    }

    /// Whether the bytes are not MessagePack at all (rather than a value that does not fit).
    pub fn is_malformed(&self) -> bool {
        matches!(self.problem, Problem::Malformed(_))
    }

    /// Whether a limit of ABI.md section 11 was exceeded (`virgil.LimitExceeded`), rather than
    /// the bytes being malformed or of another type.
    pub fn is_limit(&self) -> bool {
        self.problem.is_limit()
    }

    /// Whether the peer broke the protocol (`virgil.ProtocolError`): a borrowed value whose words
    /// cannot be memory (ABI.md section 16).
    pub fn is_protocol(&self) -> bool {
        self.problem == Problem::LentPointer
    }
}

impl Problem {
    /// Whether this is a limit of ABI.md section 11 (`virgil.LimitExceeded`).
    pub fn is_limit(&self) -> bool {
        matches!(self, Problem::TooDeep | Problem::LentTooLong(_))
    }
}

impl From<Problem> for CheckError {
    fn from(problem: Problem) -> Self {
        CheckError {
            path: Vec::new(),
            problem,
        }
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.path {
            write!(f, "{segment}: ")?;
        }
        write!(f, "{}", self.problem)
    }
}

fn truncated() -> Problem {
    Problem::Malformed("truncated input".into())
}

/// The head of one MessagePack value: its family and length, scalars already read.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Head {
    Nil,
    Bool,
    Int {
        negative: bool,
    },
    Float32,
    Float64,
    Str(usize),
    Bin(usize),
    Array(u64),
    Map(u64),
    Ext(i8, usize),
    /// A borrowed str (`text`) or byte string (ABI.md section 16): `len` bytes at `ptr`, whose
    /// words were checked; read only by a reader made with [`Reader::lending`].
    Lent {
        text: bool,
        ptr: usize,
        len: usize,
    },
}

impl Head {
    /// The value's family in the words of the vocabulary.
    pub(crate) fn family(self) -> Cow<'static, str> {
        match self {
            Head::Nil => "nil".into(),
            Head::Bool => "bool".into(),
            Head::Int { negative: false } => "int".into(),
            Head::Int { negative: true } => "negative int".into(),
            Head::Float32 => "float32".into(),
            Head::Float64 => "float".into(),
            Head::Str(_) => "str".into(),
            Head::Bin(_) => "bytes".into(),
            Head::Array(_) => "list".into(),
            Head::Map(_) => "map".into(),
            Head::Ext(TIMESTAMP_EXT, _) => "time".into(),
            Head::Ext(CLOSURE_EXT, _) => "fn".into(),
            Head::Ext(tag, _) => format!("ext {tag}").into(),
            Head::Lent { text: true, .. } => "str".into(),
            Head::Lent { text: false, .. } => "bytes".into(),
        }
    }
}

/// A map key as a value (ABI.md section 5: keys are scalars), so that two keys equal as values
/// are found whatever their encodings (`01` and `cd 00 01` are one key). Floats compare bit for
/// bit, any NaN equal to any NaN, as values do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Key<'a> {
    Nil,
    Bool(bool),
    Int(i128),
    Float(u64),
    Float32(u32),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Time(Timestamp),
    Ext(i8, &'a [u8]),
}

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Nil => f.write_str("nil"),
            Key::Bool(b) => write!(f, "{b}"),
            Key::Int(n) => write!(f, "{n}"),
            Key::Float(bits) => write!(f, "{:?}", f64::from_bits(*bits)),
            Key::Float32(bits) => write!(f, "{:?}", f32::from_bits(*bits)),
            Key::Str(s) => write!(f, "{:?}", String::from_utf8_lossy(s)),
            Key::Bin(b) => write!(f, "b\"{}\"", b.escape_ascii()),
            Key::Time(t) => write!(f, "time({}, {})", t.sec, t.nsec),
            Key::Ext(tag, data) => write!(f, "ext {tag} ({} bytes)", data.len()),
        }
    }
}

/// The keys of one map read so far; a key seen twice is malformed (ABI.md section 5).
#[derive(Default)]
pub(crate) struct Keys<'a>(HashSet<Key<'a>>);

impl<'a> Keys<'a> {
    pub(crate) fn insert(&mut self, key: Key<'a>) -> Result<(), Problem> {
        if self.0.insert(key) {
            Ok(())
        } else {
            Err(Problem::Invalid(
                format!("a map with the key {key} twice").into(),
            ))
        }
    }
}

/// A container still being read by [`Reader::skip`].
pub(crate) struct Open<'a> {
    /// The values still to read in it (a map's keys and values both count).
    left: u64,
    /// A map's keys so far; `None` for an array.
    keys: Option<Keys<'a>>,
}

/// A cursor over MessagePack bytes.
pub struct Reader<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) pos: usize,
    /// The deepest nesting of arrays and maps read so far (1 for a value inside one container).
    pub(crate) deepest: usize,
    /// The borrowed values read so far (some more than once), when the reader reads them (it
    /// was made by [`Reader::lending`]); `None` when extensions 65 and 66 are extensions.
    pub(crate) lent: Option<Vec<Lent>>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            deepest: 0,
            lent: None,
        }
    }

    /// A reader at the start of `data` that reads borrowed values (ABI.md section 16) as the strs
    /// and byte strings they lend, checking their words before anything else.
    ///
    /// # Safety
    ///
    /// Every borrowed value in `data` whose words pass the checks lends memory that is readable
    /// and unchanged for `'a`: `data` is a call's arguments and the caller keeps that promise for
    /// the call (ABI.md section 16), as it does for the argument bytes themselves.
    pub(crate) unsafe fn lending(data: &'a [u8]) -> Self {
        Reader {
            lent: Some(Vec::new()),
            ..Reader::new(data)
        }
    }

    /// A reader at `pos` of the same bytes that reads them as this one does (a look ahead).
    pub(crate) fn probe(&self) -> Self {
        Reader {
            data: self.data,
            pos: self.pos,
            deepest: 0,
            lent: self.lent.as_ref().map(|_| Vec::new()),
        }
    }

    /// The offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Problem> {
        if n > self.remaining() {
            return Err(truncated());
        }
        let bytes = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    pub(crate) fn uint(&mut self, n: usize) -> Result<u64, Problem> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0, |acc, &b| acc << 8 | u64::from(b)))
    }

    pub(crate) fn len(&mut self, n: usize) -> Result<usize, Problem> {
        // A length that does not fit memory cannot be satisfied by the bytes that remain.
        usize::try_from(self.uint(n)?).map_err(|_| truncated())
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Reads the head of the next value. Scalars are read whole; for str, bin and ext the payload
    /// follows, for arrays and maps their elements.
    pub(crate) fn head(&mut self) -> Result<Head, Problem> {
        let start = self.pos;
        let head = self.plain_head()?;
        match head {
            Head::Ext(tag @ (lent::BYTES_EXT | lent::STR_EXT), len) if self.lent.is_some() => {
                self.lend(start, tag, len)
            }
            _ => Ok(head),
        }
    }

    /// Reads a borrowed value's payload after its head (`tag`, `len` bytes), which started at
    /// `start`: the checks of ABI.md section 16, in its order, before anything is followed.
    fn lend(&mut self, start: usize, tag: i8, len: usize) -> Result<Head, Problem> {
        let text = tag == lent::STR_EXT;
        if len != lent::PAYLOAD {
            return Err(Problem::Malformed(
                format!("a borrowed value (ext {tag}) of {len} bytes, not 16").into(),
            ));
        }
        let (ptr, len) = lent::words(self.take(lent::PAYLOAD)?).map_err(|bad| match bad {
            BadWords::TooLong(len) => Problem::LentTooLong(len),
            BadWords::Pointer => Problem::LentPointer,
        })?;
        let found = Lent {
            start,
            end: self.pos,
            text,
            ptr,
            len,
        };
        if let Some(log) = &mut self.lent {
            log.push(found);
        }
        Ok(Head::Lent { text, ptr, len })
    }

    /// Reads the head of the next value as MessagePack has it (a borrowed value as its extension).
    fn plain_head(&mut self) -> Result<Head, Problem> {
        let marker = self.take(1)?[0];
        Ok(match marker {
            0x00..=0x7f => Head::Int { negative: false },
            0x80..=0x8f => Head::Map(u64::from(marker & 0x0f)),
            0x90..=0x9f => Head::Array(u64::from(marker & 0x0f)),
            0xa0..=0xbf => Head::Str(usize::from(marker & 0x1f)),
            0xc0 => Head::Nil,
            0xc1 => return Err(Problem::Malformed("the reserved byte 0xc1".into())),
            0xc2 | 0xc3 => Head::Bool,
            0xc4 => Head::Bin(self.len(1)?),
            0xc5 => Head::Bin(self.len(2)?),
            0xc6 => Head::Bin(self.len(4)?),
            0xc7 => self.ext_head(1)?,
            0xc8 => self.ext_head(2)?,
            0xc9 => self.ext_head(4)?,
            0xca => {
                self.take(4)?;
                Head::Float32
            }
            0xcb => {
                self.take(8)?;
                Head::Float64
            }
            0xcc..=0xcf => {
                self.take(1 << (marker - 0xcc))?;
                Head::Int { negative: false }
            }
            0xd0..=0xd3 => {
                let bytes = self.take(1 << (marker - 0xd0))?;
                Head::Int {
                    negative: bytes[0] & 0x80 != 0,
                }
            }
            0xd4..=0xd8 => {
                let len = 1 << (marker - 0xd4);
                Head::Ext(self.take(1)?[0] as i8, len)
            }
            0xd9 => Head::Str(self.len(1)?),
            0xda => Head::Str(self.len(2)?),
            0xdb => Head::Str(self.len(4)?),
            0xdc => Head::Array(self.uint(2)?),
            0xdd => Head::Array(self.uint(4)?),
            0xde => Head::Map(self.uint(2)?),
            0xdf => Head::Map(self.uint(4)?),
            0xe0..=0xff => Head::Int { negative: true },
        })
    }

    pub(crate) fn ext_head(&mut self, len_bytes: usize) -> Result<Head, Problem> {
        let len = self.len(len_bytes)?;
        Ok(Head::Ext(self.take(1)?[0] as i8, len))
    }

    /// Reads the payload that follows a scalar head (str, bin, ext); checks that a str is UTF-8.
    pub(crate) fn payload(&mut self, head: Head) -> Result<&'a [u8], Problem> {
        match head {
            Head::Str(n) => {
                let bytes = self.take(n)?;
                std::str::from_utf8(bytes)
                    .map_err(|_| Problem::Invalid("a str that is not valid UTF-8".into()))?;
                Ok(bytes)
            }
            Head::Ext(TIMESTAMP_EXT, n) => {
                let data = self.take(n)?;
                if Timestamp::from_ext(data).is_none() {
                    return Err(invalid_timestamp(data));
                }
                Ok(data)
            }
            Head::Bin(n) | Head::Ext(_, n) => self.take(n),
            Head::Lent { text, ptr, len } => {
                // SAFETY: only a reader made by `lending` reads a `Lent` head, its words checked;
                // its maker promised the memory for `'a`.
                let bytes = unsafe { lent::bytes(ptr, len) };
                if text {
                    std::str::from_utf8(bytes).map_err(|_| {
                        Problem::Invalid("a borrowed str that is not valid UTF-8".into())
                    })?;
                }
                Ok(bytes)
            }
            _ => Ok(&[]),
        }
    }

    /// Reads one map key: a scalar (an array or a map is malformed, ABI.md section 5), whole.
    pub(crate) fn key(&mut self) -> Result<Key<'a>, Problem> {
        let start = self.pos;
        let head = self.head()?;
        let data = self.payload(head)?;
        let raw = &self.data[start..self.pos];
        let be = |n: usize| {
            raw[raw.len() - n..]
                .iter()
                .fold(0u64, |acc, &b| acc << 8 | u64::from(b))
        };
        Ok(match head {
            Head::Nil => Key::Nil,
            Head::Bool => Key::Bool(raw[0] == 0xc3),
            Head::Int { .. } => Key::Int(match raw[0] {
                0x00..=0x7f => i128::from(raw[0]),
                0xe0..=0xff => i128::from(raw[0] as i8),
                0xcc..=0xcf => i128::from(be(raw.len() - 1)),
                // 0xd0..=0xd3: sign-extend the big-endian bytes.
                _ => {
                    let n = raw.len() - 1;
                    let shift = 64 - 8 * n as u32;
                    i128::from(((be(n) << shift) as i64) >> shift)
                }
            }),
            Head::Float64 => {
                let v = f64::from_bits(be(8));
                Key::Float(if v.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    v.to_bits()
                })
            }
            Head::Float32 => {
                let v = f32::from_bits(be(4) as u32);
                Key::Float32(if v.is_nan() {
                    f32::NAN.to_bits()
                } else {
                    v.to_bits()
                })
            }
            Head::Str(_) | Head::Lent { text: true, .. } => Key::Str(data),
            Head::Bin(_) | Head::Lent { text: false, .. } => Key::Bin(data),
            Head::Ext(TIMESTAMP_EXT, _) => {
                Key::Time(Timestamp::from_ext(data).expect("payload checked the timestamp"))
            }
            Head::Ext(tag, _) => Key::Ext(tag, data),
            Head::Array(_) | Head::Map(_) => {
                return Err(Problem::Invalid(
                    format!("a map key that is a {}", head.family()).into(),
                ));
            }
        })
    }

    /// Skips one well-formed value of any type whose enclosing arrays and maps are `depth` deep:
    /// strs are UTF-8, timestamps valid, map keys scalars and never twice in one map.
    /// Iterative: the input's nesting costs heap, at most [`MAX_DEPTH`] entries, never stack.
    pub fn skip(&mut self, depth: usize) -> Result<(), Problem> {
        let mut open: Vec<Open<'a>> = Vec::new(); // the containers still being read
        loop {
            if let Some(Open {
                left,
                keys: Some(keys),
            }) = open.last_mut()
                && *left % 2 == 0
            {
                // A map's key: a scalar, read whole.
                let key = self.key()?;
                keys.insert(key)?;
                *left -= 1;
                continue;
            }
            let head = self.head()?;
            self.payload(head)?;
            let items = match head {
                Head::Array(n) => Some((n, None)),
                Head::Map(n) => Some((n.saturating_mul(2), Some(Keys::default()))),
                _ => None,
            };
            if let Some((items, keys)) = items {
                if depth + open.len() + 1 > MAX_DEPTH {
                    return Err(Problem::TooDeep);
                }
                self.deepest = self.deepest.max(depth + open.len() + 1);
                if items > 0 {
                    open.push(Open { left: items, keys });
                    continue;
                }
            }
            // One value is complete: count it off, closing every container it completes.
            loop {
                match open.last_mut() {
                    None => return Ok(()),
                    Some(top) => {
                        top.left -= 1;
                        if top.left > 0 {
                            break;
                        }
                        open.pop();
                    }
                }
            }
        }
    }

    /// Fails when a container inside containers `depth` deep would be nested too deep; else
    /// notes the nesting in [`Reader::deepest`].
    pub(crate) fn enter(&mut self, depth: usize) -> Result<(), Problem> {
        if depth + 1 > MAX_DEPTH {
            Err(Problem::TooDeep)
        } else {
            self.deepest = self.deepest.max(depth + 1);
            Ok(())
        }
    }
}

/// What a timestamp extension of the wrong length or with a second's worth of nanoseconds is.
fn invalid_timestamp(data: &[u8]) -> Problem {
    Problem::Invalid(
        match data.len() {
            4 | 8 | 12 => "a timestamp with 1,000,000,000 nanoseconds or more",
            _ => "a timestamp extension of a length other than 4, 8 or 12",
        }
        .into(),
    )
}

/// Checks that `data` is exactly one well-formed value of any type.
pub fn validate(data: &[u8]) -> Result<(), CheckError> {
    let mut r = Reader::new(data);
    r.skip(0)?;
    match r.remaining() {
        0 => Ok(()),
        n => Err(Problem::Malformed(trailing(n).into()).into()),
    }
}

/// `"3 trailing bytes after the value"`, in the singular when it is one.
pub fn trailing(n: usize) -> String {
    format!(
        "{n} trailing byte{} after the value",
        if n == 1 { "" } else { "s" }
    )
}

/// Reads the head of a reply envelope (ABI.md, section 4): whether it is `ok` (else `error`), and
/// where its value starts. The value itself is left to the caller.
pub(crate) fn envelope(reply: &[u8]) -> Result<(bool, usize), String> {
    let mut r = Reader::new(reply);
    match r.head().map_err(|p| p.to_string())? {
        Head::Map(1) => {}
        Head::Map(n) => return Err(format!("a map of {n} entries is not an envelope")),
        other => {
            return Err(format!(
                "expected an envelope (a map), got {}",
                other.family()
            ));
        }
    }
    let key_head = r.head().map_err(|p| p.to_string())?;
    let key = r.payload(key_head).map_err(|p| p.to_string())?;
    let ok = match (key_head, key) {
        (Head::Str(_), b"ok") => true,
        (Head::Str(_), b"error") => false,
        _ => return Err("an envelope's key is \"ok\" or \"error\"".to_owned()),
    };
    Ok((ok, r.position()))
}
