//! `#[derive(AbiType)]`: a type's place in the ABI's vocabulary, read from its shape and the serde
//! attributes that change how it is written.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Error, Fields, LitStr, Type};

use crate::types::{generic_of, with_lifetimes};

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let container = Serde::read(&input.attrs)?;
    let ty = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => {
                if container.transparent {
                    transparent(named)?
                } else {
                    record(&input.ident.unraw().to_string(), named, &container)?
                }
            }
            Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                let field = &unnamed.unnamed[0];
                field_type(&field.ty, &Serde::read(&field.attrs)?)
            }
            Fields::Unnamed(_) => quote!(::virgil::Ty::List(&::virgil::Ty::Any)),
            Fields::Unit => {
                return Err(Error::new(
                    input.ident.span(),
                    "a unit struct has no MessagePack form in the ABI: use () or implement AbiType by hand",
                ));
            }
        },
        Data::Enum(e) => {
            let unit_only = e.variants.iter().all(|v| matches!(v.fields, Fields::Unit));
            if unit_only && !container.tagged {
                quote!(::virgil::Ty::Str)
            } else {
                quote!(::virgil::Ty::Any)
            }
        }
        Data::Union(u) => {
            return Err(Error::new(
                u.union_token.span(),
                "a union has no place in the ABI's vocabulary",
            ));
        }
    };

    let name = &input.ident;
    let mut generics = input.generics.clone();
    for param in generics.type_params_mut() {
        param.bounds.push(syn::parse_quote!(::virgil::AbiType));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::virgil::AbiType for #name #ty_generics #where_clause {
            const TYPE: ::virgil::Ty = #ty;
        }
    })
}

fn record(record: &str, fields: &syn::FieldsNamed, container: &Serde) -> syn::Result<TokenStream> {
    let mut entries = Vec::new();
    for field in &fields.named {
        let serde = Serde::read(&field.attrs)?;
        if serde.skip {
            continue;
        }
        if serde.flatten {
            return Err(Error::new(
                field.span(),
                "#[serde(flatten)] is not supported by #[derive(AbiType)]: implement AbiType by hand",
            ));
        }
        let ident = field
            .ident
            .as_ref()
            .expect("named field")
            .unraw()
            .to_string();
        let key = match &serde.rename {
            Some(name) => name.clone(),
            None => container
                .rename_all
                .as_deref()
                .map_or_else(|| ident.clone(), |rule| rename(&ident, rule)),
        };
        let ty = field_type(&field.ty, &serde);
        let optional = container.default || serde.default;
        entries.push(quote!(::virgil::Field { name: #key, ty: #ty, optional: #optional }));
    }
    Ok(quote!(::virgil::Ty::Record(#record, &[#(#entries),*])))
}

/// The type of a `#[serde(transparent)]` struct: that of its one field that is not skipped.
fn transparent(fields: &syn::FieldsNamed) -> syn::Result<TokenStream> {
    for field in &fields.named {
        let serde = Serde::read(&field.attrs)?;
        if !serde.skip {
            return Ok(field_type(&field.ty, &serde));
        }
    }
    Ok(quote!(::virgil::Ty::Nil))
}

/// A field's type: its own `AbiType`, `bytes` when serde writes it with `serde_bytes`, `any` when
/// a function of the author's writes it.
fn field_type(ty: &Type, serde: &Serde) -> TokenStream {
    match serde.with.as_deref() {
        Some("serde_bytes") if generic_of(ty, "Option").is_some() => {
            quote!(::virgil::Ty::Optional(&::virgil::Ty::Bytes))
        }
        Some("serde_bytes") => quote!(::virgil::Ty::Bytes),
        Some(_) => quote!(::virgil::Ty::Any),
        None => {
            let ty = with_lifetimes(ty, "'static");
            quote_spanned!(ty.span()=> <#ty as ::virgil::AbiType>::TYPE)
        }
    }
}

/// The serde attributes that change a type's shape on the wire.
#[derive(Default)]
struct Serde {
    rename: Option<String>,
    rename_all: Option<String>,
    skip: bool,
    flatten: bool,
    transparent: bool,
    /// `tag`, `content` or `untagged`: the enum is not written as its variant's name.
    tagged: bool,
    /// The module of `with`, or any text for `serialize_with`.
    with: Option<String>,
    /// `default` or `default = "f"`: a missing field takes a default (on the container: every
    /// field does).
    default: bool,
}

impl Serde {
    fn read(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut serde = Serde::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
            attr.parse_nested_meta(|meta| serde.item(meta))?;
        }
        Ok(serde)
    }

    fn item(&mut self, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "rename" => self.rename = serialize_name(&meta)?,
            "rename_all" => self.rename_all = serialize_name(&meta)?,
            "skip" | "skip_serializing" => self.skip = true,
            "flatten" => self.flatten = true,
            "transparent" => self.transparent = true,
            "untagged" => self.tagged = true,
            "tag" | "content" => {
                self.tagged = true;
                meta.value()?.parse::<LitStr>()?;
            }
            "with" => self.with = Some(meta.value()?.parse::<LitStr>()?.value()),
            "default" => {
                self.default = true;
                skip_value(&meta)?;
            }
            "serialize_with" => {
                meta.value()?.parse::<LitStr>()?;
                self.with = Some("a function".to_owned());
            }
            _ => skip_value(&meta)?,
        }
        Ok(())
    }
}

/// `rename = "x"` or `rename(serialize = "x", deserialize = "y")`: the name it is written with.
fn serialize_name(meta: &ParseNestedMeta<'_>) -> syn::Result<Option<String>> {
    if meta.input.peek(syn::Token![=]) {
        return Ok(Some(meta.value()?.parse::<LitStr>()?.value()));
    }
    let mut name = None;
    meta.parse_nested_meta(|inner| {
        let value = inner.value()?.parse::<LitStr>()?.value();
        if inner.path.is_ident("serialize") {
            name = Some(value);
        }
        Ok(())
    })?;
    Ok(name)
}

/// Consumes the value of an attribute this derive does not need (`default = "f"`, `bound(...)`).
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

/// Applies a serde `rename_all` rule to a snake_case field name.
fn rename(field: &str, rule: &str) -> String {
    let pascal = || -> String {
        field
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
            })
            .collect()
    };
    match rule {
        "lowercase" => field.to_lowercase(),
        "UPPERCASE" | "SCREAMING_SNAKE_CASE" => field.to_uppercase(),
        "PascalCase" => pascal(),
        "camelCase" => {
            let p = pascal();
            let mut chars = p.chars();
            chars
                .next()
                .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
        }
        "kebab-case" => field.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => field.replace('_', "-").to_uppercase(),
        _ => field.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_rules() {
        assert_eq!(rename("max_value", "camelCase"), "maxValue");
        assert_eq!(rename("max_value", "PascalCase"), "MaxValue");
        assert_eq!(rename("max_value", "kebab-case"), "max-value");
        assert_eq!(rename("max_value", "SCREAMING_SNAKE_CASE"), "MAX_VALUE");
        assert_eq!(rename("max_value", "SCREAMING-KEBAB-CASE"), "MAX-VALUE");
        assert_eq!(rename("max_value", "snake_case"), "max_value");
    }

    #[test]
    fn reads_serde_attributes() {
        let input: DeriveInput = syn::parse_quote! {
            #[serde(rename_all = "camelCase", deny_unknown_fields)]
            struct S {
                #[serde(rename = "n", default)]
                count: usize,
                #[serde(skip)]
                cache: u8,
                #[serde(with = "serde_bytes", skip_serializing_if = "Vec::is_empty")]
                raw_data: Vec<u8>,
                max_value: f64,
            }
        };
        let out = expand(quote!(#input)).unwrap().to_string();
        assert!(out.contains("name : \"n\""), "{out}");
        assert!(!out.contains("cache"), "{out}");
        assert!(
            out.contains("name : \"rawData\" , ty : :: virgil :: Ty :: Bytes"),
            "{out}"
        );
        assert!(out.contains("name : \"maxValue\""), "{out}");
        assert!(out.contains("Ty :: Record (\"S\""), "{out}");
        assert!(
            out.contains(
                "name : \"n\" , ty : < usize as :: virgil :: AbiType > :: TYPE , optional : true"
            ),
            "{out}"
        );
        assert!(out.contains("optional : false"), "{out}");
    }
}
