//! The runtime of the code `#[virgil::exception]` and `#[virgil::export]` write: an error type's
//! attributes (serialized, or none), and the records of errors that implement no
//! `std::error::Error` of their own (`String`, `&str`, `Box<dyn Error>`).

use std::error::Error as StdError;

use crate::convert::{Origin, convert};
use crate::exception::{Attributes, Exception};

/// The attributes of an error type that implements `serde::Serialize`: its fields, serialized as
/// the ABI writes a struct (a map keyed by wire name). A value that is not a map (a unit or tuple
/// struct, an enum's name) gives none; keys that are not strings are left out.
pub fn serialized_attributes<T: serde::Serialize + ?Sized>(error: &T) -> Attributes {
    let value = crate::codec::encode(error)
        .ok()
        .and_then(|bytes| crate::codec::decode::<crate::Value>(&bytes).ok());
    let Some(crate::Value::Map(entries)) = value else {
        return Attributes::new();
    };
    entries
        .into_iter()
        .filter_map(|(k, v)| match k {
            crate::Value::Str(k) => Some((k, v)),
            _ => None,
        })
        .collect()
}

/// Chooses, in the code `#[virgil::exception]` writes for a concrete type, between
/// [`SerializedAttributes`] (the type implements `Serialize`) and [`NoAttributes`] by method
/// resolution: `(&&Attrs(error)).attributes()` finds the first on `&&Attrs` when it applies, else
/// the second one dereference later.
#[doc(hidden)]
pub struct Attrs<'a, T: ?Sized>(pub &'a T);

/// See [`Attrs`].
#[doc(hidden)]
pub trait SerializedAttributes {
    fn attributes(&self) -> Attributes;
}

impl<T: serde::Serialize + ?Sized> SerializedAttributes for &Attrs<'_, T> {
    fn attributes(&self) -> Attributes {
        serialized_attributes(self.0)
    }
}

/// See [`Attrs`].
#[doc(hidden)]
pub trait NoAttributes {
    fn attributes(&self) -> Attributes;
}

impl<T: ?Sized> NoAttributes for Attrs<'_, T> {
    fn attributes(&self) -> Attributes {
        Attributes::new()
    }
}

/// An error that implements no `std::error::Error` of its own, as an exported function may
/// return it: `String` and `&str` (a record named `Exception` with the text as its message) and
/// `Box<dyn Error>` (its chain). `#[virgil::export]` converts these.
#[doc(hidden)]
pub trait PlainError {
    /// The record.
    fn into_record(self) -> Exception;
}

impl PlainError for String {
    fn into_record(self) -> Exception {
        Exception::new("Exception", self)
    }
}

impl PlainError for &str {
    fn into_record(self) -> Exception {
        Exception::new("Exception", self)
    }
}

macro_rules! plain_boxes {
    ($($t:ty),*) => {
        $(impl PlainError for Box<$t> {
            fn into_record(self) -> Exception {
                convert(&*self, Origin { type_name: "", is_type: |_| false, backtrace: None })
            }
        })*
    };
}

plain_boxes!(
    dyn StdError + Send + Sync,
    dyn StdError + Send,
    dyn StdError + Sync,
    dyn StdError
);

/// The record of a [`PlainError`]; the generated code of `#[virgil::export]` calls it.
#[doc(hidden)]
pub fn plain_error<E: PlainError>(error: E) -> Exception {
    error.into_record()
}
