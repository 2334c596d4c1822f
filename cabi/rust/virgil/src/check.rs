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
//!
//! It is one file because its parts (the walk over a declared type, the record rule and the
//! patches it produces) are one pass over one cursor; a third of it is tests.

use std::borrow::Cow;

use crate::exception::fold;
use crate::lent::Lent;
use crate::raw_closure::{CLOSURE_EXT, RawClosure};
use crate::scan::{CheckError, Head, Key, Keys, Problem, Reader, trailing};
use crate::timestamp::TIMESTAMP_EXT;
use crate::types::{Field, Ty};

/// The marker bytes of an empty array and an empty map, which replace a nil that stands for one.
const EMPTY_ARRAY: u8 = 0x90;
const EMPTY_MAP: u8 = 0x80;

/// A change the lifting makes to checked bytes before serde reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Patch<'a> {
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
    /// A borrowed value at `start..end` inside an argument (ABI.md section 16): the inline str
    /// (`text`) or byte string of its bytes replaces it, since serde reads only inline values.
    /// (An argument that is itself borrowed is not patched: it is lifted without a copy.)
    Lent {
        /// Where its extension starts.
        start: usize,
        /// Where it ends.
        end: usize,
        /// A str rather than a byte string.
        text: bool,
        /// The lent bytes (UTF-8 when `text`).
        bytes: &'a [u8],
    },
}

impl Patch<'_> {
    fn start(&self) -> usize {
        match self {
            Patch::Empty(at, _) => *at,
            Patch::Key { start, .. } | Patch::Lent { start, .. } => *start,
        }
    }

    fn end(&self) -> usize {
        match self {
            Patch::Empty(at, _) => at + 1,
            Patch::Key { end, .. } | Patch::Lent { end, .. } => *end,
        }
    }
}

/// The bytes serde reads: `bytes` themselves when there is nothing to patch, else the bytes
/// with the patches applied: nils that stand for empty lists, maps and records become them, keys
/// that name a field by its folded name become its wire name. `offsets` (into `bytes`) are moved
/// to the same places in the result.
pub(crate) fn patched<'b, 'o>(
    bytes: &'b [u8],
    patches: Vec<Patch<'_>>,
    offsets: impl IntoIterator<Item = &'o mut usize>,
) -> Cow<'b, [u8]> {
    if patches.is_empty() {
        Cow::Borrowed(bytes)
    } else {
        Cow::Owned(apply(bytes, patches, offsets))
    }
}

/// The bytes with the patches applied. `offsets` (into `bytes`) are moved to the same places in
/// the result.
fn apply<'o>(
    bytes: &[u8],
    mut patches: Vec<Patch<'_>>,
    offsets: impl IntoIterator<Item = &'o mut usize>,
) -> Vec<u8> {
    patches.sort_by_key(Patch::start);
    let mut out = Vec::with_capacity(bytes.len() + 16 * patches.len());
    let mut done = 0; // bytes of the input copied or replaced so far
    let mut moves: Vec<(usize, isize)> = Vec::new(); // (input offset, shift after it)
    let mut shift = 0isize;
    for patch in patches {
        let (start, end) = (patch.start(), patch.end());
        out.extend_from_slice(&bytes[done..start]);
        let before = out.len();
        match patch {
            Patch::Empty(_, byte) => out.push(byte),
            Patch::Key { name, .. } => {
                rmp::encode::write_str(&mut out, name).expect("writing to a Vec");
            }
            Patch::Lent {
                text: true, bytes, ..
            } => {
                // Checked below 2^32 bytes: the header cannot fail.
                rmp::encode::write_str_len(&mut out, bytes.len() as u32).expect("writing to a Vec");
                out.extend_from_slice(bytes);
            }
            Patch::Lent {
                text: false, bytes, ..
            } => {
                rmp::encode::write_bin(&mut out, bytes).expect("writing to a Vec");
            }
        }
        let grown = (out.len() - before) as isize - (end - start) as isize;
        if grown != 0 {
            shift += grown;
            moves.push((end, shift));
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

impl<'a> Reader<'a> {
    /// Checks one value against `ty`, inside containers `depth` deep. Offsets of nils that stand
    /// for an empty list, map or record go to `patches` with the byte that replaces them.
    pub fn check(
        &mut self,
        ty: &Ty,
        depth: usize,
        patches: &mut Vec<Patch<'_>>,
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
            (Ty::Str, Head::Str(_) | Head::Lent { text: true, .. })
            | (Ty::Bytes, Head::Bin(_) | Head::Lent { text: false, .. }) => {
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
                self.enter(depth)?;
                for i in 0..n {
                    self.check(item, depth + 1, patches)
                        .map_err(|e| e.inside(|| format!("element {}", i + 1)))?;
                }
            }
            (Ty::Map(key, value), Head::Map(n)) => {
                self.enter(depth)?;
                let mut keys = Keys::default();
                for i in 0..n {
                    let mut probe = self.probe();
                    keys.insert(probe.key()?)
                        .map_err(|p| CheckError::from(p).inside(|| format!("entry {}", i + 1)))?;
                    self.check(key, depth + 1, patches)
                        .map_err(|e| e.inside(|| format!("key of entry {}", i + 1)))?;
                    self.check(value, depth + 1, patches)
                        .map_err(|e| e.inside(|| format!("entry {}", i + 1)))?;
                }
            }
            (Ty::Record(record, fields), Head::Map(n)) => {
                self.enter(depth)?;
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
        patches: &mut Vec<Patch<'_>>,
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
}

/// Checks that `bytes` are exactly one value of type `ty` (a reply's value, on its own: nesting
/// counts from 0), noting nils that stand for empty containers in `patches`.
pub(crate) fn check_value(
    bytes: &[u8],
    ty: &Ty,
    patches: &mut Vec<Patch<'_>>,
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

    /// Whether the host broke the protocol (`virgil.ProtocolError`): a borrowed value whose words
    /// cannot be memory (ABI.md section 16).
    pub fn is_protocol(&self) -> bool {
        match self {
            ArgsError::Malformed(problem) => *problem == Problem::LentPointer,
            ArgsError::Argument { error, .. } => error.is_protocol(),
            _ => false,
        }
    }
}

/// What [`check_args`] found of well-typed arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Checked {
    /// Where argument 0 starts.
    pub start: usize,
    /// How deep the arguments' arrays and maps nest (the argument array does not count): what
    /// serde's recursive lifting of them will cost in stack.
    pub depth: usize,
    /// The borrowed values in the arguments (ABI.md section 16), each once, in order.
    pub lent: Vec<Lent>,
}

/// Checks an argument array against the parameter types, reading borrowed values (ABI.md section
/// 16) as the strs and byte strings they lend. On success `ends[i]` is the offset just after
/// argument `i`.
///
/// # Safety
///
/// As for [`Reader::lending`]: `input` is a call's arguments, and the memory its borrowed values
/// lend is readable and unchanged for as long as `input` is borrowed.
pub(crate) unsafe fn check_args<'t>(
    input: &[u8],
    params: impl ExactSizeIterator<Item = &'t Ty>,
    ends: &mut [usize],
    patches: &mut Vec<Patch<'_>>,
) -> Result<Checked, ArgsError> {
    debug_assert_eq!(params.len(), ends.len());
    if input.is_empty() {
        return Err(ArgsError::Empty);
    }
    // SAFETY: the caller's promise.
    let mut r = unsafe { Reader::lending(input) };
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
        0 => {
            // Records and maps read some values twice: each borrowed value once.
            let mut lent = r.lent.unwrap_or_default();
            lent.sort_by_key(|l| l.start);
            lent.dedup_by_key(|l| l.start);
            Ok(Checked {
                start,
                depth: r.deepest,
                lent,
            })
        }
        n => Err(ArgsError::Trailing(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{MAX_DEPTH, validate};

    fn check(ty: Ty, bytes: &[u8]) -> Result<Vec<Patch<'static>>, String> {
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
    fn argument_depth_is_measured() {
        let depth = |params: &[Ty], input: &[u8]| {
            let mut ends = vec![0; params.len()];
            // SAFETY: no borrowed values in these inputs.
            unsafe { check_args(input, params.iter(), &mut ends, &mut Vec::new()) }
                .unwrap()
                .depth
        };
        assert_eq!(depth(&[Ty::Int, Ty::Int], &[0x92, 0x01, 0x02]), 0);
        // [[1]] as an any, a list of lists, and inside a map.
        let nested = [0x91, 0x91, 0x91, 0x01];
        assert_eq!(depth(&[Ty::Any], &nested), 2);
        let lists = Ty::List(&Ty::List(&Ty::Int));
        assert_eq!(depth(&[lists], &nested), 2);
        assert_eq!(depth(&[Ty::Any], &[0x91, 0x81, 0x01, 0x91, 0x91, 0x90]), 4);
        let mut deep = vec![0x91; 513];
        deep.push(0xc0);
        assert_eq!(depth(&[Ty::Any], &deep), 512);
    }

    #[test]
    fn argument_arrays() {
        let params = [Ty::Int, Ty::Int];
        let run = |input: &[u8]| {
            let mut ends = [0; 2];
            // SAFETY: no borrowed values in these inputs.
            unsafe { check_args(input, params.iter(), &mut ends, &mut Vec::new()) }
                .map(|checked| (checked.start, ends))
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
