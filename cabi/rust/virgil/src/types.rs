//! The type vocabulary of the manifest (ABI.md, section 8) and the [`AbiType`] trait that maps Rust
//! types onto it.
//!
//! The same description serves twice: the manifest shows it to hosts, and the guest checks every
//! argument against it before lifting, so that a value of the wrong MessagePack family is a
//! `virgil.ArgumentError` with a message in the vocabulary (`expected int, got str`).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use serde_bytes::{ByteBuf, Bytes};

/// A type of the ABI's vocabulary. Every part is `'static`, so types are constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `nil`: no value (the result of a function without one).
    Nil,
    /// `bool`.
    Bool,
    /// `int`: a signed integer of any width.
    Int,
    /// `uint`: an unsigned integer of any width.
    UInt,
    /// `float`: float 64. Accepts integers too.
    Float,
    /// `float32`: float 32, written as float 32. Accepts integers and float 64 too.
    Float32,
    /// `str`: UTF-8 text.
    Str,
    /// `bytes`: a byte string (MessagePack bin).
    Bytes,
    /// `time`: the timestamp extension (type −1).
    Time,
    /// `any`: every value.
    Any,
    /// `[T]`: a list of T (nil is the empty list).
    List(&'static Ty),
    /// `{K: V}`: a map (nil is the empty map).
    Map(&'static Ty, &'static Ty),
    /// `{"f": T, ...}`: a record, a map keyed by field name (nil is the empty record), with the
    /// record's name (`Summary`) for messages: `Summary: missing field mean`.
    Record(&'static str, &'static [Field]),
    /// `T?`: T or nil.
    Optional(&'static Ty),
    /// `fn(A, B) -> R`: a function value (reserved for closures, extension type 64).
    Func(&'static [Ty], &'static Ty),
}

/// One field of a [`Ty::Record`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The key the field has on the wire.
    pub name: &'static str,
    /// The field's type.
    pub ty: Ty,
    /// Whether the field may be missing (it has a default: `#[serde(default)]`). A field of an
    /// optional type (`Option`, [`Ty::Optional`]) may be missing anyway.
    pub optional: bool,
}

impl Field {
    /// A required field (unless its type is optional).
    pub const fn new(name: &'static str, ty: Ty) -> Self {
        Field {
            name,
            ty,
            optional: false,
        }
    }

    /// A field that may be missing, taking its default.
    pub const fn optional(name: &'static str, ty: Ty) -> Self {
        Field {
            name,
            ty,
            optional: true,
        }
    }

    /// Whether a map may leave the field out (ABI.md, section 5: the struct rule).
    pub fn may_be_missing(&self) -> bool {
        self.optional || matches!(self.ty, Ty::Optional(_))
    }
}

impl fmt::Display for Ty {
    /// Writes the type in the vocabulary's grammar: `int`, `[float]`, `{str: int}`,
    /// `{"count": int, "mean": float}`, `str?`, `fn(int) -> int`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Nil => f.write_str("nil"),
            Ty::Bool => f.write_str("bool"),
            Ty::Int => f.write_str("int"),
            Ty::UInt => f.write_str("uint"),
            Ty::Float => f.write_str("float"),
            Ty::Float32 => f.write_str("float32"),
            Ty::Str => f.write_str("str"),
            Ty::Bytes => f.write_str("bytes"),
            Ty::Time => f.write_str("time"),
            Ty::Any => f.write_str("any"),
            Ty::List(t) => write!(f, "[{t}]"),
            Ty::Map(k, v) => write!(f, "{{{k}: {v}}}"),
            Ty::Record(_, fields) => {
                f.write_str("{")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{:?}: {}", field.name, field.ty)?;
                }
                f.write_str("}")
            }
            Ty::Optional(t) => write!(f, "{t}?"),
            Ty::Func(params, result) => {
                f.write_str("fn(")?;
                for (i, p) in params.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{p}")?;
                }
                write!(f, ") -> {result}")
            }
        }
    }
}

/// A Rust type that has a place in the ABI's type vocabulary.
///
/// Parameters and results of exported functions implement it. The kit implements it for the
/// primitive types, strings, byte strings ([`ByteBuf`], `&[u8]` through [`Bytes`]), `Option`,
/// lists, maps, [`Value`](crate::Value) (`any`) and [`Timestamp`](crate::Timestamp) (`time`).
/// Structs get it with `#[derive(virgil::AbiType)]`; a hand-written implementation is one line:
///
/// ```
/// struct Celsius(f64);
/// impl virgil::AbiType for Celsius {
///     const TYPE: virgil::Ty = virgil::Ty::Float;
/// }
/// ```
///
/// The type is a constant, so a type that contains itself (a tree) cannot be described
/// structurally; give it [`Ty::Any`] by hand.
pub trait AbiType {
    /// The type in the vocabulary.
    const TYPE: Ty;
}

macro_rules! abi_types {
    ($($ty:ty => $abi:expr),* $(,)?) => {
        $(impl AbiType for $ty {
            const TYPE: Ty = $abi;
        })*
    };
}

abi_types! {
    () => Ty::Nil,
    bool => Ty::Bool,
    i8 => Ty::Int, i16 => Ty::Int, i32 => Ty::Int, i64 => Ty::Int, isize => Ty::Int,
    u8 => Ty::UInt, u16 => Ty::UInt, u32 => Ty::UInt, u64 => Ty::UInt, usize => Ty::UInt,
    f32 => Ty::Float32,
    f64 => Ty::Float,
    char => Ty::Str,
    str => Ty::Str,
    String => Ty::Str,
    Bytes => Ty::Bytes,
    ByteBuf => Ty::Bytes,
}

impl<T: AbiType + ?Sized> AbiType for &T {
    const TYPE: Ty = T::TYPE;
}

impl<T: AbiType + ?Sized> AbiType for &mut T {
    const TYPE: Ty = T::TYPE;
}

impl<T: AbiType + ?Sized> AbiType for Box<T> {
    const TYPE: Ty = T::TYPE;
}

impl<T: AbiType + ?Sized> AbiType for Rc<T> {
    const TYPE: Ty = T::TYPE;
}

impl<T: AbiType + ?Sized> AbiType for Arc<T> {
    const TYPE: Ty = T::TYPE;
}

impl<T: AbiType + ToOwned + ?Sized> AbiType for Cow<'_, T> {
    const TYPE: Ty = T::TYPE;
}

impl<T: AbiType> AbiType for Option<T> {
    const TYPE: Ty = Ty::Optional(&T::TYPE);
}

impl<T: AbiType> AbiType for Vec<T> {
    const TYPE: Ty = Ty::List(&T::TYPE);
}

impl<T: AbiType> AbiType for VecDeque<T> {
    const TYPE: Ty = Ty::List(&T::TYPE);
}

impl<T: AbiType, const N: usize> AbiType for [T; N] {
    const TYPE: Ty = Ty::List(&T::TYPE);
}

impl<T: AbiType, S> AbiType for HashSet<T, S> {
    const TYPE: Ty = Ty::List(&T::TYPE);
}

impl<T: AbiType> AbiType for BTreeSet<T> {
    const TYPE: Ty = Ty::List(&T::TYPE);
}

impl<K: AbiType, V: AbiType, S> AbiType for HashMap<K, V, S> {
    const TYPE: Ty = Ty::Map(&K::TYPE, &V::TYPE);
}

impl<K: AbiType, V: AbiType> AbiType for BTreeMap<K, V> {
    const TYPE: Ty = Ty::Map(&K::TYPE, &V::TYPE);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Summary;

    impl AbiType for Summary {
        const TYPE: Ty = Ty::Record(
            "Summary",
            &[
                Field::new("count", usize::TYPE),
                Field::new("mean", f64::TYPE),
            ],
        );
    }

    #[test]
    fn display_follows_the_grammar() {
        let cases: &[(Ty, &str)] = &[
            (<()>::TYPE, "nil"),
            (i64::TYPE, "int"),
            (u8::TYPE, "uint"),
            (f32::TYPE, "float32"),
            (<&str>::TYPE, "str"),
            (ByteBuf::TYPE, "bytes"),
            (<Vec<f64>>::TYPE, "[float]"),
            (<Option<String>>::TYPE, "str?"),
            (<HashMap<String, Vec<i32>>>::TYPE, "{str: [int]}"),
            (Summary::TYPE, r#"{"count": uint, "mean": float}"#),
            (<Option<Vec<Option<bool>>>>::TYPE, "[bool?]?"),
            (
                Ty::Func(&[Ty::Int, Ty::Str], &Ty::Nil),
                "fn(int, str) -> nil",
            ),
        ];
        for (ty, want) in cases {
            assert_eq!(ty.to_string(), *want);
        }
    }
}
