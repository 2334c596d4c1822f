//! Reading Rust types syntactically: byte strings, `Result`, lifetimes.

use syn::visit_mut::{self, VisitMut};
use syn::{GenericArgument, Lifetime, PathArguments, Type};

/// How a byte-string type crosses: serde writes `Vec<u8>` and `[u8]` as arrays of integers, so
/// these go through `serde_bytes` to cross as `bytes` (MessagePack bin).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bytes {
    /// `Vec<u8>`.
    Vec,
    /// `&[u8]`, any lifetime.
    Slice,
    /// `Box<[u8]>`.
    Boxed,
}

/// The byte-string kind of `ty`, if it is one.
pub fn bytes_kind(ty: &Type) -> Option<Bytes> {
    match ty {
        Type::Reference(r) if r.mutability.is_none() && is_u8_slice(&r.elem) => Some(Bytes::Slice),
        Type::Path(_) => match generic_of(ty, "Vec") {
            Some(Type::Path(arg)) if arg.qself.is_none() && arg.path.is_ident("u8") => {
                Some(Bytes::Vec)
            }
            _ => match generic_of(ty, "Box") {
                Some(arg) if is_u8_slice(arg) => Some(Bytes::Boxed),
                _ => None,
            },
        },
        Type::Group(g) => bytes_kind(&g.elem),
        Type::Paren(p) => bytes_kind(&p.elem),
        _ => None,
    }
}

fn is_u8_slice(ty: &Type) -> bool {
    matches!(ty, Type::Slice(s) if matches!(&*s.elem, Type::Path(p) if p.qself.is_none() && p.path.is_ident("u8")))
}

/// The first generic argument of `ty` when its last path segment is `name`: `Vec<T>` gives `T`.
pub fn generic_of<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// The error type of `Result<T, E>` (the second generic argument), if `ty` is one.
pub fn result_error(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .nth(1)
}

/// Whether an error type is a plain message that implements no `std::error::Error` of its own:
/// `String`, `&str`, `Box<dyn Error ...>` (and `Box<dyn std::error::Error + Send + Sync>`).
pub fn is_plain_error(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str")),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            if last.ident == "String" && last.arguments.is_none() {
                return true;
            }
            matches!(generic_of(ty, "Box"), Some(Type::TraitObject(_)))
        }
        Type::Group(g) => is_plain_error(&g.elem),
        Type::Paren(p) => is_plain_error(&p.elem),
        _ => false,
    }
}

/// `ty` with every lifetime replaced by `lifetime` (`'_` where it is inferred, `'static` in
/// constants).
pub fn with_lifetimes(ty: &Type, lifetime: &str) -> Type {
    struct Replace(Lifetime);

    impl VisitMut for Replace {
        fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
            *l = Lifetime::new(&self.0.to_string(), l.apostrophe);
        }

        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.is_none() {
                r.lifetime = Some(self.0.clone());
            }
            visit_mut::visit_type_reference_mut(self, r);
        }
    }

    let mut ty = ty.clone();
    Replace(Lifetime::new(lifetime, proc_macro2::Span::call_site())).visit_type_mut(&mut ty);
    ty
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::parse_quote;

    #[test]
    fn byte_strings() {
        assert_eq!(bytes_kind(&parse_quote!(Vec<u8>)), Some(Bytes::Vec));
        assert_eq!(
            bytes_kind(&parse_quote!(std::vec::Vec<u8>)),
            Some(Bytes::Vec)
        );
        assert_eq!(bytes_kind(&parse_quote!(&'a [u8])), Some(Bytes::Slice));
        assert_eq!(bytes_kind(&parse_quote!(&[u8])), Some(Bytes::Slice));
        assert_eq!(bytes_kind(&parse_quote!(Box<[u8]>)), Some(Bytes::Boxed));
        assert_eq!(bytes_kind(&parse_quote!(Vec<u16>)), None);
        assert_eq!(bytes_kind(&parse_quote!(&mut [u8])), None);
        assert_eq!(bytes_kind(&parse_quote!(&[u8; 4])), None);
    }

    #[test]
    fn plain_errors() {
        let err = |ty: Type| result_error(&ty).map(is_plain_error);
        assert_eq!(err(parse_quote!(Result<i64, String>)), Some(true));
        assert_eq!(err(parse_quote!(Result<(), &'static str>)), Some(true));
        assert_eq!(
            err(parse_quote!(std::result::Result<u8, Box<dyn std::error::Error + Send + Sync>>)),
            Some(true)
        );
        assert_eq!(err(parse_quote!(Result<i64, virgil::Error>)), Some(false));
        assert_eq!(err(parse_quote!(Result<i64, Box<MyError>>)), Some(false));
        assert_eq!(err(parse_quote!(Vec<String>)), None);
    }

    #[test]
    fn lifetimes() {
        let ty: Type = parse_quote!(&'a Cow<'b, str>);
        assert_eq!(
            with_lifetimes(&ty, "'static").to_token_stream().to_string(),
            "& 'static Cow < 'static , str >"
        );
        let ty: Type = parse_quote!(&str);
        assert_eq!(
            with_lifetimes(&ty, "'_").to_token_stream().to_string(),
            "& '_ str"
        );
    }
}
