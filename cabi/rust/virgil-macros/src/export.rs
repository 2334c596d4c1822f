//! `#[virgil::export]`: the ABI symbol, the argument lifting and the manifest entry for a function.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Error, FnArg, GenericParam, ItemFn, LitStr, Pat, ReturnType, Token, Type};

use crate::types::{Bytes, bytes_kind, generic_of, is_plain_error, result_error, with_lifetimes};

/// The attribute's arguments: nothing, or `name = "symbol"`.
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
            return Err(Error::new(key.span(), "expected `name = \"symbol\"`"));
        }
        input.parse::<Token![=]>()?;
        let name: LitStr = input.parse()?;
        if name.value().is_empty() || name.value().contains('\0') {
            return Err(Error::new(
                name.span(),
                "the exported name must be a non-empty C identifier",
            ));
        }
        input.parse::<Option<Token![,]>>()?;
        Ok(Args { name: Some(name) })
    }
}

/// One parameter, and how it is lifted.
struct Param {
    name: String,
    /// The type to lift, with lifetimes inferred.
    lift: Type,
    /// How the lifted value becomes the argument.
    convert: fn(TokenStream) -> TokenStream,
    /// The parameter's type in the vocabulary, as a constant expression.
    abi: TokenStream,
}

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: Args = syn::parse2(attr)?;
    let func: ItemFn = syn::parse2(item)?;
    check_signature(&func)?;

    let ident = &func.sig.ident;
    let rust_name = ident.unraw().to_string();
    let export_name = args.name.map_or_else(|| rust_name.clone(), |n| n.value());
    let params = func
        .sig
        .inputs
        .iter()
        .enumerate()
        .map(|(i, arg)| param(i, arg))
        .collect::<syn::Result<Vec<_>>>()?;
    let count = params.len();
    let names = params.iter().map(|p| &p.name);
    let abis = params.iter().map(|p| &p.abi);
    let vars: Vec<_> = (0..count)
        .map(|i| format_ident!("__virgil_arg{}", i))
        .collect();
    let lifts = params.iter().zip(&vars).map(|(p, var)| {
        let lift = &p.lift;
        quote_spanned!(lift.span()=> let #var = __virgil_call.arg::<#lift>()?;)
    });
    let passes = params
        .iter()
        .zip(&vars)
        .map(|(p, var)| (p.convert)(quote!(#var)));
    let mut call = quote!(#ident(#(#passes),*));
    let mut output = func.sig.output.clone();
    if let ReturnType::Type(_, ty) = &output
        && let Some(ok) = generic_of(ty, "Result")
        && result_error(ty).is_some_and(is_plain_error)
    {
        // `String`, `&str` and `Box<dyn Error>` implement no `Error` of their own (and cannot, for
        // coherence): they become a record here, and the result is read as `Result<T, Exception>`.
        call = quote!((#call).map_err(::virgil::__private::plain_error));
        let ty: Type = syn::parse_quote!(::core::result::Result<#ok, ::virgil::Exception>);
        output = ReturnType::Type(Default::default(), Box::new(ty));
    }
    let (result_abi, wrap) = result(&output);
    let call = wrap(call);
    let doc = doc_comment(&func.attrs);
    let line = ident.span().start().line as u32;

    Ok(quote! {
        #func

        #[doc(hidden)]
        const _: () = {
            fn __virgil_body(
                __virgil_call: &mut ::virgil::__private::Call<'_>,
            ) -> ::core::result::Result<(), ::virgil::Exception> {
                #(#lifts)*
                __virgil_call.reply(#call);
                ::core::result::Result::Ok(())
            }

            static __VIRGIL_PARAMS: [::virgil::__private::Param; #count] = [
                #(::virgil::__private::Param { name: #names, ty: #abis }),*
            ];

            #[::virgil::__private::linkme::distributed_slice(::virgil::__private::EXPORTS)]
            #[linkme(crate = ::virgil::__private::linkme)]
            static __VIRGIL_EXPORT: ::virgil::__private::Export = ::virgil::__private::Export {
                name: #export_name,
                params: &__VIRGIL_PARAMS,
                result: #result_abi,
                doc: #doc,
                function: ::core::concat!(::core::module_path!(), "::", #rust_name),
                file: ::core::file!(),
                line: #line,
                root: ::core::env!("CARGO_MANIFEST_DIR"),
                package: ::core::env!("CARGO_PKG_NAME"),
                version: ::core::env!("CARGO_PKG_VERSION"),
                symbol: __virgil_export,
            };

            /// The ABI symbol: `void NAME(const virgil_box *in, virgil_box *out)`.
            ///
            /// # Safety
            ///
            /// `input` and `output` follow the Virgil ABI.
            #[unsafe(export_name = #export_name)]
            unsafe extern "C" fn __virgil_export(
                input: *const ::virgil::VirgilBox,
                output: *mut ::virgil::VirgilBox,
            ) {
                let mut ends = [0usize; #count];
                // SAFETY: the caller follows the ABI, as this function's contract requires.
                unsafe {
                    ::virgil::__private::serve(input, output, &__VIRGIL_EXPORT, &mut ends, __virgil_body)
                }
            }
        };
    })
}

/// Rejects what cannot be exported: methods, generics, `async`, variadics, foreign ABIs.
fn check_signature(func: &ItemFn) -> syn::Result<()> {
    let sig = &func.sig;
    let fail = |span: Span, what: &str| Err(Error::new(span, format!("#[virgil::export] {what}")));
    if let Some(a) = &sig.asyncness {
        return fail(
            a.span(),
            "cannot export an async fn: export a blocking wrapper",
        );
    }
    if let Some(abi) = &sig.abi {
        return fail(
            abi.span(),
            "writes the extern \"C\" symbol itself: remove the `extern`",
        );
    }
    if let Some(v) = &sig.variadic {
        return fail(v.span(), "cannot export a variadic fn");
    }
    for g in &sig.generics.params {
        if !matches!(g, GenericParam::Lifetime(_)) {
            return fail(g.span(), "cannot export a generic fn (lifetimes are fine)");
        }
    }
    for input in &sig.inputs {
        if let FnArg::Receiver(r) = input {
            return fail(r.span(), "cannot export a method: export a free function");
        }
        if let FnArg::Typed(t) = input
            && matches!(*t.ty, Type::ImplTrait(_))
        {
            return fail(
                t.ty.span(),
                "needs concrete parameter types, not `impl Trait`",
            );
        }
    }
    Ok(())
}

fn param(index: usize, arg: &FnArg) -> syn::Result<Param> {
    let FnArg::Typed(arg) = arg else {
        unreachable!("methods are rejected first")
    };
    let name = match &*arg.pat {
        Pat::Ident(p) => p.ident.unraw().to_string(),
        _ => format!("arg{}", index + 1),
    };
    let ty = &*arg.ty;
    Ok(match bytes_kind(ty) {
        Some(Bytes::Vec) => Param {
            name,
            lift: syn::parse_quote!(::virgil::ByteBuf),
            convert: |v| quote!(#v.into_vec()),
            abi: quote!(::virgil::Ty::Bytes),
        },
        Some(Bytes::Boxed) => Param {
            name,
            lift: syn::parse_quote!(::virgil::ByteBuf),
            convert: |v| quote!(#v.into_vec().into_boxed_slice()),
            abi: quote!(::virgil::Ty::Bytes),
        },
        Some(Bytes::Slice) => Param {
            name,
            lift: syn::parse_quote!(&::virgil::Bytes),
            convert: |v| quote!(#v as &[u8]),
            abi: quote!(::virgil::Ty::Bytes),
        },
        None => {
            let constant = with_lifetimes(ty, "'static");
            Param {
                name,
                lift: with_lifetimes(ty, "'_"),
                convert: |v| v,
                abi: quote_spanned!(ty.span()=> <#constant as ::virgil::AbiType>::TYPE),
            }
        }
    })
}

/// The result's type in the vocabulary, and how the function's return value becomes a reply.
/// Byte strings, bare or as the `Ok` of a `Result`, go through `serde_bytes`.
fn result(output: &ReturnType) -> (TokenStream, fn(TokenStream) -> TokenStream) {
    let ReturnType::Type(_, ty) = output else {
        return (quote!(::virgil::Ty::Nil), |call| call);
    };
    if let Some(kind) = bytes_kind(ty) {
        return (quote!(::virgil::Ty::Bytes), bytes_wrapper(kind));
    }
    if let Some(ok) = generic_of(ty, "Result")
        && let Some(kind) = bytes_kind(ok)
    {
        let wrap: fn(TokenStream) -> TokenStream = match kind {
            Bytes::Vec => |call| quote!((#call).map(::virgil::ByteBuf::from)),
            Bytes::Boxed => |call| quote!((#call).map(|b| ::virgil::ByteBuf::from(b.into_vec()))),
            Bytes::Slice => |call| quote!((#call).map(::virgil::Bytes::new)),
        };
        return (quote!(::virgil::Ty::Bytes), wrap);
    }
    let constant = with_lifetimes(ty, "'static");
    (
        quote_spanned!(ty.span()=> <#constant as ::virgil::IntoReply>::RESULT),
        |call| call,
    )
}

fn bytes_wrapper(kind: Bytes) -> fn(TokenStream) -> TokenStream {
    match kind {
        Bytes::Vec => |call| quote!(::virgil::ByteBuf::from(#call)),
        Bytes::Boxed => |call| quote!(::virgil::ByteBuf::from((#call).into_vec())),
        Bytes::Slice => |call| quote!(::virgil::Bytes::new(#call)),
    }
}

/// The doc comment, as rustdoc reads it: one leading space per line removed, trimmed.
pub fn doc_comment(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').map(str::to_owned).unwrap_or(line))
        .collect();
    lines.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn doc_comments() {
        let f: ItemFn = parse_quote! {
            /// add returns a + b.
            ///
            ///  Indented.
            fn add() {}
        };
        assert_eq!(doc_comment(&f.attrs), "add returns a + b.\n\n Indented.");
    }

    #[test]
    fn rejects_what_cannot_cross() {
        let cases: Vec<ItemFn> = vec![
            parse_quote!(
                async fn f() {}
            ),
            parse_quote!(
                fn f<T>(x: T) {}
            ),
            parse_quote!(
                fn f(&self) {}
            ),
            parse_quote!(
                extern "C" fn f() {}
            ),
            parse_quote!(
                fn f(x: impl Into<u8>) {}
            ),
        ];
        for f in cases {
            assert!(check_signature(&f).is_err());
        }
        assert!(
            check_signature(&parse_quote!(
                fn f<'a>(x: &'a str) -> &'a str {
                    x
                }
            ))
            .is_ok()
        );
    }

    #[test]
    fn parameter_names() {
        let f: ItemFn = parse_quote!(
            fn f(r#type: i64, (a, b): (i64, i64), _c: &[u8]) {}
        );
        let names: Vec<String> = f
            .sig
            .inputs
            .iter()
            .enumerate()
            .map(|(i, a)| param(i, a).unwrap().name)
            .collect();
        assert_eq!(names, ["type", "arg2", "_c"]);
    }
}
