//! Rules across attributes, checked on the model before expansion.

use syn::spanned::Spanned;

use crate::ast::{Container, Data, Style};
use crate::ctxt::Ctxt;

pub fn check(cx: &Ctxt, cont: &Container<'_>) {
    let fields: Vec<_> = match &cont.data {
        Data::Struct(_, fields) => fields.iter().collect(),
        Data::Enum(variants) => variants.iter().flat_map(|v| &v.fields).collect(),
    };

    if cont.attrs.replace.is_some() {
        for field in &fields {
            if let Some(strategy) = &field.strategy {
                cx.error(
                    strategy.span,
                    format!(
                        "`{}` has no effect: the container is `#[merge(replace)]`, so the whole \
                         value is replaced",
                        strategy.kind.name()
                    ),
                );
            }
        }
    }

    let versions: Vec<_> = fields.iter().filter(|f| f.is_version()).collect();
    for extra in versions.iter().skip(1) {
        if let Some(strategy) = &extra.strategy {
            cx.error(
                strategy.span,
                "a type has one `version` field: it counts the writes of the whole value",
            );
        }
    }

    if let Some((span, _)) = &cont.attrs.validate
        && cont.attrs.patch.is_none()
    {
        cx.error(
            *span,
            "`validate` runs on the merged value of a patch: add `#[merge(patch)]` to the type",
        );
    }

    if let Some((span, _)) = &cont.attrs.patch {
        let named = matches!(&cont.data, Data::Struct(Style::Named, _));
        if !named {
            cx.error(
                *span,
                "`patch` needs a struct with named fields: a patch names the fields it changes",
            );
        } else if cont.attrs.replace.is_some() {
            cx.error(
                *span,
                "`patch` and `replace` do not go together: a replaced value has no fields to patch",
            );
        } else if cont.generics.params.iter().next().is_some() {
            cx.error(*span, "`patch` does not support generic types yet");
        }
        if named {
            for field in fields.iter().filter(|f| f.serde_flatten) {
                let option = crate::ast::option_inner(field.ty).is_some();
                let custom = field.serialize_with.is_some() || field.deserialize_with.is_some();
                if field.strategy.is_some() || option || custom || field.serde_skip {
                    cx.error(
                        field.member.span(),
                        "under `patch`, `#[serde(flatten)]` takes a struct with its own \
                         `#[merge(patch)]`, with no strategy, no `Option` and no serde function: \
                         a body names its fields at this struct's level",
                    );
                }
            }
        }
    }
}
