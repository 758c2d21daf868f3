//! Code generation, reading only the model.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{Ident, Member, Path};

use crate::ast::{Container, Data, Field, Style, Variant, option_inner};
use crate::attr::StrategyKind;
use crate::bound::recursive;
use crate::respan::respan;
use crate::strategy::{by_key_args, by_key_call, strategy_fn, with_closure};

pub fn krate(cont: &Container<'_>) -> Path {
    cont.attrs
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::conjungo))
}

/// `item` (a generated impl) inside `const _: () = { … };`, as serde_derive places its
/// impls: the helper traits it uses are imported there and leak nowhere.
pub fn hidden_const(krate: &Path, item: TokenStream) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
        const _: () = {
            #[allow(unused_imports)]
            use #krate::__private::{ViaClone as _, ViaHash as _, ViaNothing as _, ViaScan as _};

            #item
        };
    }
}

/// How one field is read on each side.
struct Access {
    /// The target place (an lvalue expression or a `&mut` binding).
    target: TokenStream,
    /// The source binding (by value in apply, by reference in check).
    source: TokenStream,
    /// True when `target` / `source` are already references (enum bindings).
    by_ref: bool,
}

/// `call?`, with errors prefixed by the field's JSON Pointer segment (the serde name, the
/// index of a tuple field, or nothing for the one field of a newtype, which serde writes
/// as its inside) and then by `prefix` (an enum variant's segment).
fn propagate(field: &Field<'_>, call: TokenStream, prefix: &TokenStream) -> TokenStream {
    let at = match (&field.member, field.newtype) {
        (_, true) => TokenStream::new(),
        (Member::Named(_), false) => {
            let name = &field.name;
            quote!(.at_key(#name))
        }
        (Member::Unnamed(index), false) => {
            let i = index.index as usize;
            quote!(.at_index(#i))
        }
    };
    if at.is_empty() && prefix.is_empty() {
        quote!(#call?;)
    } else {
        quote!(#call.map_err(|__e| __e #at #prefix)?;)
    }
}

struct Gen<'c> {
    krate: Path,
    cont: &'c Container<'c>,
}

impl Gen<'_> {
    /// The check-pass statement of one field, or nothing.
    fn check_field(&self, field: &Field<'_>, access: &Access, prefix: &TokenStream) -> TokenStream {
        let krate = &self.krate;
        let (t, s) = (&access.target, &access.source);
        let (t, s) = if access.by_ref {
            (quote!(#t), quote!(#s))
        } else {
            (quote!(&#t), quote!(&#s))
        };
        let call = match field.strategy.as_ref().map(|s| (&s.kind, s.span)) {
            None => quote!(__cx.merge(#t, #s)),
            Some((StrategyKind::ByKey(key), span)) => {
                let method = if option_inner(field.ty).is_some() {
                    "check_option"
                } else {
                    "check"
                };
                let (_, by) = by_key_args(field.ty, key, krate, span);
                by_key_call(&by, method, span, quote!(#t, #s, __cx))
            }
            Some((StrategyKind::With(path), span)) => {
                let closure = with_closure(field.ty, path, span, krate);
                quote!({
                    let __f = #closure;
                    __cx.custom(
                        #t,
                        (&#krate::__private::Probe(#t)).__conjungo_try_clone(),
                        (&#krate::__private::Probe(#s)).__conjungo_try_clone(),
                        #krate::CustomFn::new(&__f),
                    )
                })
            }
            Some((StrategyKind::Immutable, span)) => {
                let f = if option_inner(field.ty).is_some() {
                    respan(quote!(#krate::__private::immutable_check_option), span)
                } else {
                    respan(quote!(#krate::__private::immutable_check), span)
                };
                quote!(#f(#t, #s))
            }
            Some(_) => return TokenStream::new(),
        };
        // A field that leads back to this type: each level counts against the depth
        // limit, so that deep (or hostile) recursion is an error, not a stack overflow.
        let call = if self.recursive(field) {
            quote!(__cx.nested(|__cx| #call))
        } else {
            call
        };
        propagate(field, call, prefix)
    }

    /// Whether a field's type names the container itself (directly or through `Self`).
    fn recursive(&self, field: &Field<'_>) -> bool {
        recursive(self.cont, field.ty)
    }

    /// The apply-pass statement of one field.
    fn apply_field(&self, field: &Field<'_>, access: &Access, prefix: &TokenStream) -> TokenStream {
        let krate = &self.krate;
        let (t, s) = (&access.target, &access.source);
        let t = if access.by_ref {
            quote!(#t)
        } else {
            quote!(&mut #t)
        };
        let through_option = option_inner(field.ty).is_some();
        let call = match field.strategy.as_ref() {
            None => quote!(__cx.merge(#t, #s)),
            Some(strategy) => match (&strategy.kind, strategy_fn(strategy, field.ty, krate)) {
                (_, Some(f)) if through_option => {
                    quote!(#krate::__private::through_option(#t, #s, __cx.options(), #f))
                }
                (_, Some(f)) => quote_spanned!(strategy.span=> #f(#t, #s, __cx.options())),
                (StrategyKind::ByKey(key), None) => {
                    let method = if through_option {
                        "apply_option"
                    } else {
                        "apply"
                    };
                    let (_, by) = by_key_args(field.ty, key, krate, strategy.span);
                    by_key_call(&by, method, strategy.span, quote!(#t, #s, __cx))
                }
                (StrategyKind::With(path), None) => {
                    let closure = with_closure(field.ty, path, strategy.span, krate);
                    quote!({
                        let __f = #closure;
                        __cx.custom(#t, #s, #krate::CustomFn::new(&__f))
                    })
                }
                // `skip`, `version`: not merged.
                (_, None) => return TokenStream::new(),
            },
        };
        propagate(field, call, prefix)
    }

    /// `NEEDS_CHECK` of one field: whether its check can fail with no custom function.
    ///
    /// A field whose type names the container itself (`children: HashMap<String, Self>`)
    /// adds nothing the other fields do not (and asking would be a cycle), so it counts
    /// as `false`.
    fn fallible(&self, field: &Field<'_>) -> TokenStream {
        let krate = &self.krate;
        let ty = field.ty;
        match field.strategy.as_ref().map(|s| &s.kind) {
            // Recursion: asking the field's type would be a cycle, and the depth must be
            // counted anyway (see `check_field`).
            None if self.recursive(field) => quote!(true),
            None => quote!(<#ty as #krate::Merge>::NEEDS_CHECK),
            // `by_key` refuses duplicate keys in the check pass, `immutable` changes.
            Some(StrategyKind::With(_) | StrategyKind::ByKey(_) | StrategyKind::Immutable) => {
                quote!(true)
            }
            Some(_) => quote!(false),
        }
    }
}

fn bindings(fields: &[Field<'_>], prefix: &str) -> Vec<Ident> {
    (0..fields.len())
        .map(|i| format_ident!("__{}{}", prefix, i))
        .collect()
}

/// A pattern binding every field of a struct or variant to `names` (`_` for skipped
/// fields when `skip_skipped`).
fn pattern(
    path: TokenStream,
    style: Style,
    fields: &[Field<'_>],
    names: &[Ident],
    skip_skipped: bool,
) -> TokenStream {
    let bind = |f: &Field<'_>, n: &Ident| {
        if skip_skipped && f.is_skipped() {
            quote!(_)
        } else {
            quote!(#n)
        }
    };
    match style {
        Style::Unit => path,
        Style::Tuple => {
            let items = fields.iter().zip(names).map(|(f, n)| bind(f, n));
            quote!(#path(#(#items),*))
        }
        Style::Named => {
            let items = fields.iter().zip(names).map(|(f, n)| {
                let m = &f.member;
                let b = bind(f, n);
                quote!(#m: #b)
            });
            quote!(#path { #(#items),* })
        }
    }
}

pub fn expand(cont: &Container<'_>) -> TokenStream {
    let g = Gen {
        krate: krate(cont),
        cont,
    };
    let krate = &g.krate;
    let ident = cont.ident;
    let ok = quote!(::core::result::Result::Ok(()));
    let result = quote!(::core::result::Result<(), #krate::Error>);

    let has_lifetimes = cont.generics.lifetimes().next().is_some();

    let generics = crate::bound::with_bounds(cont, krate);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();

    let (fallible, check_body, apply_body) = if cont.attrs.replace.is_some() {
        (
            quote!(false),
            quote!(#ok),
            quote! {
                if __cx.options().overwrite {
                    *self = __source;
                }
                #ok
            },
        )
    } else {
        match &cont.data {
            Data::Struct(style, fields) => expand_struct(&g, *style, fields),
            Data::Enum(variants) => expand_enum(&g, variants),
        }
    };

    // Structs of atomic values: `merge`/`merge_with` take the moves directly, and the
    // general path (check pass, custom functions) stays out of line.
    let entry = match &cont.data {
        Data::Struct(style, fields) if cont.attrs.replace.is_none() => {
            let fast = fast_moves(&g, *style, fields, &quote!(__source), &quote!(__options));
            if fast.is_empty() {
                TokenStream::new()
            } else {
                // The default options are known when compiling: no custom function, and
                // the overwrite switch a constant, so `merge` compiles to the moves alone.
                let default = fast_moves(
                    &g,
                    *style,
                    fields,
                    &quote!(__source),
                    &quote!(#krate::__private::DEFAULT_OPTIONS),
                );
                quote! {
                    #[inline]
                    fn merge(&mut self, __source: Self) -> #result {
                        #default
                        #krate::__private::merge_out_of_line(self, __source, #krate::__private::default_options())
                    }

                    #[inline]
                    fn merge_with(&mut self, __source: Self, __options: &#krate::Options) -> #result {
                        #fast
                        #krate::__private::merge_out_of_line(self, __source, __options)
                    }
                }
            }
        }
        _ => TokenStream::new(),
    };

    let hooks = if has_lifetimes {
        TokenStream::new()
    } else {
        quote! {
            #[inline]
            fn custom_fn(
                __options: &#krate::Options,
            ) -> ::core::option::Option<#krate::CustomFn<'_, Self>> {
                __options.type_fn::<Self>()
            }

            #[inline]
            fn try_clone(&self) -> ::core::option::Option<Self> {
                #[allow(unused_imports)]
                use #krate::__private::{ViaClone as _, ViaNothing as _};
                (&#krate::__private::Probe(self)).__conjungo_try_clone()
            }
        }
    };

    let item = quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Merge for #ident #ty_generics #where_clause {
            const NEEDS_CHECK: bool = #fallible;

            #[allow(unused_variables)]
            fn check(&self, __source: &Self, __cx: &mut #krate::Check<'_>) -> #result {
                #check_body
            }

            #[allow(unused_variables)]
            #[inline]
            fn apply(&mut self, __source: Self, __cx: &mut #krate::Apply<'_>) -> #result {
                #apply_body
            }

            #hooks

            #entry
        }
    };
    hidden_const(krate, item)
}

fn expand_struct(
    g: &Gen<'_>,
    style: Style,
    fields: &[Field<'_>],
) -> (TokenStream, TokenStream, TokenStream) {
    let ok = quote!(::core::result::Result::Ok(()));
    let fallible = fields.iter().map(|f| g.fallible(f));
    let fallible = quote!(false #(|| #fallible)*);
    let none = TokenStream::new();

    let checks = fields.iter().map(|f| {
        let m = &f.member;
        let access = Access {
            target: quote!(self.#m),
            source: quote!(__source.#m),
            by_ref: false,
        };
        g.check_field(f, &access, &none)
    });
    let check_body = quote! {
        #(#checks)*
        #ok
    };

    let names = bindings(fields, "s");
    let destructure = if style == Style::Unit || fields.is_empty() {
        TokenStream::new()
    } else {
        let pat = pattern(quote!(Self), style, fields, &names, true);
        quote!(let #pat = __source;)
    };
    let applies = fields.iter().zip(&names).map(|(f, n)| {
        let m = &f.member;
        let access = Access {
            target: quote!(self.#m),
            source: quote!(#n),
            by_ref: false,
        };
        g.apply_field(f, &access, &none)
    });
    let fast = fast_moves(g, style, fields, &quote!(__source), &quote!(__cx.options()));
    let apply_body = quote! {
        #fast
        #destructure
        #(#applies)*
        #ok
    };
    (fallible, check_body, apply_body)
}

/// When every field of a struct is an atomic value (or an `Option` of one) on the default
/// path and no custom function is registered, its merge is a sequence of moves under one
/// read of the overwrite switch, as hand-written code would be: this block does it and
/// returns, else falls through (empty when the struct is not made of such fields).
fn fast_moves(
    g: &Gen<'_>,
    style: Style,
    fields: &[Field<'_>],
    source: &TokenStream,
    options: &TokenStream,
) -> TokenStream {
    let krate = &g.krate;
    let merged: Vec<&Field<'_>> = fields.iter().filter(|f| !f.is_skipped()).collect();
    if merged.is_empty()
        || !merged
            .iter()
            .all(|f| f.strategy.is_none() && !g.recursive(f))
    {
        return TokenStream::new();
    }
    let names = bindings(fields, "f");
    let pat = pattern(quote!(Self), style, fields, &names, true);
    let consts = merged.iter().map(|f| {
        let ty = f.ty;
        quote!(<#ty as #krate::Merge>::__CONJUNGO_FAST)
    });
    let moves = fields
        .iter()
        .zip(&names)
        .filter(|(f, _)| !f.is_skipped())
        .map(|(f, n)| {
            let m = &f.member;
            quote!(#krate::Merge::__conjungo_fast(&mut self.#m, #n, __overwrite);)
        });
    quote! {
        if (true #(&& #consts)*) && !(#options).has_custom() {
            let __overwrite = (#options).overwrite;
            let #pat = #source;
            #(#moves)*
            return ::core::result::Result::Ok(());
        }
    }
}

fn expand_enum(g: &Gen<'_>, variants: &[Variant<'_>]) -> (TokenStream, TokenStream, TokenStream) {
    let ok = quote!(::core::result::Result::Ok(()));
    let all: Vec<&Field<'_>> = variants.iter().flat_map(|v| &v.fields).collect();
    let fallible = all.iter().map(|f| g.fallible(f));
    let fallible = quote!(false #(|| #fallible)*);

    let mut check_arms = Vec::new();
    let mut apply_arms = Vec::new();
    for variant in variants {
        let vident = variant.ident;
        let vname = &variant.name;
        let prefix = quote!(.at_key(#vname));
        let tnames = bindings(&variant.fields, "t");
        let snames = bindings(&variant.fields, "s");
        let [tpat, spat] = [&tnames, &snames].map(|names| {
            pattern(
                quote!(Self::#vident),
                variant.style,
                &variant.fields,
                names,
                true,
            )
        });

        // Enum fields are bound by reference on both sides.
        let accesses: Vec<Access> = tnames
            .iter()
            .zip(&snames)
            .map(|(t, s)| Access {
                target: quote!(#t),
                source: quote!(#s),
                by_ref: true,
            })
            .collect();
        // The arm of this variant pair, with `field` for each field.
        let arm = |field: &dyn Fn(&Field<'_>, &Access) -> TokenStream| {
            let fields = variant
                .fields
                .iter()
                .zip(&accesses)
                .map(|(f, a)| field(f, a));
            quote!((#tpat, #spat) => { #(#fields)* })
        };
        check_arms.push(arm(&|f, access| g.check_field(f, access, &prefix)));
        apply_arms.push(arm(&|f, access| g.apply_field(f, access, &prefix)));
    }

    let check_body = quote! {
        #[allow(unreachable_patterns)]
        match (self, __source) {
            #(#check_arms)*
            _ => {}
        }
        #ok
    };
    let apply_body = quote! {
        if ::core::mem::discriminant(self) != ::core::mem::discriminant(&__source) {
            if __cx.options().overwrite {
                *self = __source;
            }
            return #ok;
        }
        #[allow(unreachable_patterns)]
        match (self, __source) {
            #(#apply_arms)*
            _ => {}
        }
        #ok
    };
    (fallible, check_body, apply_body)
}
