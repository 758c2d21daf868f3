//! The model the expansion reads: container, variants and fields, with their merge
//! strategies and their serde names.

use proc_macro2::{Ident, Span};
use serde_derive_internals::{Ctxt as SerdeCtxt, Derive, ast as serde_ast};
use syn::{DeriveInput, Generics, Member, Type};

use crate::attr::{self, ContainerAttrs, Strategy};
use crate::ctxt::Ctxt;

pub struct Container<'a> {
    pub ident: &'a Ident,
    pub vis: &'a syn::Visibility,
    pub generics: &'a Generics,
    pub attrs: ContainerAttrs,
    pub data: Data<'a>,
}

pub enum Data<'a> {
    Struct(Style, Vec<Field<'a>>),
    Enum(Vec<Variant<'a>>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Named,
    Tuple,
    Unit,
}

pub struct Variant<'a> {
    pub ident: &'a Ident,
    /// The serde (serialize) name: the key of an externally tagged variant.
    pub name: String,
    pub style: Style,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub member: Member,
    pub ty: &'a Type,
    /// The serde serialize name (or the index of a tuple field): the JSON Pointer segment.
    pub name: String,
    /// The serde deserialize name: how a patch body spells the field.
    pub de_name: String,
    pub strategy: Option<Strategy>,
    /// The only field of a tuple struct or variant: serde writes it without a wrapper.
    pub newtype: bool,
    /// `#[serde(skip)]` / `skip_deserializing`: a patch cannot set it.
    pub serde_skip: bool,
    /// `#[serde(flatten)]`.
    pub serde_flatten: bool,
    /// `#[serde(skip_serializing_if = ...)]`: a `None` is absent from the stored document.
    pub skip_serializing_if: bool,
    /// `#[serde(default)]`: a patch that builds the value may omit it.
    pub serde_default: bool,
}

impl Field<'_> {
    pub fn is_skipped(&self) -> bool {
        matches!(
            self.strategy,
            Some(Strategy {
                kind: attr::StrategyKind::Skip,
                ..
            })
        )
    }
}

fn style(fields: &syn::Fields) -> Style {
    match fields {
        syn::Fields::Named(_) => Style::Named,
        syn::Fields::Unnamed(_) => Style::Tuple,
        syn::Fields::Unit => Style::Unit,
    }
}

struct SerdeNames {
    fields: Vec<(String, String, bool, bool, bool, bool)>,
}

fn serde_field_names(fields: &[serde_ast::Field<'_>]) -> SerdeNames {
    SerdeNames {
        fields: fields
            .iter()
            .map(|f| {
                (
                    f.attrs.name().serialize_name().value.clone(),
                    f.attrs.name().deserialize_name().value.clone(),
                    f.attrs.skip_deserializing(),
                    f.attrs.flatten(),
                    f.attrs.skip_serializing_if().is_some(),
                    matches!(
                        f.attrs.default(),
                        serde_derive_internals::attr::Default::Default
                    ),
                )
            })
            .collect(),
    }
}

fn fields_from<'a>(
    cx: &Ctxt,
    fields: &'a syn::Fields,
    names: Option<&SerdeNames>,
) -> Vec<Field<'a>> {
    fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let member = match &field.ident {
                Some(ident) => Member::Named(ident.clone()),
                None => Member::Unnamed(i.into()),
            };
            let plain = match &field.ident {
                Some(ident) => ident.to_string().trim_start_matches("r#").to_owned(),
                None => i.to_string(),
            };
            let (name, de_name, serde_skip, serde_flatten, skip_serializing_if, serde_default) =
                names
                    .and_then(|n| n.fields.get(i).cloned())
                    .unwrap_or_else(|| (plain.clone(), plain, false, false, false, false));
            Field {
                member,
                ty: &field.ty,
                name,
                de_name,
                strategy: attr::field_attrs(cx, &field.attrs).strategy,
                newtype: matches!(fields, syn::Fields::Unnamed(u) if u.unnamed.len() == 1),
                serde_skip,
                serde_flatten,
                skip_serializing_if,
                serde_default,
            }
        })
        .collect()
}

pub fn from_ast<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Option<Container<'a>> {
    let attrs = attr::container_attrs(cx, &input.attrs);

    // serde's own attribute model gives the names serde uses (rename, rename_all, …).
    // Its errors are serde's to report (from its own derive), so they are dropped here.
    let serde_cx = SerdeCtxt::new();
    let private = Ident::new("__conjungo_private", Span::call_site());
    let serde = serde_ast::Container::from_ast(&serde_cx, input, Derive::Deserialize, &private);
    let _ = serde_cx.check();

    let data = match &input.data {
        syn::Data::Struct(data) => {
            let names = match serde.as_ref().map(|s| &s.data) {
                Some(serde_ast::Data::Struct(_, fields)) => Some(serde_field_names(fields)),
                _ => None,
            };
            Data::Struct(
                style(&data.fields),
                fields_from(cx, &data.fields, names.as_ref()),
            )
        }
        syn::Data::Enum(data) => {
            let serde_variants = match serde.as_ref().map(|s| &s.data) {
                Some(serde_ast::Data::Enum(variants)) => Some(variants),
                _ => None,
            };
            Data::Enum(
                data.variants
                    .iter()
                    .enumerate()
                    .map(|(i, variant)| {
                        attr::variant_attrs(cx, &variant.attrs);
                        let serde_variant = serde_variants.and_then(|v| v.get(i));
                        let names = serde_variant.map(|v| serde_field_names(&v.fields));
                        Variant {
                            ident: &variant.ident,
                            name: serde_variant
                                .map(|v| v.attrs.name().serialize_name().value.clone())
                                .unwrap_or_else(|| variant.ident.to_string()),
                            style: style(&variant.fields),
                            fields: fields_from(cx, &variant.fields, names.as_ref()),
                        }
                    })
                    .collect(),
            )
        }
        syn::Data::Union(data) => {
            cx.error(
                data.union_token.span,
                "`Merge` cannot be derived for unions: which field is live is unknown",
            );
            return None;
        }
    };

    Some(Container {
        ident: &input.ident,
        vis: &input.vis,
        generics: &input.generics,
        attrs,
        data,
    })
}

/// `Option<T>` written as such (`Option`, `std::option::Option`, …): its `T`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    if args.args.len() != 1 {
        return None;
    }
    match args.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}
