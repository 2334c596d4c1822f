//! Borrowed bytes (ABI.md section 16): a byte string or string the host lends for one call instead
//! of writing it into the arguments, as an extension 65 or 66 whose 16-byte payload is a pointer
//! and a length.
//!
//! The checks of the words are the scanner's (`scan.rs`, for a reader made with
//! `Reader::lending`); here are the words themselves, the deserializer that presents a lent
//! argument to serde as borrowed bytes or a borrowed str (so `&[u8]` and `&str` parameters borrow
//! it without a copy), and the memory a reply may view again: a byte string of the result that
//! lies inside a lent argument is written as a borrowed value of the same bytes, not copied.

use std::cell::RefCell;

use serde::Serialize;
use serde::de::{self, Deserializer, Visitor};

/// The extension type of a borrowed byte string.
pub(crate) const BYTES_EXT: i8 = 65;
/// The extension type of a borrowed string.
pub(crate) const STR_EXT: i8 = 66;
/// The payload of either: the pointer and the length, 64-bit words in the platform's order.
pub(crate) const PAYLOAD: usize = 16;

/// A borrowed value found in argument bytes: where its extension is, and what it lends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lent {
    /// Where its extension starts in the bytes read.
    pub start: usize,
    /// Where it ends.
    pub end: usize,
    /// A str (ext 66) rather than a byte string (ext 65).
    pub text: bool,
    /// The lent memory: `len` bytes at `ptr`.
    pub ptr: usize,
    /// Its length.
    pub len: usize,
}

/// Why the words of a borrowed value cannot be read as memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadWords {
    /// A length of 2³² or more (`virgil.LimitExceeded`).
    TooLong(u64),
    /// A NULL pointer with a length, or a range past the end of the address space
    /// (`virgil.ProtocolError`).
    Pointer,
}

/// The pointer and length in a payload of [`PAYLOAD`] bytes, checked in the order of ABI.md
/// section 16: the length first, then the pointer.
pub(crate) fn words(payload: &[u8]) -> Result<(usize, usize), BadWords> {
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&payload[8 * i..8 * i + 8]);
        u64::from_ne_bytes(w)
    };
    let (ptr, len) = (word(0), word(1));
    if len > u64::from(u32::MAX) {
        return Err(BadWords::TooLong(len));
    }
    let len = len as usize; // below 2^32
    let ptr = usize::try_from(ptr).map_err(|_| BadWords::Pointer)?;
    if (ptr == 0 && len > 0) || ptr.checked_add(len).is_none() {
        return Err(BadWords::Pointer);
    }
    Ok((ptr, len))
}

/// The payload of a borrowed value of `len` bytes at `ptr`.
pub(crate) fn payload(ptr: usize, len: usize) -> [u8; PAYLOAD] {
    let mut p = [0u8; PAYLOAD];
    p[..8].copy_from_slice(&(ptr as u64).to_ne_bytes());
    p[8..].copy_from_slice(&(len as u64).to_ne_bytes());
    p
}

/// A borrowed value as it is written: an extension of type `ext` with [`PAYLOAD`] bytes (rmp-serde
/// writes it as fixext 16).
pub(crate) struct Borrowed {
    ext: i8,
    payload: [u8; PAYLOAD],
}

impl Borrowed {
    /// The borrowed value of ext type `ext` lending `len` bytes at `ptr`.
    pub(crate) fn new(ext: i8, ptr: usize, len: usize) -> Self {
        Borrowed {
            ext,
            payload: payload(ptr, len),
        }
    }
}

impl Serialize for Borrowed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ext = (self.ext, serde_bytes::Bytes::new(&self.payload));
        s.serialize_newtype_struct(rmp_serde::MSGPACK_EXT_STRUCT_NAME, &ext)
    }
}

/// The lent bytes, never read when `len` is 0.
///
/// # Safety
///
/// `words` accepted `ptr` and `len`, and the memory is readable and unchanged for `'a` (the
/// host's promise for the call, ABI.md section 16).
pub(crate) unsafe fn bytes<'a>(ptr: usize, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: the caller's promise; `ptr` is not NULL and `len` is below 2^32.
    unsafe { std::slice::from_raw_parts(ptr as *const u8, len) }
}

/// A lent argument presented to serde: a borrowed byte string or a borrowed str, so that `&[u8]`,
/// `&str` and `Bytes` parameters borrow the host's memory and `Vec<u8>`, `String` and `Value`
/// copy it.
pub(crate) struct LentDeserializer<'a> {
    /// The lent bytes; UTF-8 when `text`.
    bytes: &'a [u8],
    text: bool,
}

impl<'a> LentDeserializer<'a> {
    /// The deserializer of a lent argument the scanner read.
    ///
    /// # Safety
    ///
    /// When `text`, `bytes` are UTF-8 (the scanner checked them).
    pub(crate) unsafe fn new(bytes: &'a [u8], text: bool) -> Self {
        debug_assert!(!text || std::str::from_utf8(bytes).is_ok());
        LentDeserializer { bytes, text }
    }
}

impl<'de> Deserializer<'de> for LentDeserializer<'de> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.text {
            // SAFETY: `new`'s promise.
            visitor.visit_borrowed_str(unsafe { std::str::from_utf8_unchecked(self.bytes) })
        } else {
            visitor.visit_borrowed_bytes(self.bytes)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

thread_local! {
    /// The lent arguments of the call whose result this thread is writing, as (start, end)
    /// addresses; empty otherwise.
    static VIEWABLE: RefCell<Vec<(usize, usize)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `write` (the writing of a call's result) with the memory of `lent` viewable: a byte
/// string of the result that lies entirely inside one of them is written as a borrowed value
/// ([`view`]). Nothing is viewable when `lent` is empty (the host lent nothing to this call).
pub(crate) fn viewing<T>(lent: &[(usize, usize)], write: impl FnOnce() -> T) -> T {
    if lent.is_empty() {
        return write();
    }
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            VIEWABLE.with(|v| v.borrow_mut().clear());
        }
    }
    VIEWABLE.with(|v| v.borrow_mut().extend_from_slice(lent));
    let _clear = Clear;
    write()
}

/// The borrowed value viewing `bytes` again, when they are not empty and lie entirely inside
/// memory lent to the call whose result is being written ([`viewing`]).
pub(crate) fn view(bytes: &[u8]) -> Option<Borrowed> {
    if bytes.is_empty() {
        return None;
    }
    let (start, end) = (
        bytes.as_ptr() as usize,
        bytes.as_ptr() as usize + bytes.len(),
    );
    VIEWABLE
        .try_with(|v| {
            v.borrow()
                .iter()
                .any(|&(s, e)| s <= start && end <= e)
                .then(|| Borrowed::new(BYTES_EXT, start, bytes.len()))
        })
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload_of(ptr: u64, len: u64) -> Vec<u8> {
        [ptr.to_ne_bytes(), len.to_ne_bytes()].concat()
    }

    #[test]
    fn words_are_checked_in_order() {
        assert_eq!(words(&payload_of(0x1000, 5)), Ok((0x1000, 5)));
        assert_eq!(words(&payload_of(0, 0)), Ok((0, 0)));
        assert_eq!(words(&payload_of(0x2000, 0)), Ok((0x2000, 0)));
        assert_eq!(
            words(&payload_of(0, 1 << 32)),
            Err(BadWords::TooLong(1 << 32))
        );
        assert_eq!(words(&payload_of(0, 8)), Err(BadWords::Pointer));
        assert_eq!(
            words(&payload_of(u64::MAX - 15, 32)),
            Err(BadWords::Pointer)
        );
        assert_eq!(
            words(&payload_of(u64::MAX - 15, 16)),
            Err(BadWords::Pointer)
        );
        assert_eq!(payload(0x1000, 5).to_vec(), payload_of(0x1000, 5));
    }

    #[test]
    fn views_only_inside_lent_memory_while_writing() {
        let lent = vec![7u8; 100];
        let region = [(lent.as_ptr() as usize, lent.as_ptr() as usize + lent.len())];
        let own = vec![7u8; 10];
        let payload_of_view = |b: &[u8]| view(b).map(|v| v.payload);
        assert_eq!(
            payload_of_view(&lent),
            None,
            "nothing is viewable outside a reply"
        );
        viewing(&region, || {
            assert_eq!(
                payload_of_view(&lent[10..30]),
                Some(payload(lent.as_ptr() as usize + 10, 20))
            );
            assert!(view(&lent).is_some());
            assert_eq!(payload_of_view(&lent[100..]), None, "empty: written inline");
            assert_eq!(payload_of_view(&own), None, "the guest's own memory");
            // A reply's byte string inside it is written as a view, others inline.
            let reply = crate::codec::encode(&(
                serde_bytes::Bytes::new(&lent[..4]),
                serde_bytes::Bytes::new(&own[..2]),
            ))
            .unwrap();
            let mut want = vec![0x92, 0xd8, 65];
            want.extend(payload(lent.as_ptr() as usize, 4));
            want.extend([0xc4, 2, 7, 7]);
            assert_eq!(reply, want);
        });
        assert_eq!(payload_of_view(&lent), None, "cleared after the reply");
    }

    /// The `encoding` cases of cabi/testdata/borrowed.json: written as exactly their bytes, and
    /// read back by a lending reader to the same kind, pointer and length without reading the
    /// memory (the pointers are examples that lead nowhere).
    #[test]
    fn borrowed_json_encoding() {
        use crate::scan::{Head, Reader};
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/borrowed.json");
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let cases = doc["encoding"].as_array().unwrap();
        assert!(cases.len() >= 5);
        for case in cases {
            let name = case["name"].as_str().unwrap();
            let hex = case["hex"].as_str().unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            // SAFETY: only heads are read, never the lent memory.
            let mut r = unsafe { Reader::lending(&bytes) };
            if case["args"].as_bool() == Some(true) {
                assert!(matches!(r.head(), Ok(Head::Array(2))), "{name}");
                let Ok(Head::Lent { text, ptr, len }) = r.head() else {
                    panic!("{name}: not read as a borrowed value")
                };
                assert!(!text, "{name}");
                assert!(
                    matches!(r.head(), Ok(Head::Int { negative: false })),
                    "{name}"
                );
                let written =
                    crate::codec::encode(&(Borrowed::new(BYTES_EXT, ptr, len), 1)).unwrap();
                assert_eq!(written, bytes, "{name}");
                continue;
            }
            let ext = case["ext"].as_i64().unwrap() as i8;
            let ptr = case["ptr"].as_u64().unwrap() as usize;
            let len = case["len"].as_u64().unwrap() as usize;
            let written = crate::codec::encode(&Borrowed::new(ext, ptr, len)).unwrap();
            assert_eq!(written, bytes, "{name}");
            let text = case["reads_as"] == "str";
            assert_eq!(ext == STR_EXT, text, "{name}");
            match r.head() {
                Ok(Head::Lent {
                    text: t,
                    ptr: p,
                    len: l,
                }) => assert_eq!((t, p, l), (text, ptr, len), "{name}"),
                other => panic!("{name}: read as {other:?}"),
            }
            assert_eq!(r.remaining(), 0, "{name}");
            // A reader that does not lend sees the extension.
            assert!(
                matches!(Reader::new(&bytes).head(), Ok(Head::Ext(e, 16)) if e == ext),
                "{name}"
            );
        }
    }
}
