//! `#[derive(Merge)]` for [conjungo](https://docs.rs/conjungo). Use it through
//! `conjungo::Merge` (feature `derive`, on by default). The attribute reference, with
//! examples, is conjungo's
//! [`attributes`](https://docs.rs/conjungo/latest/conjungo/attributes/index.html) page.

mod ast;
mod attr;
mod bound;
mod ctxt;
mod expand;
mod fallback;
mod patch;
mod respan;
mod strategy;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derive `conjungo::Merge` (and, with `#[merge(patch)]`, a patch type). Every attribute,
/// with examples: conjungo's
/// [`attributes`](https://docs.rs/conjungo/latest/conjungo/attributes/index.html) page.
#[proc_macro_derive(Merge, attributes(merge))]
pub fn derive_merge(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input).into()
}

fn derive(input: &DeriveInput) -> proc_macro2::TokenStream {
    let cx = ctxt::Ctxt::default();
    let cont = ast::from_ast(&cx, input);
    if let Some(cont) = &cont {
        valid::check(&cx, cont);
    }
    match (cx.check(), cont) {
        (Ok(()), Some(cont)) => {
            let mut tokens = expand::expand(&cont);
            tokens.extend(patch::expand(&cont, &expand::krate(&cont)));
            tokens
        }
        (result, cont) => {
            let mut tokens = result
                .err()
                .map(|e| e.to_compile_error())
                .unwrap_or_default();
            if !matches!(input.data, syn::Data::Union(_)) {
                let krate = cont
                    .as_ref()
                    .map(expand::krate)
                    .unwrap_or_else(|| syn::parse_quote!(::conjungo));
                tokens.extend(fallback::fallback(&input.ident, &input.generics, &krate));
            }
            tokens
        }
    }
}
