//! [`Value`]: any value of the ABI's value mapping, the Rust side of the type `any`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_bytes::Bytes;

use crate::timestamp::{EXT_STRUCT, TIMESTAMP_EXT, Timestamp};
use crate::types::{AbiType, Ty};

/// Any value of the ABI's value mapping (ABI.md, section 5), as a parameter of type `any` lifts
/// it. Every family keeps its identity, so a value comes back out as the same bytes: a float 32
/// stays a float 32, a byte string stays bin, a map keeps its order and its keys of any type, and
/// extension values other than the timestamp are kept as they came.
///
/// Equality is the ABI's value equality: maps compare without regard to their order, floats
/// compare bit for bit (so any NaN with the same bits equals itself, and `0.0 != -0.0`), and
/// integers compare by value.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// nil.
    #[default]
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer; the wire holds −2⁶³ to 2⁶⁴−1, and a value outside that range cannot be lowered.
    Int(i128),
    /// A float 64.
    Float(f64),
    /// A float 32.
    Float32(f32),
    /// A UTF-8 string.
    Str(String),
    /// A byte string.
    Bin(Vec<u8>),
    /// A list.
    Array(Vec<Value>),
    /// A map, in wire order, with keys of any type.
    Map(Vec<(Value, Value)>),
    /// A timestamp (the extension type −1).
    Time(Timestamp),
    /// Any other extension value: its type and data.
    Ext(i8, Vec<u8>),
}

impl AbiType for Value {
    const TYPE: Ty = Ty::Any;
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Nil, Nil) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Float32(a), Float32(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Str(a), Str(b)) => a == b,
            (Bin(a), Bin(b)) => a == b,
            (Array(a), Array(b)) => a == b,
            (Map(a), Map(b)) => maps_equal(a, b),
            (Time(a), Time(b)) => a == b,
            (Ext(ta, a), Ext(tb, b)) => ta == tb && a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

/// Compares two maps as multisets of entries.
fn maps_equal(a: &[(Value, Value)], b: &[(Value, Value)]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a == b {
        return true; // the common case: the same order
    }
    let mut used = vec![false; b.len()];
    a.iter().all(|entry| {
        let found = b
            .iter()
            .enumerate()
            .position(|(i, e)| !used[i] && e == entry);
        found.map(|i| used[i] = true).is_some()
    })
}

impl fmt::Display for Value {
    /// A short, readable form (the story of an [`Exception`](crate::Exception) shows attributes
    /// with it): `nil`, `true`, `42`, `1.5`, `"text"` (quoted), `b"\x00\xff"`, `[1, 2]`,
    /// `{"k": 1}`, `time(sec, nsec)`, `ext 5 (3 bytes)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Float32(x) => write!(f, "{x:?}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Bin(b) => write!(f, "b\"{}\"", b.escape_ascii()),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Value::Time(t) => write!(f, "time({}, {})", t.sec, t.nsec),
            Value::Ext(tag, data) => write!(f, "ext {tag} ({} bytes)", data.len()),
        }
    }
}

macro_rules! from_ints {
    ($($t:ty),*) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::Int(v as i128)
            }
        })*
    };
}

from_ints!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float32(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bin(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

impl From<Timestamp> for Value {
    fn from(v: Timestamp) -> Self {
        Value::Time(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Nil, Into::into)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Nil => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => {
                if let Ok(v) = i64::try_from(*i) {
                    s.serialize_i64(v)
                } else if let Ok(v) = u64::try_from(*i) {
                    s.serialize_u64(v)
                } else {
                    Err(ser::Error::custom(format_args!(
                        "integer {i} is outside the 64-bit range"
                    )))
                }
            }
            Value::Float(f) => s.serialize_f64(*f),
            Value::Float32(f) => s.serialize_f32(*f),
            Value::Str(v) => s.serialize_str(v),
            Value::Bin(v) => s.serialize_bytes(v),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Value::Time(t) => t.serialize(s),
            Value::Ext(tag, data) => {
                s.serialize_newtype_struct(EXT_STRUCT, &(tag, Bytes::new(data)))
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// At most this many elements are reserved ahead from a length the input declares.
const MAX_PREALLOCATION: usize = 4096;

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any MessagePack value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_f32<E>(self, v: f32) -> Result<Value, E> {
        Ok(Value::Float32(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bin(v.to_vec()))
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bin(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_PREALLOCATION));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(MAX_PREALLOCATION));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Value::Map(entries))
    }

    /// rmp-serde hands extension values over as a newtype struct around `(type, data)`.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        let (tag, data): (i8, serde_bytes::ByteBuf) = Deserialize::deserialize(d)?;
        let data = data.into_vec();
        if tag == TIMESTAMP_EXT {
            // A timestamp of another length or with a second's worth of nanoseconds is
            // malformed (ABI.md section 5), not an extension value to keep.
            return Timestamp::from_ext(&data)
                .map(Value::Time)
                .ok_or_else(|| de::Error::custom("a malformed timestamp extension"));
        }
        Ok(Value::Ext(tag, data))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Value, A::Error> {
        Err(de::Error::custom("enums have no MessagePack form"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_equality_ignores_order_but_not_content() {
        let a = Value::Map(vec![("a".into(), 1.into()), ("b".into(), 2.into())]);
        let b = Value::Map(vec![("b".into(), 2.into()), ("a".into(), 1.into())]);
        let c = Value::Map(vec![("b".into(), 2.into()), ("a".into(), 2.into())]);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn float_equality_is_bitwise_with_nan() {
        assert_eq!(Value::Float(f64::NAN), Value::Float(f64::NAN));
        assert_ne!(Value::Float(0.0), Value::Float(-0.0));
        assert_ne!(Value::Float(1.5), Value::Float32(1.5));
        assert_eq!(Value::from(5u8), Value::from(5i64));
    }
}
