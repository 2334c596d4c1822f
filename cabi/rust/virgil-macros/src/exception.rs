//! `#[virgil::exception]`: implements or keeps `ExceptionInfo` for a type and registers the type,
//! so that the kit finds it by downcasting anywhere in a cause chain.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Error, Generics, Item, LitStr, Token, Type};

/// The attribute's arguments: nothing, or `name = "Name"` (on a type only).
struct Args {
    name: Option<LitStr>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(Args { name: None });
        }
        let key: syn::Ident = input.parse()?;
        if key != "name" {
            return Err(Error::new(
                key.span(),
                "expected `name = \"ExceptionName\"`",
            ));
        }
        input.parse::<Token![=]>()?;
        let name = input.parse()?;
        input.parse::<Option<Token![,]>>()?;
        Ok(Args { name: Some(name) })
    }
}

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: Args = syn::parse2(attr)?;
    let item: Item = syn::parse2(item)?;
    let (ty, implementation): (Type, TokenStream) = match &item {
        Item::Struct(s) => {
            no_generics(&s.generics)?;
            let ident = &s.ident;
            (
                syn::parse_quote!(#ident),
                implement(&syn::parse_quote!(#ident), args.name.as_ref()),
            )
        }
        Item::Enum(e) => {
            no_generics(&e.generics)?;
            let ident = &e.ident;
            (
                syn::parse_quote!(#ident),
                implement(&syn::parse_quote!(#ident), args.name.as_ref()),
            )
        }
        Item::Impl(i) => {
            if let Some(name) = &args.name {
                return Err(Error::new(
                    name.span(),
                    "on an impl block, write the name in `exception_name`",
                ));
            }
            let is_info = i.trait_.as_ref().is_some_and(|(path, _)| {
                path.segments
                    .last()
                    .is_some_and(|s| s.ident == "ExceptionInfo")
            });
            if !is_info {
                return Err(Error::new(
                    i.span(),
                    "#[virgil::exception] goes on a struct, an enum or an `impl virgil::ExceptionInfo for T` block",
                ));
            }
            no_generics(&i.generics)?;
            ((*i.self_ty).clone(), TokenStream::new())
        }
        other => {
            return Err(Error::new(
                other.span(),
                "#[virgil::exception] goes on a struct, an enum or an `impl virgil::ExceptionInfo for T` block",
            ));
        }
    };
    Ok(quote! {
        #item
        #implementation
        const _: () = {
            fn __virgil_find<'a>(
                error: &'a (dyn ::std::error::Error + 'static),
            ) -> ::core::option::Option<&'a dyn ::virgil::ExceptionInfo> {
                error.downcast_ref::<#ty>().map(|e| e as &dyn ::virgil::ExceptionInfo)
            }

            #[::virgil::__private::linkme::distributed_slice(::virgil::__private::EXCEPTION_TYPES)]
            #[linkme(crate = ::virgil::__private::linkme)]
            static __VIRGIL_EXCEPTION_TYPE: ::virgil::__private::ExceptionType =
                ::virgil::__private::ExceptionType(__virgil_find);
        };
    })
}

fn implement(ty: &Type, name: Option<&LitStr>) -> TokenStream {
    let body = name.map(|name| {
        quote! {
            fn exception_name(&self) -> ::std::borrow::Cow<'_, str> {
                ::std::borrow::Cow::Borrowed(#name)
            }
        }
    });
    quote! {
        impl ::virgil::ExceptionInfo for #ty {
            #body

            fn exception_attributes(&self) -> ::virgil::Attributes {
                #[allow(unused_imports)]
                use ::virgil::__private::{NoAttributes as _, SerializedAttributes as _};
                (&&::virgil::__private::Attrs(self)).attributes()
            }
        }
    }
}

fn no_generics(generics: &Generics) -> syn::Result<()> {
    match generics.params.first() {
        Some(g) => Err(Error::new(
            g.span(),
            "#[virgil::exception] needs a concrete type: the kit finds it by downcasting",
        )),
        None => Ok(()),
    }
}
