//! The field strategies' code: the table of strategy functions and the helpers of the
//! strategies with rules of their own (`with`, `by_key`, `union`), shared by the `Merge`
//! impl and the patch type.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Ident, Member, Path, Type};

use crate::ast::option_inner;
use crate::attr::{Strategy, StrategyKind};
use crate::respan::respan;

/// The closure that calls a `with = path` function, the call spanned on the user's path so
/// that a wrong signature is reported there.
pub fn with_closure(ty: &Type, path: &Path, span: Span, krate: &Path) -> TokenStream {
    let call = quote_spanned!(span=> #path(__t, __s, __o));
    quote!(|__t: &mut #ty, __s: #ty, __o: &#krate::Options| #call)
}

/// The sequence type of a strategy field (`Vec<T>`, or the inside of `Option<Vec<T>>`).
pub fn seq_type(ty: &Type) -> &Type {
    option_inner(ty).unwrap_or(ty)
}

/// The key of an item of a `by_key` list (`|item| &item.key`), and the list's passes
/// (`__private::ByKey`) with the hash function the probe finds for the key type (`None`:
/// the key is not `Hash + Eq`). The item type is spanned at the attribute (`span`): a
/// field that is no sequence is reported there.
pub fn by_key_args(
    ty: &Type,
    key: &Member,
    krate: &Path,
    span: Span,
) -> (TokenStream, TokenStream) {
    let seq = seq_type(ty);
    let item = respan(quote!(<#seq as #krate::strategy::seq::Seq>::Item), span);
    let key_fn = quote!(|__item: &#item| &__item.#key);
    let hash = quote!((&#krate::__private::key_probe(#key_fn)).__conjungo_hash());
    (
        key_fn.clone(),
        quote!(#krate::__private::ByKey::new(#key_fn, #hash)),
    )
}

/// A call of the method `method` of a `by_key` list's passes (`by`), its name spanned on
/// the attribute so that a type error lands there.
pub fn by_key_call(by: &TokenStream, method: &str, span: Span, args: TokenStream) -> TokenStream {
    let method = Ident::new(method, span);
    quote!(#by.#method(#args))
}

/// The `#[merge(union)]` function of a field: hashed when the items are `Hash + Eq`.
pub fn union_fn(ty: &Type, krate: &Path) -> TokenStream {
    let seq = seq_type(ty);
    quote!(#krate::__private::union_with::<#seq>(
        (&#krate::__private::HashProbe::<<#seq as #krate::strategy::seq::Seq>::Item>::NEW)
            .__conjungo_hash()
    ))
}

/// The one table of the strategies whose rule is a function of `conjungo::strategy`
/// (`skip`, `version`, `by_key` and `with` have rules of their own, and return `None`):
/// the function's path, spanned at the attribute so that a field type the function does
/// not take is reported there, in the `Merge` impl and in the patch type alike.
pub fn strategy_fn(strategy: &Strategy, ty: &Type, krate: &Path) -> Option<TokenStream> {
    let f = match &strategy.kind {
        StrategyKind::Replace => quote!(#krate::strategy::replace),
        StrategyKind::Atomic => quote!(#krate::strategy::overwrite),
        StrategyKind::Immutable => quote!(#krate::strategy::immutable),
        StrategyKind::Keep => quote!(#krate::strategy::keep),
        StrategyKind::Append => quote!(#krate::strategy::seq::append),
        StrategyKind::Prepend => quote!(#krate::strategy::seq::prepend),
        StrategyKind::Union => union_fn(ty, krate),
        StrategyKind::Skip
        | StrategyKind::Version
        | StrategyKind::ByKey(_)
        | StrategyKind::With(_) => return None,
    };
    Some(respan(f, strategy.span))
}
