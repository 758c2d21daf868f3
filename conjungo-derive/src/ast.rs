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
    /// The container's `#[serde(default)]` / `#[serde(default = "path")]`.
    pub serde_default: SerdeDefault,
    /// `#[serde(transparent)]` or `#[serde(into = "…")]`: serde does not store the
    /// container as its fields.
    pub serde_stored_whole: bool,
}

/// Where serde takes a value missing from the input.
#[derive(Clone)]
pub enum SerdeDefault {
    None,
    /// `Default::default()`.
    Default,
    /// A function.
    Path(syn::ExprPath),
}

impl SerdeDefault {
    fn from_serde(default: &serde_derive_internals::attr::Default) -> Self {
        match default {
            serde_derive_internals::attr::Default::None => SerdeDefault::None,
            serde_derive_internals::attr::Default::Default => SerdeDefault::Default,
            serde_derive_internals::attr::Default::Path(path) => SerdeDefault::Path(path.clone()),
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, SerdeDefault::None)
    }
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
    /// `#[serde(skip)]`, `skip_deserializing` or `skip_serializing`: a patch cannot set it
    /// (serde would not read it from a body, or never stores it).
    pub serde_skip: bool,
    /// `#[serde(flatten)]`.
    pub serde_flatten: bool,
    /// `#[serde(default)]` / `#[serde(default = "path")]` on the field.
    pub serde_default: SerdeDefault,
    /// `#[serde(alias = "...")]`: other spellings a body may use.
    pub aliases: Vec<String>,
    /// `#[serde(with)]` / `serialize_with`: how serde stores the field.
    pub serialize_with: Option<syn::ExprPath>,
    /// `#[serde(with)]` / `deserialize_with`: how serde reads the field.
    pub deserialize_with: Option<syn::ExprPath>,
    /// `#[serde(skip_serializing_if = "path")]`: when serde leaves the field out.
    pub skip_serializing_if: Option<syn::ExprPath>,
}

impl Field<'_> {
    /// Skipped by merges (`skip`, and `version`, which only patches increment).
    pub fn is_skipped(&self) -> bool {
        matches!(
            self.strategy,
            Some(Strategy {
                kind: attr::StrategyKind::Skip | attr::StrategyKind::Version,
                ..
            })
        )
    }

    /// The `#[merge(version)]` field.
    pub fn is_version(&self) -> bool {
        matches!(
            self.strategy,
            Some(Strategy {
                kind: attr::StrategyKind::Version,
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

/// What serde says of one field.
#[derive(Clone)]
struct SerdeField {
    ser_name: String,
    de_name: String,
    skip_deserializing: bool,
    skip_serializing: bool,
    flatten: bool,
    default: SerdeDefault,
    aliases: Vec<String>,
    serialize_with: Option<syn::ExprPath>,
    deserialize_with: Option<syn::ExprPath>,
    skip_serializing_if: Option<syn::ExprPath>,
}

struct SerdeNames {
    fields: Vec<SerdeField>,
}

fn serde_field_names(fields: &[serde_ast::Field<'_>]) -> SerdeNames {
    SerdeNames {
        fields: fields
            .iter()
            .map(|f| {
                let de_name = f.attrs.name().deserialize_name().value.clone();
                SerdeField {
                    ser_name: f.attrs.name().serialize_name().value.clone(),
                    aliases: f
                        .attrs
                        .aliases()
                        .iter()
                        .map(|a| a.value.clone())
                        .filter(|a| *a != de_name)
                        .collect(),
                    de_name,
                    skip_deserializing: f.attrs.skip_deserializing(),
                    skip_serializing: f.attrs.skip_serializing(),
                    flatten: f.attrs.flatten(),
                    default: SerdeDefault::from_serde(f.attrs.default()),
                    serialize_with: f.attrs.serialize_with().cloned(),
                    deserialize_with: f.attrs.deserialize_with().cloned(),
                    skip_serializing_if: f.attrs.skip_serializing_if().cloned(),
                }
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
            let serde = names
                .and_then(|n| n.fields.get(i).cloned())
                .unwrap_or_else(|| SerdeField {
                    ser_name: plain.clone(),
                    de_name: plain,
                    skip_deserializing: false,
                    skip_serializing: false,
                    flatten: false,
                    default: SerdeDefault::None,
                    aliases: Vec::new(),
                    serialize_with: None,
                    deserialize_with: None,
                    skip_serializing_if: None,
                });
            Field {
                member,
                ty: &field.ty,
                name: serde.ser_name,
                de_name: serde.de_name,
                strategy: attr::field_attrs(cx, &field.attrs).strategy,
                newtype: matches!(fields, syn::Fields::Unnamed(u) if u.unnamed.len() == 1),
                serde_skip: serde.skip_deserializing || serde.skip_serializing,
                serde_flatten: serde.flatten,
                serde_default: serde.default,
                aliases: serde.aliases,
                serialize_with: serde.serialize_with,
                deserialize_with: serde.deserialize_with,
                skip_serializing_if: serde.skip_serializing_if,
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
        serde_default: serde.as_ref().map_or(SerdeDefault::None, |s| {
            SerdeDefault::from_serde(s.attrs.default())
        }),
        serde_stored_whole: serde
            .as_ref()
            .is_some_and(|s| s.attrs.transparent() || s.attrs.type_into().is_some()),
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
