//! MessagePack in the ABI's canonical form (ABI.md, section 5), through rmp-serde.
//!
//! rmp-serde already writes integers, strings, byte strings, arrays and maps in their smallest
//! encoding and floats as float 64 (float 32 only for `f32`). The one setting that matters is
//! `with_struct_map`: the ABI writes structs as maps keyed by field name, in declaration order,
//! where rmp-serde's default is an array of the fields.

use std::fmt;
use std::io;

use rmp_serde::config::{DefaultConfig, StructMapConfig};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::bounded::{Bounded, is_too_long};
use crate::check;
use crate::exception::Exception;
use crate::scan;
use crate::value::Value;

/// The serializer every reply is written with: rmp-serde with structs as maps.
pub fn serializer<W: io::Write>(
    writer: W,
) -> rmp_serde::Serializer<W, StructMapConfig<DefaultConfig>> {
    rmp_serde::Serializer::new(writer).with_struct_map()
}

/// Writes `value` in the canonical form with [`serializer`], refusing lengths MessagePack cannot
/// represent (ABI.md section 11) rather than writing them cut to 32 bits.
pub(crate) fn write<T: Serialize + ?Sized, W: io::Write>(
    writer: W,
    value: &T,
) -> Result<(), rmp_serde::encode::Error> {
    value.serialize(Bounded::new(&mut serializer(writer)))
}

/// A value that could not be encoded or decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodecError {
    message: String,
    limit: bool,
}

impl CodecError {
    fn new(message: impl fmt::Display) -> Self {
        CodecError {
            message: message.to_string(),
            limit: false,
        }
    }

    fn check(e: scan::CheckError) -> Self {
        CodecError {
            limit: e.is_limit(),
            message: e.to_string(),
        }
    }

    fn encoding(e: rmp_serde::encode::Error) -> Self {
        CodecError {
            limit: is_too_long(&e),
            message: e.to_string(),
        }
    }

    /// Whether a limit of ABI.md section 11 was exceeded (nesting deeper than 512, a chain of
    /// more than 256 records or 4,096 frames, a length of 2³² or more): `virgil.LimitExceeded`.
    /// Otherwise the bytes were malformed or the value did not fit its type.
    pub fn is_limit(&self) -> bool {
        self.limit
    }

    /// The framework name for this failure (ABI.md section 7): [`names::LIMIT_EXCEEDED`] for a
    /// limit, else `otherwise` (`virgil.ArgumentError` in a guest, `virgil.ResultError` for a
    /// reply).
    ///
    /// [`names::LIMIT_EXCEEDED`]: crate::names::LIMIT_EXCEEDED
    pub fn name<'a>(&self, otherwise: &'a str) -> &'a str {
        if self.limit {
            crate::names::LIMIT_EXCEEDED
        } else {
            otherwise
        }
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CodecError {}

/// Encodes a value in the canonical form. A str, byte string, list or map of 2³² or more
/// elements is refused ([`CodecError::is_limit`]).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    let mut bytes = Vec::new();
    write(&mut bytes, value).map_err(CodecError::encoding)?;
    Ok(bytes)
}

/// Decodes one value that must fill `bytes` exactly. The bytes are checked first: well formed,
/// nested at most 512 deep ([`CodecError::is_limit`] beyond), nothing after the value, every
/// str UTF-8, every timestamp valid, no map with an array or map as a key or with one key twice
/// (ABI.md section 5); then serde lifts them.
pub fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, CodecError> {
    scan::validate(bytes).map_err(CodecError::check)?;
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    T::deserialize(&mut de).map_err(CodecError::new)
}

/// Lifts a value of a type of the ABI's vocabulary, as an exported function lifts its arguments:
/// checked against `T`'s [`AbiType`](crate::AbiType) first (the lifting rules of ABI.md, section
/// 5: an `int` accepts no float, nil is an empty list), records by the struct rule (keys matched
/// exactly, else folded: `MaxValue`, `max_value` and `max-value` are one field; a missing
/// required field is `Summary: missing field mean`; unknown keys ignored), then read by serde.
///
/// ```
/// #[derive(serde::Deserialize, virgil::AbiType, Debug, PartialEq)]
/// struct Limits {
///     max_value: i64,
///     note: Option<String>,
/// }
/// // {"MaxValue": 10}, as an untagged Go struct writes it.
/// let bytes = [0x81, 0xa8, b'M', b'a', b'x', b'V', b'a', b'l', b'u', b'e', 0x0a];
/// assert_eq!(virgil::lift::<Limits>(&bytes), Ok(Limits { max_value: 10, note: None }));
/// let err = virgil::lift::<Limits>(&[0x80]).unwrap_err();
/// assert_eq!(err.to_string(), "Limits: missing field max_value");
/// ```
pub fn lift<T: serde::de::DeserializeOwned + crate::AbiType>(
    bytes: &[u8],
) -> Result<T, CodecError> {
    let mut patches = Vec::new();
    check::check_value(bytes, &T::TYPE, &mut patches).map_err(CodecError::check)?;
    let patched = check::patched(bytes, patches, []);
    let mut de = rmp_serde::Deserializer::from_read_ref(&patched[..]);
    T::deserialize(&mut de).map_err(CodecError::new)
}

impl Exception {
    /// Decodes a record, checking the chain and traceback limits (ABI.md, section 6).
    pub fn decode(bytes: &[u8]) -> Result<Exception, CodecError> {
        let x: Exception = decode(bytes)?;
        x.check_limits().map_err(|message| CodecError {
            message,
            limit: true,
        })?;
        Ok(x)
    }

    /// Encodes the record in the canonical form, cut to the limits first.
    pub fn encode(&self) -> Vec<u8> {
        let mut x = self.clone();
        x.enforce_limits();
        encode(&x).expect("an exception record always encodes")
    }
}

/// A reply envelope (ABI.md, section 4): `{"ok": value}` or `{"error": record}`.
#[derive(Clone, Debug, PartialEq)]
pub enum Envelope<T = Value> {
    /// Success, with the function's result.
    Ok(T),
    /// Failure, with its record.
    Error(Exception),
}

impl<'de, T: Deserialize<'de>> Envelope<T> {
    /// Decodes a reply envelope that must fill `bytes` exactly. Its value is checked as
    /// [`decode`] checks a value, on its own: the envelope map is not a level of nesting (ABI.md
    /// section 11), so `{"ok": v}` with `v` nested 512 deep is read, where
    /// `decode::<Envelope<T>>` would count the envelope and refuse it. A record beyond the limits
    /// of section 6 is refused with [`CodecError::is_limit`].
    pub fn decode(bytes: &'de [u8]) -> Result<Self, CodecError> {
        let (ok, start) = scan::envelope(bytes).map_err(CodecError::new)?;
        let value = &bytes[start..];
        if !ok {
            return Ok(Envelope::Error(Exception::decode(value)?));
        }
        Ok(Envelope::Ok(decode(value)?))
    }
}

impl<T> Envelope<T> {
    /// The result, or the record as an error.
    pub fn into_result(self) -> Result<T, Exception> {
        match self {
            Envelope::Ok(v) => Ok(v),
            Envelope::Error(x) => Err(x),
        }
    }
}

impl<T: Serialize> Serialize for Envelope<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        match self {
            Envelope::Ok(v) => map.serialize_entry("ok", v)?,
            Envelope::Error(x) => map.serialize_entry("error", x)?,
        }
        map.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Envelope<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EnvelopeVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for EnvelopeVisitor<T> {
            type Value = Envelope<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a map with the one key "ok" or "error""#)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope<T>, A::Error> {
                let key: String = map
                    .next_key()?
                    .ok_or_else(|| de::Error::custom("an empty map is not an envelope"))?;
                let envelope = match key.as_str() {
                    "ok" => Envelope::Ok(map.next_value()?),
                    "error" => {
                        let x: Exception = map.next_value()?;
                        x.check_limits().map_err(de::Error::custom)?;
                        Envelope::Error(x)
                    }
                    other => {
                        return Err(de::Error::custom(format_args!(
                            "an envelope has no key {other:?}"
                        )));
                    }
                };
                if map.next_key::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom("an envelope has exactly one key"));
                }
                Ok(envelope)
            }
        }

        d.deserialize_map(EnvelopeVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_DEPTH;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Summary {
        count: usize,
        mean: f64,
    }

    #[test]
    fn structs_are_maps_in_declaration_order() {
        let bytes = encode(&Summary {
            count: 3,
            mean: 3.0,
        })
        .unwrap();
        assert_eq!(bytes, b"\x82\xa5count\x03\xa4mean\xcb\x40\x08\0\0\0\0\0\0");
        assert_eq!(
            decode::<Summary>(&bytes).unwrap(),
            Summary {
                count: 3,
                mean: 3.0
            }
        );
    }

    #[test]
    fn decode_rejects_trailing_and_deep_input() {
        assert!(decode::<Value>(&[0x01, 0x02]).is_err());
        let deep = vec![0x91; 600];
        assert!(
            decode::<Value>(&deep)
                .unwrap_err()
                .to_string()
                .contains("nested deeper")
        );
    }

    #[test]
    fn envelopes() {
        let ok = encode(&Envelope::Ok(3u8)).unwrap();
        assert_eq!(ok, b"\x81\xa2ok\x03");
        assert_eq!(decode::<Envelope<u8>>(&ok).unwrap(), Envelope::Ok(3));
        let two = b"\x82\xa2ok\x03\xa5error\xc0";
        assert!(decode::<Envelope<u8>>(two).is_err());
        assert!(decode::<Envelope<u8>>(b"\x81\xa3yes\x03").is_err());
        assert!(decode::<Envelope<u8>>(b"\x80").is_err());
        assert_eq!(Envelope::<u8>::decode(&ok), Ok(Envelope::Ok(3)));
        assert!(Envelope::<u8>::decode(two).is_err());
    }

    #[test]
    fn envelopes_are_no_level_of_nesting() {
        let nested = |depth: usize| {
            let mut v = b"\x81\xa2ok".to_vec();
            v.extend(std::iter::repeat_n(0x91, depth));
            v.push(0x01);
            v
        };
        assert!(Envelope::<Value>::decode(&nested(MAX_DEPTH)).is_ok());
        let e = Envelope::<Value>::decode(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert!(e.is_limit(), "{e}");
        // A chain of 257 records.
        let mut record = b"\x81\xa4name\xa1E".to_vec();
        for _ in 1..257 {
            let mut outer = b"\x82\xa4name\xa1E\xa5cause".to_vec();
            outer.extend_from_slice(&record);
            record = outer;
        }
        let mut reply = b"\x81\xa5error".to_vec();
        reply.extend_from_slice(&record);
        let e = Envelope::<Value>::decode(&reply).unwrap_err();
        assert!(e.is_limit(), "{e}");
        assert_eq!(
            e.name(crate::names::RESULT_ERROR),
            crate::names::LIMIT_EXCEEDED
        );
    }
}
