//! `#[merge(patch)]`: the generated `<Name>Patch` type and its `Patchable` impl.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Path};

use crate::ast::{Container, Data, Field, SerdeDefault, Style, option_inner};
use crate::attr::StrategyKind;
use crate::bound::recursive;
use crate::expand::hidden_const;
use crate::respan::respan;
use crate::strategy::{by_key_args, by_key_call, strategy_fn, with_closure};

fn path_string(krate: &Path, rest: &str) -> String {
    let base: String = quote!(#krate).to_string().split_whitespace().collect();
    format!("{base}{rest}")
}

struct FieldGen<'f> {
    field: &'f Field<'f>,
    ident: Ident,
    /// The patch binding in `apply_patch` / `build`.
    binding: Ident,
    is_option: bool,
    inner: &'f syn::Type,
    /// Patched as a whole value: a strategy, or serde's own `with` (conjungo cannot look
    /// inside a value serde reads and writes through a function).
    whole: bool,
    /// serde reads or writes the field through functions.
    custom_serde: bool,
    /// `#[serde(flatten)]`: a struct whose fields are this one's (see `flattened`).
    flatten: bool,
}

impl FieldGen<'_> {
    fn is_immutable(&self) -> bool {
        matches!(
            self.field.strategy.as_ref().map(|s| &s.kind),
            Some(StrategyKind::Immutable)
        )
    }
}

/// Enums, tuple structs (newtypes) and `#[merge(replace)]` types without `#[merge(patch)]`
/// patch as whole values: a body sets them as serde reads them. The bounds are written
/// with a higher-ranked lifetime so that they are checked where the impl is used, not
/// here: a type that is not `Deserialize` simply has no patch form.
fn whole_value(cont: &Container<'_>, krate: &Path) -> TokenStream {
    let whole = match &cont.data {
        Data::Enum(_) => true,
        Data::Struct(style, _) => *style == Style::Tuple || cont.attrs.replace.is_some(),
    };
    if !whole {
        return TokenStream::new();
    }
    let ident = cont.ident;
    let (impl_generics, ty_generics, where_clause) = cont.generics.split_for_impl();
    let preds = where_clause.map(|w| &w.predicates);
    let ok = quote!(::core::result::Result::Ok(()));
    let result = quote!(::core::result::Result<(), #krate::Error>);
    quote! {
        #[doc(hidden)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::patch::Patchable for #ident #ty_generics
            where
                #preds
                for<'__conjungo> #ident #ty_generics: #krate::__private::serde::de::DeserializeOwned
                    + #krate::__private::serde::Serialize
                    + ::core::cmp::PartialEq
                    + ::core::clone::Clone,
            {
                type Patch = Self;

                fn check_patch(&self, __patch: &Self, __cx: &mut #krate::Check<'_>) -> #result {
                    #krate::__private::storable(__patch, __cx)
                }

                fn apply_patch(&mut self, __patch: Self, __cx: &mut #krate::Apply<'_>) -> #result {
                    #krate::__private::replace_leaf(self, __patch, __cx);
                    #ok
                }

                fn check_build(__patch: &Self, __cx: &mut #krate::Check<'_>) -> #result {
                    #krate::__private::storable(__patch, __cx)
                }

                fn build(__patch: Self) -> ::core::result::Result<Self, #krate::Error> {
                    ::core::result::Result::Ok(__patch)
                }

                fn __conjungo_diff(&self, __new: &Self) -> ::core::option::Option<Self> {
                    (self != __new).then(|| ::core::clone::Clone::clone(__new))
                }

                fn __conjungo_full(&self) -> ::core::option::Option<Self> {
                    ::core::option::Option::Some(::core::clone::Clone::clone(self))
                }
            }
        };
    }
}

pub fn expand(cont: &Container<'_>, krate: &Path) -> TokenStream {
    let Some((_, name)) = &cont.attrs.patch else {
        return whole_value(cont, krate);
    };
    let Data::Struct(_, fields) = &cont.data else {
        return TokenStream::new();
    };
    let ident = cont.ident;
    let patch_ident = name
        .clone()
        .unwrap_or_else(|| format_ident!("{}Patch", ident));
    let vis = &cont.vis;
    let serde_crate = path_string(krate, "::__private::serde");
    let is_absent = path_string(krate, "::Patch::is_absent");
    let required = path_string(krate, "::__private::required");
    let protected = path_string(krate, "::__private::protected");
    let ok = quote!(::core::result::Result::Ok(()));
    let result = quote!(::core::result::Result<(), #krate::Error>);

    let all: Vec<FieldGen<'_>> = fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let ident = match &field.member {
                syn::Member::Named(ident) => ident.clone(),
                syn::Member::Unnamed(_) => format_ident!("__field{}", i),
            };
            FieldGen {
                field,
                binding: format_ident!("__p{}", i),
                is_option: option_inner(field.ty).is_some(),
                inner: option_inner(field.ty).unwrap_or(field.ty),
                whole: field.strategy.is_some()
                    || field.serialize_with.is_some()
                    || field.deserialize_with.is_some(),
                custom_serde: field.serialize_with.is_some() || field.deserialize_with.is_some(),
                flatten: field.serde_flatten,
                ident,
            }
        })
        .collect();
    let (protected_fields, open): (Vec<&FieldGen<'_>>, Vec<&FieldGen<'_>>) = all
        .iter()
        .partition(|f| f.field.is_skipped() || f.field.serde_skip);
    // Flattened structs: their patch types are read from this one's members.
    let (flat, open): (Vec<&FieldGen<'_>>, Vec<&FieldGen<'_>>) =
        open.into_iter().partition(|f| f.flatten);
    let flat = Flattened {
        fields: &flat,
        krate,
    };

    // The patch struct.
    let patch_fields = open.iter().map(|f| {
        let de_name = &f.field.de_name;
        let fident = &f.ident;
        let form = form(f, krate);
        let with = if f.field.deserialize_with.is_some() {
            let de = with_fn_name("de", &patch_ident, f).to_string();
            quote!(, deserialize_with = #de)
        } else if f.is_option {
            quote!()
        } else {
            quote!(, deserialize_with = #required)
        };
        // Written back the way it is read: through the field's own `serialize_with`.
        let with = if f.field.serialize_with.is_some() {
            let ser = with_fn_name("ser", &patch_ident, f).to_string();
            quote!(#with, serialize_with = #ser)
        } else {
            with
        };
        let doc = format!("The patch of `{}`.", f.field.name);
        let aliases = &f.field.aliases;
        quote! {
            #[doc = #doc]
            #[serde(rename = #de_name, #(alias = #aliases,)* default, skip_serializing_if = #is_absent #with)]
            pub #fident: #krate::Patch<#form>,
        }
    });
    let hidden_fields = protected_fields.iter().map(|f| {
        let de_name = &f.field.de_name;
        let hidden = format_ident!("__conjungo_protected_{}", f.ident);
        quote! {
            #[doc(hidden)]
            #[serde(rename = #de_name, default, skip_serializing, deserialize_with = #protected)]
            pub #hidden: #krate::__private::Protected,
        }
    });
    let doc = format!(
        "A patch of [`{ident}`], generated by `#[merge(patch)]`: each field is \
         absent, `null` or set. Read one from an untrusted body with `conjungo::patch::parse`."
    );
    let with_fns = WithFns {
        patch_ident: &patch_ident,
        krate,
        vis,
    };
    let de_fns = open
        .iter()
        .filter_map(|f| with_fns.de(f))
        .chain(open.iter().filter_map(|f| with_fns.ser(f)));

    let flat_fields = flat.patch_fields();

    // check_patch
    let checks = open.iter().map(|f| check_field(f, krate));
    let flat_checks = flat.checks();
    // apply_patch
    let bind_fields = open.iter().map(|f| {
        let (fident, b) = (&f.ident, &f.binding);
        quote!(#fident: #b)
    });
    let bind_fields2 = open.iter().map(|f| {
        let (fident, b) = (&f.ident, &f.binding);
        quote!(#fident: #b)
    });
    // Fields are patched in the order of their serde names: their changes are then
    // recorded in the order of their paths, which the update takes without a sort.
    let mut by_name: Vec<&FieldGen<'_>> = open.to_vec();
    by_name.sort_by(|a, b| a.field.name.cmp(&b.field.name));
    let applies = by_name.into_iter().map(|f| apply_field(f, krate));
    let flat_applies = flat.applies();
    let flat_binds = flat.bindings();
    let apply_fields = quote! {
        let #patch_ident { #(#bind_fields,)* #flat_binds .. } = __patch;
        #(#applies)*
        #flat_applies
        #ok
    };
    // A container serde stores as something else than its fields: its changes are one
    // replacement of the whole value (its fields' places name nothing stored).
    let (apply_body, stored_whole) = if cont.serde_stored_whole {
        (
            quote!(#krate::__private::stored_whole(__cx, |__cx| { #apply_fields })),
            quote!(
                const __CONJUNGO_STORED_WHOLE: bool = true;
            ),
        )
    } else {
        (apply_fields, quote!())
    };
    // check_build / build
    let container_default = !cont.serde_default.is_none();
    let build_checks = open
        .iter()
        .map(|f| build_check_field(f, krate, container_default));
    let builds = all.iter().map(|f| {
        if f.flatten {
            flat.build(f)
        } else {
            build_field(f, krate, container_default)
        }
    });
    let flat_build_checks = flat.build_checks();
    // A struct serde stores as its fields may be flattened into another patch type.
    let flattens = if cont.serde_stored_whole {
        quote!()
    } else {
        quote!(
            const __CONJUNGO_FLATTENS: bool = true;
        )
    };
    let default_value = match &cont.serde_default {
        SerdeDefault::None => quote!(),
        SerdeDefault::Default => {
            quote!(let __container_default: Self = ::core::default::Default::default();)
        }
        SerdeDefault::Path(path) => quote!(let __container_default: Self = #path();),
    };

    let validation = validation(cont, &open, &flat, krate);
    let (version, version_assert) = version_hooks(&all, &flat, krate);
    let diff = diff_hooks(&open, &flat, &patch_ident, krate);
    let schema = schema(cont, &patch_ident, &open, &flat, krate);

    let flat_asserts = flat.asserts();
    let item = quote! {
        #flat_asserts
        #version_assert

        #[automatically_derived]
        impl #krate::patch::Patchable for #ident {
            type Patch = #patch_ident;

            #[allow(unused_variables)]
            fn check_patch(&self, __patch: &#patch_ident, __cx: &mut #krate::Check<'_>) -> #result {
                #(#checks)*
                #flat_checks
                #ok
            }

            #[allow(unused_variables)]
            fn apply_patch(&mut self, __patch: #patch_ident, __cx: &mut #krate::Apply<'_>) -> #result {
                #apply_body
            }

            #stored_whole

            #flattens

            #[allow(unused_variables, unused_mut)]
            fn check_build(__patch: &#patch_ident, __cx: &mut #krate::Check<'_>) -> #result {
                let mut __missing: ::std::vec::Vec<::std::string::String> = ::std::vec::Vec::new();
                #(#build_checks)*
                #flat_build_checks
                if !__missing.is_empty() {
                    return ::core::result::Result::Err(#krate::Error::new(
                        #krate::ErrorKind::MissingFields { fields: __missing },
                    ));
                }
                #ok
            }

            #[allow(unused_variables)]
            fn build(__patch: #patch_ident) -> ::core::result::Result<Self, #krate::Error> {
                #krate::__private::check_build::<Self>(&__patch)?;
                let #patch_ident { #(#bind_fields2,)* #flat_binds .. } = __patch;
                #default_value
                ::core::result::Result::Ok(Self { #(#builds)* })
            }

            #validation

            #version

            #diff
        }
    };
    let wrapped = hidden_const(krate, item);
    quote! {
        #[doc = #doc]
        #[derive(
            ::core::default::Default,
            ::core::fmt::Debug,
            ::core::clone::Clone,
            ::core::cmp::PartialEq,
            #krate::__private::serde::Deserialize,
            #krate::__private::serde::Serialize,
        )]
        #[serde(crate = #serde_crate, deny_unknown_fields)]
        #vis struct #patch_ident {
            #(#patch_fields)*
            #flat_fields
            #(#hidden_fields)*
        }

        #(#de_fns)*

        #schema

        #wrapped
    }
}

/// `schemars::JsonSchema` for the patch type, kept by `conjungo::__schemars!` only when
/// conjungo's `schemars` feature is on. The bounds are higher-ranked so that they are
/// checked where the impl is used: a field type without a schema only means no schema.
/// Fields whose type leads back to the container get no bound (it would be a cycle).
fn schema(
    cont: &Container<'_>,
    patch_ident: &Ident,
    open: &[&FieldGen<'_>],
    flat: &Flattened<'_, '_>,
    krate: &Path,
) -> TokenStream {
    let schemars = quote!(#krate::__private::schemars);
    let forms: Vec<TokenStream> = open.iter().map(|f| form(f, krate)).collect();
    // A field leading back to the type needs no bound: asking would be a cycle, and its
    // schema is this one.
    let bounds = open
        .iter()
        .zip(&forms)
        .filter(|(f, _)| !recursive(cont, f.field.ty))
        .map(|(_, form)| form);
    let properties = open.iter().zip(&forms).flat_map(|(f, form)| {
        let nullable = f.is_option;
        let by_function = f.field.deserialize_with.is_some();
        let schema = quote! {
            #krate::__private::field_schema::<#form>(__generator, #nullable, #by_function)
        };
        std::iter::once(&f.field.de_name)
            .chain(&f.field.aliases)
            .map(move |name| quote!((#name, #schema),))
            .collect::<Vec<_>>()
    });
    let name = patch_ident.to_string();
    // A flattened struct's properties are this schema's.
    let flat_forms: Vec<TokenStream> = flat.fields.iter().map(|f| flat.patch_form(f)).collect();
    let flat_bounds = flat
        .fields
        .iter()
        .zip(&flat_forms)
        .filter(|(f, _)| !recursive(cont, f.field.ty))
        .map(|(_, form)| form);
    quote! {
        #krate::__schemars! {
            #[automatically_derived]
            impl #schemars::JsonSchema for #patch_ident
            where
                #(for<'__conjungo> #bounds: #schemars::JsonSchema,)*
                #(for<'__conjungo> #flat_bounds: #schemars::JsonSchema,)*
            {
                fn schema_name() -> ::std::borrow::Cow<'static, str> {
                    ::std::borrow::Cow::Borrowed(#name)
                }

                fn schema_id() -> ::std::borrow::Cow<'static, str> {
                    ::std::borrow::Cow::Borrowed(::core::concat!(::core::module_path!(), "::", #name))
                }

                fn json_schema(__generator: &mut #schemars::SchemaGenerator) -> #schemars::Schema {
                    #krate::__private::object_schema_with(
                        ::std::vec![#(#properties)*],
                        ::std::vec![#(<#flat_forms as #schemars::JsonSchema>::json_schema(__generator),)*],
                    )
                }
            }
        }
    }
}

/// `VALIDATES`, `validate` and the copy of a validated patch: the container's own
/// `#[merge(validate = path)]` hook, after those of the fields patched field by field.
/// Fields whose type leads back to the container add nothing to `VALIDATES` (asking would
/// be a cycle; the container's own answer covers them) but are validated.
fn validation(
    cont: &Container<'_>,
    open: &[&FieldGen<'_>],
    flat: &Flattened<'_, '_>,
    krate: &Path,
) -> TokenStream {
    let nested: Vec<&&FieldGen<'_>> = open
        .iter()
        .chain(flat.fields)
        .filter(|f| !f.whole)
        .collect();
    let flags = nested
        .iter()
        .filter(|f| !recursive(cont, f.field.ty))
        .map(|f| {
            let ty = f.field.ty;
            quote!(<#ty as #krate::patch::Patchable>::VALIDATES)
        });
    let field_checks = nested.iter().map(|f| {
        let ty = f.field.ty;
        let member = &f.field.member;
        let name = &f.field.name;
        let asked = if recursive(cont, ty) {
            quote!(true)
        } else {
            quote!(<#ty as #krate::patch::Patchable>::VALIDATES)
        };
        // A flattened struct's fields are this one's: its problems have no key of its own.
        let place = if f.flatten {
            quote!(__e)
        } else {
            quote!(__e.at_key(#name))
        };
        quote! {
            if #asked {
                if let ::core::result::Result::Err(__e) = #krate::patch::Patchable::validate_merged(&self.#member) {
                    __problems.push(#place);
                }
            }
        }
    });
    let (own_flag, own_check, copy) = match &cont.attrs.validate {
        Some((span, path)) => {
            let call = respan(quote!(#path(self)), *span);
            let clone = respan(quote!(::core::clone::Clone::clone(self)), *span);
            (
                quote!(true),
                quote! {
                    if let ::core::result::Result::Err(__e) = #call {
                        __problems.push(__e);
                    }
                },
                quote!(::core::option::Option::Some(#clone)),
            )
        }
        None => (
            quote!(false),
            TokenStream::new(),
            quote!((&#krate::__private::Probe(self)).__conjungo_try_clone()),
        ),
    };
    // Rust name -> serde name, and the names of the field's type where it is patched
    // field by field.
    let names = open.iter().chain(flat.fields).filter_map(|f| {
        let syn::Member::Named(ident) = &f.field.member else {
            return None;
        };
        let rust = ident.to_string();
        let rust = rust.strip_prefix("r#").unwrap_or(&rust).to_owned();
        // A flattened struct has no name of its own (see `SerdeNames`).
        let serde_name = if f.flatten { "" } else { &f.field.name };
        let inner = if f.whole {
            quote!(#krate::patch::SerdeNames::NONE)
        } else {
            let ty = f.field.ty;
            quote!(<#ty as #krate::patch::Patchable>::__conjungo_serde_names())
        };
        Some(quote!(#rust => ::core::option::Option::Some((#serde_name, #inner)),))
    });
    quote! {
        const VALIDATES: bool = #own_flag #(|| #flags)*;

        fn __conjungo_serde_names() -> #krate::patch::SerdeNames {
            #krate::patch::SerdeNames(|__rust| match __rust {
                #(#names)*
                _ => ::core::option::Option::None,
            })
        }

        fn validate_merged(&self) -> ::core::result::Result<(), #krate::Error> {
            if !<Self as #krate::patch::Patchable>::VALIDATES {
                return ::core::result::Result::Ok(());
            }
            let mut __problems: ::std::vec::Vec<#krate::Error> = ::std::vec::Vec::new();
            #(#field_checks)*
            #own_check
            #krate::Error::invalid(__problems)
        }

        fn __conjungo_copy(&self) -> ::core::option::Option<Self> {
            #copy
        }

        fn __conjungo_validator(
            __options: &#krate::Options,
        ) -> ::core::option::Option<&#krate::ValidateFn<Self>> {
            __options.validator::<Self>()
        }
    }
}

fn check_field(f: &FieldGen<'_>, krate: &Path) -> TokenStream {
    let fident = &f.ident;
    let member = &f.field.member;
    let name = &f.field.name;
    let inner = f.inner;
    let immutable = f.is_immutable();
    let null = if f.is_option && immutable {
        // Removing the value changes it.
        quote!({
            if self.#member.is_some() {
                return ::core::result::Result::Err(
                    #krate::Error::new(#krate::ErrorKind::Immutable).at_key(#name),
                );
            }
        })
    } else if f.is_option {
        quote!({})
    } else {
        quote!({
            return ::core::result::Result::Err(#krate::__private::null_on_required().at_key(#name));
        })
    };
    let whole = whole_merge(f, krate);
    let check = match f.field.strategy.as_ref().map(|s| (&s.kind, s.span)) {
        None if f.custom_serde => storage_check(f, krate),
        // Stored through its own function: the merged value is checked, merged on copies.
        Some((kind, span)) if whole.is_some() => {
            let source = source_value(f);
            let storage = storage_of(f, &quote!(__m), krate);
            let keys = match kind {
                StrategyKind::ByKey(key) => {
                    let (_, by) = by_key_args(f.field.ty, key, krate, span);
                    let method = if f.is_option { "check_option" } else { "check" };
                    let call = by_key_call(&by, method, span, quote!(&self.#member, &__s, __cx));
                    quote!(#call?;)
                }
                _ => quote!(),
            };
            quote!({
                let __s = #source;
                #keys
                #krate::__private::check_merged(
                    &self.#member,
                    __s,
                    __cx,
                    |__t, __s, __cx| #whole,
                    |__m, __cx| #storage,
                )
            })
        }
        Some((StrategyKind::Immutable, span)) => {
            let storage = storage_check(f, krate);
            let compare = respan(quote!(#krate::__private::immutable_check), span);
            if f.is_option {
                quote!(match &self.#member {
                    ::core::option::Option::Some(__t) => #compare(__t, __v),
                    ::core::option::Option::None => #storage,
                })
            } else {
                quote!(#compare(&self.#member, __v))
            }
        }
        None if f.is_option => quote! {
            match &self.#member {
                ::core::option::Option::Some(__t) => #krate::patch::Patchable::check_patch(__t, __v, __cx),
                ::core::option::Option::None => <#inner as #krate::patch::Patchable>::check_build(__v, __cx),
            }
        },
        None => quote!(#krate::patch::Patchable::check_patch(&self.#member, __v, __cx)),
        Some((StrategyKind::With(path), span)) => {
            let closure = with_closure(f.field.ty, path, span, krate);
            let source = if f.is_option {
                quote!((&#krate::__private::Probe(__v)).__conjungo_try_clone().map(::core::option::Option::Some))
            } else {
                quote!((&#krate::__private::Probe(__v)).__conjungo_try_clone())
            };
            let storage = storage_of(f, &quote!(__m), krate);
            quote!({
                let __f = #closure;
                // The function's result is what is stored.
                __cx.custom_stored(
                    &self.#member,
                    (&#krate::__private::Probe(&self.#member)).__conjungo_try_clone(),
                    #source,
                    #krate::CustomFn::new(&__f),
                    |__m, __cx| #storage,
                )
            })
        }
        Some((StrategyKind::ByKey(key), span)) => {
            let (_, by) = by_key_args(f.field.ty, key, krate, span);
            let method = if f.is_option {
                "patch_check_option"
            } else {
                "patch_check"
            };
            by_key_call(&by, method, span, quote!(&self.#member, __v, __cx))
        }
        // What is written comes from the given value: it must be storable.
        Some((StrategyKind::Union, _)) => {
            quote!(#krate::__private::storable(&__v.add, __cx))
        }
        // The stored value is kept: the given one is written only where there is none.
        Some((StrategyKind::Keep, _)) if f.is_option => quote!(match &self.#member {
            ::core::option::Option::Some(_) => ::core::result::Result::Ok(()),
            ::core::option::Option::None => #krate::__private::storable::<#inner>(__v, __cx),
        }),
        Some((StrategyKind::Keep, _)) => {
            quote!(::core::result::Result::<(), #krate::Error>::Ok(()))
        }
        Some(_) => quote!(#krate::__private::storable::<#inner>(__v, __cx)),
    };
    quote! {
        match &__patch.#fident {
            #krate::Patch::Absent => {}
            #krate::Patch::Null => #null
            #krate::Patch::Set(__v) => {
                (#check).map_err(|__e| __e.at_key(#name))?;
            }
        }
    }
}

fn apply_field(f: &FieldGen<'_>, krate: &Path) -> TokenStream {
    let member = &f.field.member;
    let name = &f.field.name;
    let b = &f.binding;
    let null = if f.is_option && f.is_immutable() {
        quote!({
            if self.#member.is_some() {
                return ::core::result::Result::Err(
                    #krate::Error::new(#krate::ErrorKind::Immutable).at_key(#name),
                );
            }
        })
    } else if f.is_option {
        quote!({
            if self.#member.is_some() {
                self.#member = ::core::option::Option::None;
                __cx.record_at(#name, #krate::patch::ChangeKind::Removed);
            }
        })
    } else {
        quote!({
            return ::core::result::Result::Err(#krate::__private::null_on_required().at_key(#name));
        })
    };
    let source = if f.is_option {
        quote!(::core::option::Option::Some(__v))
    } else {
        quote!(__v)
    };
    let strategy = |fpath: TokenStream, append: bool| {
        let call = if f.is_option {
            quote!(#krate::__private::through_option(__t, #source, __cx.options(), #fpath))
        } else {
            quote!(#fpath(__t, #source, __cx.options()))
        };
        let helper = if append {
            quote!(#krate::__private::patch_append)
        } else {
            quote!(#krate::__private::patch_field)
        };
        quote!(#helper(&mut self.#member, __cx, |__t, __cx| #call))
    };
    // The patch forms of `union` and `by_key` (set and keyed patches) come first: the
    // table's `union` function merges whole lists.
    let plain = f
        .field
        .strategy
        .as_ref()
        .filter(|s| !matches!(s.kind, StrategyKind::Union))
        .and_then(|s| strategy_fn(s, f.field.ty, krate));
    let whole = whole_merge(f, krate);
    let apply = match (f.field.strategy.as_ref().map(|s| (&s.kind, s.span)), plain) {
        (None, _) if f.custom_serde => strategy(quote!(#krate::strategy::overwrite), false),
        // Stored through its own function: merged and written whole.
        (Some(_), _) if whole.is_some() => {
            quote!(#krate::__private::patch_field(&mut self.#member, __cx, |__t, __cx| {
                let __s = #source;
                #whole
            }))
        }
        (None, _) => quote!(#krate::patch::Patchable::apply_patch(&mut self.#member, __v, __cx)),
        (Some((StrategyKind::Union, span)), _) => {
            let hash = set_hash(f.field.ty, krate);
            let apply = if f.is_option {
                respan(quote!(#krate::patch::set_apply_option), span)
            } else {
                respan(quote!(#krate::patch::set_apply), span)
            };
            quote!(#apply(&mut self.#member, __v, __cx, #hash))
        }
        (Some((StrategyKind::ByKey(key), span)), _) => {
            let (_, by) = by_key_args(f.field.ty, key, krate, span);
            let key_name = member_name(key);
            let method = if f.is_option {
                "patch_apply_option"
            } else {
                "patch_apply"
            };
            by_key_call(
                &by,
                method,
                span,
                quote!(&mut self.#member, __v, __cx, #key_name),
            )
        }
        (Some((StrategyKind::With(path), span)), _) => {
            let closure = with_closure(f.field.ty, path, span, krate);
            quote!(#krate::__private::patch_field(&mut self.#member, __cx, |__t, __cx| {
                let __f = #closure;
                __cx.custom(__t, #source, #krate::CustomFn::new(&__f))
            }))
        }
        (Some((kind, _)), Some(function)) => {
            strategy(function, matches!(kind, StrategyKind::Append))
        }
        // `skip`, `version`: never patched.
        (Some(_), None) => return TokenStream::new(),
    };
    // A field serde may leave out (`skip_serializing_if`): if it is left out after the
    // patch, what changed inside it is one change of the field (the update unsets it).
    let apply_here = match &f.field.skip_serializing_if {
        Some(skip) => quote! {
            let __start = #krate::__private::change_count(__cx);
            let __r = #apply;
            if __r.is_ok() && #skip(&self.#member) {
                #krate::__private::changed_whole_since(__cx, __start);
            }
        },
        None => quote!(let __r = #apply;),
    };
    quote! {
        match #b {
            #krate::Patch::Absent => {}
            #krate::Patch::Null => #null
            #krate::Patch::Set(__v) => {
                __cx.enter(#name);
                #apply_here
                __cx.leave();
                __r.map_err(|__e| __e.at_key(#name))?;
            }
        }
    }
}

fn build_check_field(f: &FieldGen<'_>, krate: &Path, container_default: bool) -> TokenStream {
    let fident = &f.ident;
    let name = &f.field.name;
    let inner = f.inner;
    let check = match f.field.strategy.as_ref().map(|s| &s.kind) {
        Some(StrategyKind::ByKey(_)) if !f.custom_serde => quote!(__v.check_new(__cx)),
        Some(StrategyKind::Union) if !f.custom_serde => {
            quote!(#krate::__private::storable(&__v.add, __cx))
        }
        // Built as given: it must be storable.
        _ if f.whole => storage_check(f, krate),
        None => quote!(<#inner as #krate::patch::Patchable>::check_build(__v, __cx)),
        Some(_) => quote!(::core::result::Result::<(), #krate::Error>::Ok(())),
    };
    if f.is_option || !f.field.serde_default.is_none() || container_default {
        quote! {
            if let #krate::Patch::Set(__v) = &__patch.#fident {
                (#check).map_err(|__e| __e.at_key(#name))?;
            }
        }
    } else {
        quote! {
            match &__patch.#fident {
                #krate::Patch::Set(__v) => (#check).map_err(|__e| __e.at_key(#name))?,
                #krate::Patch::Null => {
                    return ::core::result::Result::Err(#krate::__private::null_on_required().at_key(#name));
                }
                #krate::Patch::Absent => __missing.push(::std::string::String::from(#name)),
            }
        }
    }
}

fn build_field(f: &FieldGen<'_>, krate: &Path, container_default: bool) -> TokenStream {
    let member = &f.field.member;
    let name = &f.field.name;
    let inner = f.inner;
    let b = &f.binding;
    // What serde would take for a missing field: the field's default, else the
    // container's, else `Default::default()` for skipped fields.
    let missing = match &f.field.serde_default {
        SerdeDefault::Default => Some(quote!(::core::default::Default::default())),
        SerdeDefault::Path(path) => Some(quote!(#path())),
        SerdeDefault::None if container_default => Some(quote!(__container_default.#member)),
        SerdeDefault::None => None,
    };
    if f.field.is_skipped() || f.field.serde_skip {
        let missing = missing.unwrap_or_else(|| quote!(::core::default::Default::default()));
        return quote!(#member: #missing,);
    }
    let value = match f.field.strategy.as_ref().map(|s| &s.kind) {
        Some(StrategyKind::ByKey(_)) if !f.custom_serde => {
            quote!(__v.into_new().map_err(|__e| __e.at_key(#name))?)
        }
        Some(StrategyKind::Union) if !f.custom_serde => {
            let hash = set_hash(f.field.ty, krate);
            quote!(__v.into_new(#hash))
        }
        _ if f.whole => quote!(__v),
        _ => {
            quote!(<#inner as #krate::patch::Patchable>::build(__v).map_err(|__e| __e.at_key(#name))?)
        }
    };
    if f.is_option {
        let missing = missing.unwrap_or_else(|| quote!(::core::option::Option::None));
        quote! {
            #member: match #b {
                #krate::Patch::Set(__v) => ::core::option::Option::Some(#value),
                #krate::Patch::Null => ::core::option::Option::None,
                #krate::Patch::Absent => #missing,
            },
        }
    } else if let Some(missing) = missing {
        quote! {
            #member: match #b {
                #krate::Patch::Set(__v) => #value,
                _ => #missing,
            },
        }
    } else {
        quote! {
            #member: match #b {
                #krate::Patch::Set(__v) => #value,
                _ => {
                    return ::core::result::Result::Err(#krate::Error::new(
                        #krate::ErrorKind::MissingFields { fields: ::std::vec![::std::string::String::from(#name)] },
                    ));
                }
            },
        }
    }
}

/// `Patchable::__conjungo_diff` and `__conjungo_full`: the patch from one value to another
/// field by field (see `conjungo::patch::diff`), and the patch that builds a value.
fn diff_hooks(
    open: &[&FieldGen<'_>],
    flat: &Flattened<'_, '_>,
    patch_ident: &Ident,
    krate: &Path,
) -> TokenStream {
    let p = quote!(#krate::Patch);
    let private = quote!(#krate::__private);
    let diffs = open.iter().map(|f| {
        let member = &f.field.member;
        let fident = &f.ident;
        let kind = f.field.strategy.as_ref().map(|s| &s.kind);
        // `(old, new) -> Patch<Form>` for two present values.
        let (pair, full) = match kind {
            _ if f.custom_serde => (
                quote!(|__a, __b| #private::diff_whole(__a, __b)),
                quote!(|__v| #p::Set(::core::clone::Clone::clone(__v))),
            ),
            None => (
                quote!(|__a, __b| #private::diff_nested(__a, __b)),
                quote!(|__v| #private::full_nested(__v)),
            ),
            Some(StrategyKind::Append | StrategyKind::Prepend) => {
                let diff = match kind {
                    Some(StrategyKind::Append) => quote!(#private::diff_append),
                    _ => quote!(#private::diff_prepend),
                };
                // Spanned at the attribute: a field that is no sequence is reported there.
                let diff = respan(diff, f.field.strategy.as_ref().map_or_else(Span::call_site, |s| s.span));
                (
                    quote!(|__a, __b| #diff(__a, __b)),
                    quote!(|__v| #p::Set(::core::clone::Clone::clone(__v))),
                )
            }
            Some(StrategyKind::Union) => {
                let hash = set_hash(f.field.ty, krate);
                (
                    quote!(|__a, __b| #private::diff_set(__a, __b, #hash)),
                    quote!(|__v| #private::full_set(__v)),
                )
            }
            Some(StrategyKind::ByKey(key)) => {
                let span = f.field.strategy.as_ref().map_or_else(Span::call_site, |s| s.span);
                let (key_fn, _) = by_key_args(f.field.ty, key, krate, span);
                (
                    quote!(|__a, __b| #private::diff_keyed(__a, __b, #key_fn)),
                    quote!(|__v| #p::Set(#krate::patch::KeyedPatch::Items(::core::clone::Clone::clone(__v)))),
                )
            }
            Some(_) => (
                quote!(|__a, __b| #private::diff_whole(__a, __b)),
                quote!(|__v| #p::Set(::core::clone::Clone::clone(__v))),
            ),
        };
        let (diff, build) = if f.is_option {
            (
                quote!(#private::diff_option(&self.#member, &__new.#member, #pair, #full)),
                quote!(match &self.#member {
                    ::core::option::Option::Some(__v) => (#full)(__v),
                    ::core::option::Option::None => #p::Absent,
                }),
            )
        } else {
            (
                quote!((#pair)(&self.#member, &__new.#member)),
                quote!((#full)(&self.#member)),
            )
        };
        (quote!(__out.#fident = #diff;), quote!(__out.#fident = #build;))
    });
    let (diffs, fulls): (Vec<_>, Vec<_>) = diffs.unzip();
    let fields = open.iter().map(|f| &f.ident);
    // A flattened struct's patch: what differs in its fields (they are this one's).
    let flat_diffs = flat.fields.iter().map(|f| {
        let (fident, member) = (&f.ident, &f.field.member);
        quote! {
            if let ::core::option::Option::Some(__d) =
                #krate::patch::Patchable::__conjungo_diff(&self.#member, &__new.#member)
            {
                __out.#fident = __d;
                __flat_any = true;
            }
        }
    });
    let flat_fulls = flat.fields.iter().map(|f| {
        let (fident, member) = (&f.ident, &f.field.member);
        quote!(__out.#fident = #krate::patch::Patchable::__conjungo_full(&self.#member)?;)
    });
    quote! {
        #[allow(clippy::redundant_closure_call)]
        fn __conjungo_diff(&self, __new: &Self) -> ::core::option::Option<#patch_ident> {
            let mut __out = <#patch_ident as ::core::default::Default>::default();
            let mut __flat_any = false;
            #(#diffs)*
            #(#flat_diffs)*
            let __any = __flat_any #(|| !__out.#fields.is_absent())*;
            __any.then_some(__out)
        }

        #[allow(clippy::redundant_closure_call)]
        fn __conjungo_full(&self) -> ::core::option::Option<#patch_ident> {
            let mut __out = <#patch_ident as ::core::default::Default>::default();
            #(#fulls)*
            #(#flat_fulls)*
            ::core::option::Option::Some(__out)
        }
    }
}

/// The `#[merge(version)]` hooks of `Patchable`: the type's own version field, or else the
/// one of a struct flattened into it (serde stores that field at this type's level), or none.
/// A type has at most one: a second one, here or in a flattened struct, does not compile
/// (the second token stream, an item).
fn version_hooks(
    all: &[FieldGen<'_>],
    flat: &Flattened<'_, '_>,
    krate: &Path,
) -> (TokenStream, TokenStream) {
    let own = all.iter().any(|f| f.field.is_version());
    let flat_types: Vec<_> = flat.fields.iter().map(|f| f.field.ty).collect();
    let versioned = quote! {
        const __CONJUNGO_VERSIONED: bool = #own
            #(|| <#flat_types as #krate::patch::Patchable>::__CONJUNGO_VERSIONED)*;
    };
    let one = if flat.fields.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            const _: () = ::core::assert!(
                (#own as usize)
                    #(+ (<#flat_types as #krate::patch::Patchable>::__CONJUNGO_VERSIONED as usize))*
                    <= 1,
                "a type has one `version` field, its own or a flattened struct's: it counts \
                 the writes of the whole value"
            );
        }
    };
    let Some(f) = all.iter().find(|f| f.field.is_version()) else {
        if flat.fields.is_empty() {
            return (TokenStream::new(), TokenStream::new());
        }
        // The version of a flattened struct, which serde stores at this type's level.
        let members: Vec<_> = flat.fields.iter().map(|f| &f.field.member).collect();
        let hooks = quote! {
            #versioned

            fn __conjungo_version(&self) -> ::core::option::Option<(&'static str, &dyn #krate::__private::Version)> {
                ::core::option::Option::None
                    #(.or_else(|| #krate::patch::Patchable::__conjungo_version(&self.#members)))*
            }

            fn __conjungo_version_mut(&mut self) -> ::core::option::Option<&mut dyn #krate::__private::Version> {
                #(
                    if #krate::patch::Patchable::__conjungo_version(&self.#members).is_some() {
                        return #krate::patch::Patchable::__conjungo_version_mut(&mut self.#members);
                    }
                )*
                ::core::option::Option::None
            }
        };
        return (hooks, one);
    };
    let member = &f.field.member;
    let name = &f.field.name;
    let span = f
        .field
        .strategy
        .as_ref()
        .map_or_else(Span::call_site, |s| s.span);
    let ty = f.field.ty;
    let assert = quote_spanned!(span=> {
        fn __conjungo_is_version<__V: #krate::__private::Version>() {}
        __conjungo_is_version::<#ty>();
    });
    // The field itself, spanned at the attribute: a type error lands there, not on the
    // derive.
    let get = quote_spanned!(span=> &self.#member as &dyn #krate::__private::Version);
    let get_mut = quote_spanned!(span=> &mut self.#member as &mut dyn #krate::__private::Version);
    let hooks = quote! {
        #versioned

        fn __conjungo_version(&self) -> ::core::option::Option<(&'static str, &dyn #krate::__private::Version)> {
            #assert
            ::core::option::Option::Some((#name, #get))
        }

        fn __conjungo_version_mut(&mut self) -> ::core::option::Option<&mut dyn #krate::__private::Version> {
            ::core::option::Option::Some(#get_mut)
        }
    };
    (hooks, one)
}

/// The hash function of a `union` field's items (`None`: they are compared one by one).
fn set_hash(ty: &syn::Type, krate: &Path) -> TokenStream {
    let seq = crate::strategy::seq_type(ty);
    quote!((&#krate::__private::HashProbe::<<#seq as #krate::strategy::seq::Seq>::Item>::NEW)
        .__conjungo_hash())
}

/// A field's Rust name, as a string (`r#type` is `type`).
fn member_name(member: &syn::Member) -> String {
    match member {
        syn::Member::Named(ident) => {
            let name = ident.to_string();
            name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
        }
        syn::Member::Unnamed(index) => index.index.to_string(),
    }
}

/// The patch form of a field: the field's own type when patched whole, else its
/// `Patchable::Patch` (keyed lists and sets: their own patch forms).
fn form(f: &FieldGen<'_>, krate: &Path) -> TokenStream {
    let inner = f.inner;
    match f.field.strategy.as_ref().map(|s| &s.kind) {
        Some(StrategyKind::ByKey(_)) if !f.custom_serde => {
            return quote!(#krate::patch::KeyedPatch<#inner>);
        }
        Some(StrategyKind::Union) if !f.custom_serde => {
            return quote!(#krate::patch::SetPatch<#inner>);
        }
        _ => {}
    }
    if f.whole {
        quote!(#inner)
    } else {
        quote_spanned!(inner.span()=> <#inner as #krate::patch::Patchable>::Patch)
    }
}

/// The name of the generated function (`kind`: `ser` or `de`) a patch field is written or
/// read with.
fn with_fn_name(kind: &str, patch_ident: &Ident, f: &FieldGen<'_>) -> Ident {
    format_ident!("__conjungo_{}_{}_{}", kind, patch_ident, f.ident)
}

/// The functions a patch type's fields are written and read with, where serde writes or
/// reads the stored field through a function of its own.
struct WithFns<'a> {
    patch_ident: &'a Ident,
    krate: &'a Path,
    vis: &'a syn::Visibility,
}

impl WithFns<'_> {
    /// For a field serde writes through `serialize_with`: the function the patch field is
    /// written with, so that a serialized patch is the body it parses from (`null` for
    /// `Patch::Null`).
    fn ser(&self, f: &FieldGen<'_>) -> Option<TokenStream> {
        let (krate, vis) = (self.krate, self.vis);
        let path = f.field.serialize_with.as_ref()?;
        let name = with_fn_name("ser", self.patch_ident, f);
        let form = form(f, krate);
        let serde = quote!(#krate::__private::serde);
        let arg = if f.is_option {
            quote!(&::core::option::Option::Some(::core::clone::Clone::clone(
                __x
            )))
        } else {
            quote!(__x)
        };
        Some(quote! {
            #[doc(hidden)]
            #[allow(non_snake_case)]
            #vis fn #name<__S: #serde::Serializer>(
                __value: &#krate::Patch<#form>,
                __serializer: __S,
            ) -> ::core::result::Result<__S::Ok, __S::Error> {
                match __value {
                    #krate::Patch::Set(__x) => #path(#arg, __serializer),
                    _ => __serializer.serialize_none(),
                }
            }
        })
    }

    /// For a field serde reads through `deserialize_with`: the function the patch field reads
    /// with, so that a body spells the value as the stored representation does (`null` is
    /// `Patch::Null`, or an error for a required field).
    fn de(&self, f: &FieldGen<'_>) -> Option<TokenStream> {
        let (krate, vis) = (self.krate, self.vis);
        let path = f.field.deserialize_with.as_ref()?;
        let name = with_fn_name("de", self.patch_ident, f);
        let ty = f.field.ty;
        let form = form(f, krate);
        let serde = quote!(#krate::__private::serde);
        let some = if f.is_option {
            quote!(match __value {
                ::core::option::Option::Some(__v) => #krate::Patch::Set(__v),
                ::core::option::Option::None => #krate::Patch::Null,
            })
        } else {
            quote!(#krate::Patch::Set(__value))
        };
        let none = if f.is_option {
            quote!(::core::result::Result::Ok(#krate::Patch::Null))
        } else {
            quote!(::core::result::Result::Err(#krate::__private::null_on_required_de::<__D>()))
        };
        Some(quote! {
            #[doc(hidden)]
            #[allow(non_snake_case)]
            #vis fn #name<'de, __D: #serde::Deserializer<'de>>(
                __deserializer: __D,
            ) -> ::core::result::Result<#krate::Patch<#form>, __D::Error> {
                struct __With(#ty);
                impl<'de> #serde::Deserialize<'de> for __With {
                    fn deserialize<__D2: #serde::Deserializer<'de>>(
                        __deserializer: __D2,
                    ) -> ::core::result::Result<Self, __D2::Error> {
                        #path(__deserializer).map(__With)
                    }
                }
                match <::core::option::Option<__With> as #serde::Deserialize>::deserialize(__deserializer)? {
                    ::core::option::Option::Some(__With(__value)) => ::core::result::Result::Ok(#some),
                    ::core::option::Option::None => #none,
                }
            }
        })
    }
}

/// For a field serde stores through a function of its own (`serialize_with`) that has a
/// merge strategy: the whole-value merge of `__s` into `__t` (both of the field's type)
/// with the apply pass `__cx`, by the strategy's rule. Such a field is patched and stored
/// whole: only its merged value tells what serde stores. `None` for the strategies that
/// have no merge (`skip`, `version`, `immutable`) or a path of their own (`with`).
fn whole_merge(f: &FieldGen<'_>, krate: &Path) -> Option<TokenStream> {
    let strategy = f.field.strategy.as_ref()?;
    if !f.custom_serde {
        return None;
    }
    match &strategy.kind {
        StrategyKind::ByKey(key) => {
            let (_, by) = by_key_args(f.field.ty, key, krate, strategy.span);
            let method = if f.is_option { "apply_option" } else { "apply" };
            Some(by_key_call(
                &by,
                method,
                strategy.span,
                quote!(__t, __s, __cx),
            ))
        }
        StrategyKind::Immutable | StrategyKind::With(_) => None,
        _ => {
            let fpath = strategy_fn(strategy, f.field.ty, krate)?;
            Some(if f.is_option {
                quote!(#krate::__private::through_option(__t, __s, __cx.options(), #fpath))
            } else {
                quote!(#fpath(__t, __s, __cx.options()))
            })
        }
    }
}

/// The storage check of a field's new value given in the patch (`__v`): serialized the
/// way serde stores the field (through its `serialize_with`, if any), it must be storable
/// as BSON.
fn storage_check(f: &FieldGen<'_>, krate: &Path) -> TokenStream {
    let value = if f.is_option {
        quote!(&::core::option::Option::Some(::core::clone::Clone::clone(
            __v
        )))
    } else {
        quote!(__v)
    };
    storage_of(f, &value, krate)
}

/// The field's new value given in the patch (`__v`, the inside of an `Option` field's
/// value), copied, as a value of the field's type.
fn source_value(f: &FieldGen<'_>) -> TokenStream {
    if f.is_option {
        quote!(::core::option::Option::Some(::core::clone::Clone::clone(
            __v
        )))
    } else {
        quote!(::core::clone::Clone::clone(__v))
    }
}

/// The storage check of `value` (a reference to a value of the field's type) serialized
/// the way serde stores the field.
fn storage_of(f: &FieldGen<'_>, value: &TokenStream, krate: &Path) -> TokenStream {
    let ty = f.field.ty;
    match &f.field.serialize_with {
        Some(path) => {
            let serde = quote!(#krate::__private::serde);
            quote!({
                struct __With<'__a>(&'__a #ty);
                impl #serde::Serialize for __With<'_> {
                    fn serialize<__S: #serde::Serializer>(
                        &self,
                        __serializer: __S,
                    ) -> ::core::result::Result<__S::Ok, __S::Error> {
                        #path(self.0, __serializer)
                    }
                }
                #krate::__private::storable(&__With(#value), __cx)
            })
        }
        None => quote!(#krate::__private::storable::<#ty>(#value, __cx)),
    }
}

/// The `#[serde(flatten)]` fields of a patch type: structs with their own `#[merge(patch)]`
/// whose fields serde reads and writes as this struct's. Each is its type's patch, read
/// from the members this struct's own fields leave over; checked, applied and built at
/// this struct's place (no key of its own).
struct Flattened<'a, 'f> {
    fields: &'a [&'a FieldGen<'f>],
    krate: &'a Path,
}

impl Flattened<'_, '_> {
    fn patch_form(&self, f: &FieldGen<'_>) -> TokenStream {
        let (ty, krate) = (f.field.ty, self.krate);
        quote_spanned!(ty.span()=> <#ty as #krate::patch::Patchable>::Patch)
    }

    /// The fields of the patch type.
    fn patch_fields(&self) -> TokenStream {
        let fields = self.fields.iter().map(|f| {
            let fident = &f.ident;
            let form = self.patch_form(f);
            let doc = format!("The patch of the flattened `{}`.", f.field.name);
            quote! {
                #[doc = #doc]
                #[serde(flatten)]
                pub #fident: #form,
            }
        });
        quote!(#(#fields)*)
    }

    /// `field: binding,` of each, for destructuring the patch.
    fn bindings(&self) -> TokenStream {
        let binds = self.fields.iter().map(|f| {
            let (fident, b) = (&f.ident, &f.binding);
            quote!(#fident: #b,)
        });
        quote!(#(#binds)*)
    }

    /// The type must be a struct patched field by field that serde stores as its fields.
    fn assert_flattens(&self, f: &FieldGen<'_>) -> TokenStream {
        let (ty, krate) = (f.field.ty, self.krate);
        let message = format!(
            "`{}` is `#[serde(flatten)]` in a patch type: its type must be a struct with \
             `#[merge(patch)]` that serde stores as its fields",
            f.field.name
        );
        quote_spanned!(ty.span()=> const _: () = ::core::assert!(
            <#ty as #krate::patch::Patchable>::__CONJUNGO_FLATTENS,
            #message
        );)
    }

    /// [`assert_flattens`](Self::assert_flattens) of each (items, evaluated when the crate
    /// is checked).
    fn asserts(&self) -> TokenStream {
        let asserts = self.fields.iter().map(|f| self.assert_flattens(f));
        quote!(#(#asserts)*)
    }

    fn checks(&self) -> TokenStream {
        let krate = self.krate;
        let checks = self.fields.iter().map(|f| {
            let (fident, member) = (&f.ident, &f.field.member);
            quote! {
                #krate::patch::Patchable::check_patch(&self.#member, &__patch.#fident, __cx)?;
            }
        });
        quote!(#(#checks)*)
    }

    fn applies(&self) -> TokenStream {
        let krate = self.krate;
        let applies = self.fields.iter().map(|f| {
            let (b, member) = (&f.binding, &f.field.member);
            quote!(#krate::patch::Patchable::apply_patch(&mut self.#member, #b, __cx)?;)
        });
        quote!(#(#applies)*)
    }

    /// In `check_build`: the flattened struct's missing fields are this one's.
    fn build_checks(&self) -> TokenStream {
        let krate = self.krate;
        let checks = self.fields.iter().map(|f| {
            let (fident, ty) = (&f.ident, f.field.ty);
            quote! {
                #krate::__private::missing_into(
                    <#ty as #krate::patch::Patchable>::check_build(&__patch.#fident, __cx),
                    &mut __missing,
                )?;
            }
        });
        quote!(#(#checks)*)
    }

    /// In `build`: the field built from its patch.
    fn build(&self, f: &FieldGen<'_>) -> TokenStream {
        let (krate, b, member, ty) = (self.krate, &f.binding, &f.field.member, f.field.ty);
        quote!(#member: <#ty as #krate::patch::Patchable>::build(#b)?,)
    }
}
