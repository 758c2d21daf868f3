//! Respanning: generated tokens that should be reported at the user's attribute.

use proc_macro2::{Span, TokenStream};

/// The same tokens with every span set to `span`, so that errors about them (a strategy
/// function whose bounds do not hold) land on the user's attribute.
pub fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = proc_macro2::TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}
