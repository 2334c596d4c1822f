//! A serializer adapter that refuses the lengths MessagePack cannot represent (ABI.md section
//! 11): a str, bin, extension, array or map of 2³² or more elements. rmp-serde writes such a
//! length cut to 32 bits, which would make the bytes after it garbage; [`Bounded`] refuses the
//! value first, at every level of nesting, with an error whose message contains [`TOO_LONG`]
//! (the kit names it `virgil.LimitExceeded`).
//!
//! It is also where a byte string of a reply that views memory the host lent to the call is
//! written as a borrowed value of the same bytes instead of a copy (ABI.md section 16, see
//! `lent.rs`): every byte string of a value passes here.

use serde::ser::{self, Serialize, Serializer};

/// The words every refusal's message contains, by which a caller tells it from other failures.
pub const TOO_LONG: &str = "MessagePack cannot represent a length of 2^32 or more";

/// The largest length MessagePack can write.
const MAX_LEN: u64 = u32::MAX as u64;

fn check<E: ser::Error>(what: &str, len: usize) -> Result<(), E> {
    if len as u64 > MAX_LEN {
        Err(E::custom(format_args!(
            "a {what} of {len} elements: {TOO_LONG}"
        )))
    } else {
        Ok(())
    }
}

/// Wraps a serializer (or one of its compound serializers) so that every value it writes, and
/// every value nested in that, is checked.
pub struct Bounded<S> {
    inner: S,
    /// Elements written so far into a compound whose length was not declared up front.
    count: u64,
}

impl<S> Bounded<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Bounded { inner, count: 0 }
    }

    fn counted<E: ser::Error>(&mut self, what: &str) -> Result<(), E> {
        self.count += 1;
        if self.count > MAX_LEN {
            Err(E::custom(format_args!(
                "a {what} of more elements: {TOO_LONG}"
            )))
        } else {
            Ok(())
        }
    }
}

/// A value to be written through [`Bounded`].
struct Within<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> Serialize for Within<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Bounded::new(s))
    }
}

macro_rules! forward {
    ($($method:ident($t:ty)),* $(,)?) => {
        $(fn $method(self, v: $t) -> Result<S::Ok, S::Error> {
            self.inner.$method(v)
        })*
    };
}

impl<S: Serializer> Serializer for Bounded<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Bounded<S::SerializeSeq>;
    type SerializeTuple = Bounded<S::SerializeTuple>;
    type SerializeTupleStruct = Bounded<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Bounded<S::SerializeTupleVariant>;
    type SerializeMap = Bounded<S::SerializeMap>;
    type SerializeStruct = Bounded<S::SerializeStruct>;
    type SerializeStructVariant = Bounded<S::SerializeStructVariant>;

    forward!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_unit_struct(&'static str),
    );

    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        check("str", v.len())?;
        self.inner.serialize_str(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        check("byte string", v.len())?;
        if let Some(view) = crate::lent::view(v) {
            return view.serialize(self.inner);
        }
        self.inner.serialize_bytes(v)
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(&Within(v))
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, index, variant)
    }

    /// Extension values travel as a newtype struct around `(type, data)`, so their data is
    /// checked as a byte string.
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_newtype_struct(name, &Within(v))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_newtype_variant(name, index, variant, &Within(v))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        check("list", len.unwrap_or(0))?;
        Ok(Bounded::new(self.inner.serialize_seq(len)?))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        check("tuple", len)?;
        Ok(Bounded::new(self.inner.serialize_tuple(len)?))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        check("tuple", len)?;
        Ok(Bounded::new(self.inner.serialize_tuple_struct(name, len)?))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        check("tuple", len)?;
        Ok(Bounded::new(
            self.inner
                .serialize_tuple_variant(name, index, variant, len)?,
        ))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        check("map", len.unwrap_or(0))?;
        Ok(Bounded::new(self.inner.serialize_map(len)?))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(Bounded::new(self.inner.serialize_struct(name, len)?))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        Ok(Bounded::new(
            self.inner
                .serialize_struct_variant(name, index, variant, len)?,
        ))
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

impl<S: ser::SerializeSeq> ser::SerializeSeq for Bounded<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), S::Error> {
        self.counted("list")?;
        self.inner.serialize_element(&Within(v))
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.inner.end()
    }
}

macro_rules! compound {
    ($trait:ident, $method:ident) => {
        impl<S: ser::$trait> ser::$trait for Bounded<S> {
            type Ok = S::Ok;
            type Error = S::Error;

            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), S::Error> {
                self.inner.$method(&Within(v))
            }

            fn end(self) -> Result<S::Ok, S::Error> {
                self.inner.end()
            }
        }
    };
}

compound!(SerializeTuple, serialize_element);
compound!(SerializeTupleStruct, serialize_field);
compound!(SerializeTupleVariant, serialize_field);

impl<S: ser::SerializeMap> ser::SerializeMap for Bounded<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), S::Error> {
        self.counted("map")?;
        self.inner.serialize_key(&Within(k))
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), S::Error> {
        self.inner.serialize_value(&Within(v))
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.inner.end()
    }
}

macro_rules! fields {
    ($trait:ident) => {
        impl<S: ser::$trait> ser::$trait for Bounded<S> {
            type Ok = S::Ok;
            type Error = S::Error;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                v: &T,
            ) -> Result<(), S::Error> {
                self.inner.serialize_field(key, &Within(v))
            }

            fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
                self.inner.skip_field(key)
            }

            fn end(self) -> Result<S::Ok, S::Error> {
                self.inner.end()
            }
        }
    };
}

fields!(SerializeStruct);
fields!(SerializeStructVariant);

/// Whether a serializer's error is a refusal of [`Bounded`].
pub fn is_too_long(error: &impl std::fmt::Display) -> bool {
    error.to_string().contains(TOO_LONG)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::ser::SerializeSeq;

    /// A list that declares `len` elements and writes none: the length alone is refused.
    struct Claims(usize);

    impl Serialize for Claims {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_seq(Some(self.0))?.end()
        }
    }

    fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        v.serialize(Bounded::new(&mut crate::codec::serializer(&mut out)))
            .map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn refuses_lengths_of_2_to_the_32_at_any_depth() {
        assert_eq!(encode(&Claims(u32::MAX as usize)).unwrap()[0], 0xdd);
        let e = encode(&Claims(1 << 32)).unwrap_err();
        assert!(is_too_long(&e), "{e}");
        let nested = (1, vec![Some(Claims(1 << 32))]);
        assert!(is_too_long(&encode(&nested).unwrap_err()));
        let mut map = std::collections::BTreeMap::new();
        map.insert("k", Claims(1 << 33));
        assert!(is_too_long(&encode(&map).unwrap_err()));
    }

    #[test]
    fn writes_what_rmp_serde_writes() {
        #[derive(serde::Serialize)]
        struct Rec<'a> {
            name: &'a str,
            #[serde(with = "serde_bytes")]
            data: &'a [u8],
            #[serde(skip_serializing_if = "Option::is_none")]
            gone: Option<i32>,
        }
        let v = (
            Rec {
                name: "x",
                data: &[],
                gone: None,
            },
            crate::Timestamp { sec: 1, nsec: 0 },
            crate::Value::Ext(5, vec![1, 2]),
            1.5f32,
        );
        let mut plain = Vec::new();
        v.serialize(&mut crate::codec::serializer(&mut plain))
            .unwrap();
        assert_eq!(encode(&v).unwrap(), plain);
    }
}
