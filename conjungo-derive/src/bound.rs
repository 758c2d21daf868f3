//! Bound inference: the where-clause of a generated impl, and which field types lead back
//! to the container.

use proc_macro2::Span;
use syn::visit::Visit;
use syn::{Generics, Ident, Path, Type};

use crate::ast::{Container, Data, Field};

/// The container's generics with the bounds its `Merge` impl needs: `'static` on type
/// parameters (so that `Options::on_type` can find the type), and `FieldType: Merge` for
/// fields on the default path that mention a parameter.
pub fn with_bounds(cont: &Container<'_>, krate: &Path) -> Generics {
    let type_params: Vec<&Ident> = cont.generics.type_params().map(|p| &p.ident).collect();
    let has_lifetimes = cont.generics.lifetimes().next().is_some();
    let mut generics = cont.generics.clone();
    let where_clause = generics.make_where_clause();
    if !has_lifetimes {
        for p in &type_params {
            where_clause.predicates.push(syn::parse_quote!(#p: 'static));
        }
    }
    let all_fields: Vec<&Field<'_>> = match &cont.data {
        Data::Struct(_, fields) => fields.iter().collect(),
        Data::Enum(variants) => variants.iter().flat_map(|v| &v.fields).collect(),
    };
    if cont.attrs.replace.is_none() {
        for field in all_fields {
            if field.strategy.is_none() && mentions(field.ty, &type_params) {
                let ty = field.ty;
                where_clause
                    .predicates
                    .push(syn::parse_quote!(#ty: #krate::Merge));
            }
        }
    }
    generics
}

/// Whether a field's type names the container itself (directly or through `Self`).
pub fn recursive(cont: &Container<'_>, ty: &Type) -> bool {
    let own: [&Ident; 1] = [cont.ident];
    mentions(ty, &own) || mentions_self(ty)
}

/// Whether a type mentions `Self`.
fn mentions_self(ty: &Type) -> bool {
    let this = Ident::new("Self", Span::call_site());
    mentions(ty, &[&this])
}

/// Whether a type mentions one of the container's type parameters.
fn mentions(ty: &Type, params: &[&Ident]) -> bool {
    struct Finder<'p> {
        params: &'p [&'p Ident],
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_path(&mut self, path: &'ast syn::Path) {
            if let Some(first) = path.segments.first()
                && path.leading_colon.is_none()
                && self.params.iter().any(|p| first.ident == **p)
            {
                self.found = true;
            }
            syn::visit::visit_path(self, path);
        }
    }
    let mut finder = Finder {
        params,
        found: false,
    };
    finder.visit_type(ty);
    finder.found
}
