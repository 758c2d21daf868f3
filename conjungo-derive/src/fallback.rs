//! What is emitted for an input with errors.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, Path};

/// What is emitted when the input has errors: the errors, plus an impl that keeps call
/// sites from piling up errors of their own.
pub fn fallback(cont_ident: &Ident, generics: &syn::Generics, krate: &Path) -> TokenStream {
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::Merge for #cont_ident #ty_generics #where_clause {
                fn apply(
                    &mut self,
                    _: Self,
                    _: &mut #krate::Apply<'_>,
                ) -> ::core::result::Result<(), #krate::Error> {
                    ::core::unreachable!()
                }
            }
        };
    }
}
