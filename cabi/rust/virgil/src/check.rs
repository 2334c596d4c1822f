//! Checks MessagePack bytes before serde lifts them: well formed, nested at most 512 deep
//! (ABI.md, section 11), nothing after the value, and of the declared [`Ty`].
//!
//! serde's visitors are more forgiving than the ABI (a `String` accepts bin, a byte buffer accepts
//! str, rmp-serde reads a record from an array), and their messages quote the offending value.
//! This pass enforces the ABI's lifting rules (section 5) and words failures in the vocabulary:
//! `argument 2: expected int, got str`, `argument 1: element 2: expected float, got str`. It never
//! recurses on the input's own nesting (only on the declared type's, which is a constant), so a
//! hostile input cannot exhaust the stack. It also notes where a nil stands for an empty list,
//! map or record, which serde would refuse, so that the caller can lift it as one.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use crate::exception::fold;
use crate::raw_closure::{CLOSURE_EXT, RawClosure};
use crate::timestamp::{TIMESTAMP_EXT, Timestamp};
use crate::types::{Field, Ty};

/// The deepest nesting of arrays and maps a value may have.
pub const MAX_DEPTH: usize = 512;

/// The marker bytes of an empty array and an empty map, which replace a nil that stands for one.
const EMPTY_ARRAY: u8 = 0x90;
const EMPTY_MAP: u8 = 0x80;

/// A change the lifting makes to checked bytes before serde reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Patch {
    /// The nil at this offset stands for an empty list, map or record: this byte replaces it.
    Empty(usize, u8),
    /// The key at `start..end` names a field by its folded name (the struct rule): the field's
    /// wire name replaces it, so that serde finds it.
    Key {
        /// Where the key's encoding starts.
        start: usize,
        /// Where it ends.
        end: usize,
        /// The field's wire name.
        name: &'static str,
    },
}

impl Patch {
    fn start(&self) -> usize {
        match self {
            Patch::Empty(at, _) => *at,
            Patch::Key { start, .. } => *start,
        }
    }
}

/// The bytes with the patches applied. `offsets` (into `bytes`) are moved to the same places in
/// the result.
pub(crate) fn apply(bytes: &[u8], mut patches: Vec<Patch>, offsets: &mut [usize]) -> Vec<u8> {
    patches.sort_by_key(Patch::start);
    let mut out = Vec::with_capacity(bytes.len() + 16 * patches.len());
    let mut done = 0; // bytes of the input copied or replaced so far
    let mut moves: Vec<(usize, isize)> = Vec::new(); // (input offset, shift after it)
    let mut shift = 0isize;
    for patch in patches {
        let (start, end) = match &patch {
            Patch::Empty(at, _) => (*at, at + 1),
            Patch::Key { start, end, .. } => (*start, *end),
        };
        out.extend_from_slice(&bytes[done..start]);
        match patch {
            Patch::Empty(_, byte) => out.push(byte),
            Patch::Key { name, .. } => {
                let before = out.len();
                rmp::encode::write_str(&mut out, name).expect("writing to a Vec");
                shift += (out.len() - before) as isize - (end - start) as isize;
                moves.push((end, shift));
            }
        }
        done = end;
    }
    out.extend_from_slice(&bytes[done..]);
    for offset in offsets {
        let moved = moves
            .iter()
            .rev()
            .find(|(at, _)| *at <= *offset)
            .map_or(0, |(_, s)| *s);
        *offset = offset.wrapping_add_signed(moved);
    }
    out
}

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
    fn inside(mut self, segment: impl FnOnce() -> String) -> Self {
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
}

impl Problem {
    /// Whether this is a limit of ABI.md section 11 (`virgil.LimitExceeded`).
    pub fn is_limit(&self) -> bool {
        matches!(self, Problem::TooDeep)
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
enum Head {
    Nil,
    Bool,
    Int { negative: bool },
    Float32,
    Float64,
    Str(usize),
    Bin(usize),
    Array(u64),
    Map(u64),
    Ext(i8, usize),
}

impl Head {
    /// The value's family in the words of the vocabulary.
    fn family(self) -> Cow<'static, str> {
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
        }
    }
}

/// A map key as a value (ABI.md section 5: keys are scalars), so that two keys equal as values
/// are found whatever their encodings (`01` and `cd 00 01` are one key). Floats compare bit for
/// bit, any NaN equal to any NaN, as values do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key<'a> {
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
struct Keys<'a>(HashSet<Key<'a>>);

impl<'a> Keys<'a> {
    fn insert(&mut self, key: Key<'a>) -> Result<(), Problem> {
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
struct Open<'a> {
    /// The values still to read in it (a map's keys and values both count).
    left: u64,
    /// A map's keys so far; `None` for an array.
    keys: Option<Keys<'a>>,
}

/// A cursor over MessagePack bytes.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// The offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Problem> {
        if n > self.remaining() {
            return Err(truncated());
        }
        let bytes = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn uint(&mut self, n: usize) -> Result<u64, Problem> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0, |acc, &b| acc << 8 | u64::from(b)))
    }

    fn len(&mut self, n: usize) -> Result<usize, Problem> {
        // A length that does not fit memory cannot be satisfied by the bytes that remain.
        usize::try_from(self.uint(n)?).map_err(|_| truncated())
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Reads the head of the next value. Scalars are read whole; for str, bin and ext the payload
    /// follows, for arrays and maps their elements.
    fn head(&mut self) -> Result<Head, Problem> {
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

    fn ext_head(&mut self, len_bytes: usize) -> Result<Head, Problem> {
        let len = self.len(len_bytes)?;
        Ok(Head::Ext(self.take(1)?[0] as i8, len))
    }

    /// Reads the payload that follows a scalar head (str, bin, ext); checks that a str is UTF-8.
    fn payload(&mut self, head: Head) -> Result<&'a [u8], Problem> {
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
            _ => Ok(&[]),
        }
    }

    /// Reads one map key: a scalar (an array or a map is malformed, ABI.md section 5), whole.
    fn key(&mut self) -> Result<Key<'a>, Problem> {
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
            Head::Str(_) => Key::Str(data),
            Head::Bin(_) => Key::Bin(data),
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

    /// Checks one value against `ty`, inside containers `depth` deep. Offsets of nils that stand
    /// for an empty list, map or record go to `patches` with the byte that replaces them.
    pub fn check(
        &mut self,
        ty: &Ty,
        depth: usize,
        patches: &mut Vec<Patch>,
    ) -> Result<(), CheckError> {
        let start = self.pos;
        match ty {
            Ty::Any => return Ok(self.skip(depth)?),
            Ty::Optional(inner) => {
                if self.peek() == Some(0xc0) {
                    self.pos += 1;
                    return Ok(());
                }
                return self.check(inner, depth, patches);
            }
            _ => {}
        }
        let head = self.head()?;
        let mismatch = || Problem::Mismatch {
            expected: *ty,
            got: head.family(),
        };
        match (ty, head) {
            (Ty::Nil, Head::Nil) | (Ty::Bool, Head::Bool) => {}
            (Ty::Int, Head::Int { .. }) | (Ty::UInt, Head::Int { negative: false }) => {}
            (Ty::Float | Ty::Float32, Head::Int { .. } | Head::Float32 | Head::Float64) => {}
            (Ty::Str, Head::Str(_)) | (Ty::Bytes, Head::Bin(_)) => {
                self.payload(head)?;
            }
            (Ty::Time, Head::Ext(TIMESTAMP_EXT, _)) => {
                self.payload(head)?; // checks the timestamp
            }
            (Ty::Func(..), Head::Ext(CLOSURE_EXT, _)) => {
                RawClosure::check_payload(self.payload(head)?)
                    .map_err(|e| Problem::Invalid(e.into()))?;
            }
            (Ty::List(_), Head::Nil) => patches.push(Patch::Empty(start, EMPTY_ARRAY)),
            (Ty::Map(..) | Ty::Record(..), Head::Nil) => {
                patches.push(Patch::Empty(start, EMPTY_MAP))
            }
            (Ty::List(item), Head::Array(n)) => {
                Self::enter(depth)?;
                for i in 0..n {
                    self.check(item, depth + 1, patches)
                        .map_err(|e| e.inside(|| format!("element {}", i + 1)))?;
                }
            }
            (Ty::Map(key, value), Head::Map(n)) => {
                Self::enter(depth)?;
                let mut keys = Keys::default();
                for i in 0..n {
                    let mut probe = Reader {
                        data: self.data,
                        pos: self.pos,
                    };
                    keys.insert(probe.key()?)
                        .map_err(|p| CheckError::from(p).inside(|| format!("entry {}", i + 1)))?;
                    self.check(key, depth + 1, patches)
                        .map_err(|e| e.inside(|| format!("key of entry {}", i + 1)))?;
                    self.check(value, depth + 1, patches)
                        .map_err(|e| e.inside(|| format!("entry {}", i + 1)))?;
                }
            }
            (Ty::Record(record, fields), Head::Map(n)) => {
                Self::enter(depth)?;
                self.record(record, fields, n, depth, patches)?;
            }
            _ => return Err(mismatch().into()),
        }
        Ok(())
    }

    /// Checks the entries of a map that is a record (the struct rule, ABI.md section 5): each
    /// field is the value of the key that is its wire name, else of the one key whose folded name
    /// is its folded name (renamed by a patch); two such keys are ambiguous, no key at all is a
    /// missing field unless the field may be missing; keys that name no field are skipped.
    fn record(
        &mut self,
        record: &'static str,
        fields: &'static [Field],
        n: u64,
        depth: usize,
        patches: &mut Vec<Patch>,
    ) -> Result<(), CheckError> {
        struct Entry<'k> {
            key: Option<&'k str>,
            key_start: usize,
            value_start: usize,
        }
        let mut entries: Vec<Entry<'a>> = Vec::new();
        let mut keys = Keys::default();
        for _ in 0..n {
            let key_start = self.pos;
            let key = self.key()?;
            // A field given twice is malformed, as any duplicate key is.
            keys.insert(key)
                .map_err(|p| CheckError::from(p).inside(|| record.to_owned()))?;
            let key = match key {
                Key::Str(s) => std::str::from_utf8(s).ok(),
                _ => None,
            };
            let value_start = self.pos;
            self.skip(depth + 1)?;
            entries.push(Entry {
                key,
                key_start,
                value_start,
            });
        }
        let end = self.pos;
        let mut field_of: Vec<Option<&'static Field>> = vec![None; entries.len()];
        let mut folded: Option<Vec<Option<String>>> = None;
        for field in fields {
            if let Some(i) = entries.iter().position(|e| e.key == Some(field.name)) {
                field_of[i] = Some(field);
                continue;
            }
            // Keys folded once, when the first field is not named exactly; keys that name a field
            // exactly are that field's only.
            let folded = folded.get_or_insert_with(|| {
                entries
                    .iter()
                    .map(|e| {
                        e.key
                            .filter(|k| !fields.iter().any(|f| f.name == *k))
                            .map(fold)
                    })
                    .collect()
            });
            let want = fold(field.name);
            let mut matches = folded
                .iter()
                .enumerate()
                .filter(|(_, k)| k.as_deref() == Some(want.as_str()))
                .map(|(i, _)| i);
            match (matches.next(), matches.next()) {
                (Some(i), None) => {
                    field_of[i] = Some(field);
                    let key_end = entries[i].value_start;
                    patches.push(Patch::Key {
                        start: entries[i].key_start,
                        end: key_end,
                        name: field.name,
                    });
                }
                (Some(a), Some(b)) => {
                    let key = |i: usize| entries[i].key.unwrap_or_default().to_owned();
                    return Err(Problem::Ambiguous {
                        record,
                        field: field.name,
                        keys: (key(a), key(b)),
                    }
                    .into());
                }
                (None, _) if field.may_be_missing() => {}
                (None, _) => {
                    return Err(Problem::Missing {
                        record,
                        field: field.name,
                    }
                    .into());
                }
            }
        }
        for (entry, field) in entries.iter().zip(&field_of) {
            if let Some(field) = field {
                self.pos = entry.value_start;
                self.check(&field.ty, depth + 1, patches)
                    .map_err(|e| e.inside(|| format!("field {:?}", field.name)))?;
            }
        }
        self.pos = end;
        Ok(())
    }

    fn enter(depth: usize) -> Result<(), Problem> {
        if depth + 1 > MAX_DEPTH {
            Err(Problem::TooDeep)
        } else {
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

/// Checks that `bytes` are exactly one value of type `ty` (a reply's value, on its own: nesting
/// counts from 0), noting nils that stand for empty containers in `patches`.
pub(crate) fn check_value(
    bytes: &[u8],
    ty: &Ty,
    patches: &mut Vec<Patch>,
) -> Result<(), CheckError> {
    let mut r = Reader::new(bytes);
    r.check(ty, 0, patches)?;
    match r.remaining() {
        0 => Ok(()),
        n => Err(Problem::Malformed(trailing(n).into()).into()),
    }
}

/// Why an argument array cannot be lifted; [`crate::call`] words it with the function's name.
#[derive(Debug)]
pub enum ArgsError {
    /// `in` is empty.
    Empty,
    /// `in` holds something other than an array.
    NotAnArray(Cow<'static, str>),
    /// `in` is not well-formed MessagePack.
    Malformed(Problem),
    /// The array has the wrong number of elements.
    Count {
        /// The function's number of parameters.
        want: usize,
        /// The array's length.
        got: u64,
    },
    /// Argument `index` (from 1) is not of its parameter's type.
    Argument {
        /// Its position, from 1.
        index: usize,
        /// What is wrong with it.
        error: CheckError,
    },
    /// Bytes follow the array.
    Trailing(usize),
}

impl ArgsError {
    /// Whether a limit of ABI.md section 11 was exceeded (`virgil.LimitExceeded`) rather than
    /// the arguments being malformed or of the wrong types (`virgil.ArgumentError`).
    pub fn is_limit(&self) -> bool {
        match self {
            ArgsError::Malformed(problem) => problem.is_limit(),
            ArgsError::Argument { error, .. } => error.is_limit(),
            _ => false,
        }
    }
}

/// Checks an argument array against the parameter types. On success `ends[i]` is the offset just
/// after argument `i`, and the returned offset is where argument 0 starts.
pub fn check_args<'t>(
    input: &[u8],
    params: impl ExactSizeIterator<Item = &'t Ty>,
    ends: &mut [usize],
    patches: &mut Vec<Patch>,
) -> Result<usize, ArgsError> {
    debug_assert_eq!(params.len(), ends.len());
    if input.is_empty() {
        return Err(ArgsError::Empty);
    }
    let mut r = Reader::new(input);
    let count = match r.head().map_err(ArgsError::Malformed)? {
        Head::Array(n) => n,
        other => return Err(ArgsError::NotAnArray(other.family())),
    };
    if count != params.len() as u64 {
        return Err(ArgsError::Count {
            want: params.len(),
            got: count,
        });
    }
    let start = r.position();
    for (i, (ty, end)) in params.zip(ends.iter_mut()).enumerate() {
        r.check(ty, 0, patches).map_err(|error| {
            if error.is_malformed() && error.path.is_empty() {
                ArgsError::Malformed(error.problem)
            } else {
                ArgsError::Argument {
                    index: i + 1,
                    error,
                }
            }
        })?;
        *end = r.position();
    }
    match r.remaining() {
        0 => Ok(start),
        n => Err(ArgsError::Trailing(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ty: Ty, bytes: &[u8]) -> Result<Vec<Patch>, String> {
        let mut patches = Vec::new();
        let mut r = Reader::new(bytes);
        r.check(&ty, 0, &mut patches).map_err(|e| e.to_string())?;
        assert_eq!(r.remaining(), 0, "check stopped early");
        Ok(patches)
    }

    #[test]
    fn scalars_follow_the_lifting_rules() {
        assert!(check(Ty::Int, &[0x05]).is_ok());
        assert!(check(Ty::Int, &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]).is_ok());
        assert_eq!(
            check(Ty::Int, &[0xa1, b'x']).unwrap_err(),
            "expected int, got str"
        );
        assert_eq!(
            check(Ty::Int, &[0xcb, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err(),
            "expected int, got float"
        );
        assert_eq!(
            check(Ty::UInt, &[0xff]).unwrap_err(),
            "expected uint, got negative int"
        );
        assert!(check(Ty::Float, &[0x05]).is_ok());
        assert!(check(Ty::Float, &[0xca, 0, 0, 0, 0]).is_ok());
        assert_eq!(
            check(Ty::Str, &[0xc4, 0x01, b'x']).unwrap_err(),
            "expected str, got bytes"
        );
        assert_eq!(
            check(Ty::Bytes, &[0xa1, b'x']).unwrap_err(),
            "expected bytes, got str"
        );
        assert_eq!(
            check(Ty::Str, &[0xa2, 0xff, 0xfe]).unwrap_err(),
            "a str that is not valid UTF-8"
        );
        assert_eq!(
            check(Ty::Bool, &[0xc0]).unwrap_err(),
            "expected bool, got nil"
        );
        assert_eq!(
            check(Ty::Int, &[0xd5, 0x05, 0, 0]).unwrap_err(),
            "expected int, got ext 5"
        );
    }

    #[test]
    fn containers_name_the_path() {
        static STATS: Ty = Ty::List(&Ty::Float);
        assert_eq!(
            check(STATS, &[0x92, 0x01, 0xa1, b'x']).unwrap_err(),
            "element 2: expected float, got str"
        );
        static REC: Ty = Ty::Record("Rec", &[Field::new("count", Ty::Int)]);
        // Unknown keys are ignored, known ones checked.
        assert!(
            check(
                REC,
                &[
                    0x82, 0xa1, b'z', 0x90, 0xa5, b'c', b'o', b'u', b'n', b't', 1
                ]
            )
            .is_ok()
        );
        assert_eq!(
            check(REC, &[0x81, 0xa5, b'c', b'o', b'u', b'n', b't', 0xc2]).unwrap_err(),
            "field \"count\": expected int, got bool"
        );
        assert_eq!(
            check(REC, &[0x91, 0x01]).unwrap_err(),
            format!("expected {REC}, got list")
        );
    }

    #[test]
    fn nil_stands_for_empty_containers_but_not_in_optionals() {
        assert_eq!(
            check(Ty::List(&Ty::Int), &[0xc0]),
            Ok(vec![Patch::Empty(0, EMPTY_ARRAY)])
        );
        assert_eq!(
            check(Ty::Map(&Ty::Str, &Ty::Int), &[0xc0]),
            Ok(vec![Patch::Empty(0, EMPTY_MAP)])
        );
        assert_eq!(
            check(Ty::Optional(&Ty::List(&Ty::Int)), &[0xc0]),
            Ok(vec![])
        );
        assert_eq!(
            check(Ty::List(&Ty::List(&Ty::Int)), &[0x92, 0x90, 0xc0]),
            Ok(vec![Patch::Empty(2, EMPTY_ARRAY)])
        );
    }

    #[test]
    fn depth_is_limited_without_recursion() {
        let nested = |depth: usize| {
            let mut v = vec![0x91; depth];
            v.push(0x01);
            v
        };
        assert!(validate(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(
            validate(&nested(MAX_DEPTH + 1)).unwrap_err().problem,
            Problem::TooDeep
        );
        // Far beyond the limit: rejected, not a stack overflow.
        assert_eq!(
            validate(&nested(1_000_000)).unwrap_err().problem,
            Problem::TooDeep
        );
        let mut empty = vec![0x91; MAX_DEPTH];
        empty.push(0x90); // an empty array one level too deep is too deep as well
        assert_eq!(validate(&empty).unwrap_err().problem, Problem::TooDeep);
    }

    #[test]
    fn malformed_input() {
        assert_eq!(
            validate(&[0xc1]).unwrap_err().to_string(),
            "the reserved byte 0xc1"
        );
        assert_eq!(
            validate(&[0x92, 0x01]).unwrap_err().to_string(),
            "truncated input"
        );
        assert_eq!(
            validate(&[0xdb, 0xff, 0xff, 0xff, 0xff])
                .unwrap_err()
                .to_string(),
            "truncated input"
        );
        assert_eq!(
            validate(&[0xdd, 0xff, 0xff, 0xff, 0xff])
                .unwrap_err()
                .to_string(),
            "truncated input"
        );
        assert_eq!(
            validate(&[0x01, 0x02]).unwrap_err().to_string(),
            "1 trailing byte after the value"
        );
        assert_eq!(validate(&[]).unwrap_err().to_string(), "truncated input");
    }

    #[test]
    fn argument_arrays() {
        let params = [Ty::Int, Ty::Int];
        let run = |input: &[u8]| {
            let mut ends = [0; 2];
            check_args(input, params.iter(), &mut ends, &mut Vec::new()).map(|start| (start, ends))
        };
        assert_eq!(run(&[0x92, 0x01, 0xcd, 0x01, 0x00]).unwrap(), (1, [2, 5]));
        assert!(matches!(run(&[]), Err(ArgsError::Empty)));
        assert!(matches!(run(&[0x81, 0xa1, b'a', 1]), Err(ArgsError::NotAnArray(g)) if g == "map"));
        assert!(matches!(
            run(&[0x91, 0x01]),
            Err(ArgsError::Count { want: 2, got: 1 })
        ));
        assert!(matches!(run(&[0x92, 0x01]), Err(ArgsError::Malformed(_))));
        assert!(matches!(
            run(&[0x92, 0x01, 0x02, 0xff]),
            Err(ArgsError::Trailing(1))
        ));
        assert!(matches!(run(&[0xc1, 0xc1]), Err(ArgsError::Malformed(_))));
        assert!(matches!(
            run(&[0x92, 0x01, 0xa1, b'x']),
            Err(ArgsError::Argument { index: 2, .. })
        ));
    }
}
