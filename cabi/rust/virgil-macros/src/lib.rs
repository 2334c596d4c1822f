//! The procedural macros of the `virgil` crate. Use them through `virgil`
//! (`#[virgil::export]`, `#[virgil::exception]`, `#[derive(virgil::AbiType)]`), which documents
//! them; the expansions refer to `::virgil`.

use proc_macro::TokenStream;

mod abi_type;
mod exception;
mod export;
mod types;

/// Exports a function under the Virgil ABI. See `virgil::export`.
#[proc_macro_attribute]
pub fn export(attr: TokenStream, item: TokenStream) -> TokenStream {
    export::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Names and registers an error type. See `virgil::exception`.
#[proc_macro_attribute]
pub fn exception(attr: TokenStream, item: TokenStream) -> TokenStream {
    exception::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `virgil::AbiType`. See `virgil::AbiType`.
#[proc_macro_derive(AbiType, attributes(serde))]
pub fn derive_abi_type(input: TokenStream) -> TokenStream {
    abi_type::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
