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
            for field in &fields {
                if field.serde_flatten {
                    cx.error(
                        field.member.span(),
                        "`patch` does not support `#[serde(flatten)]` fields: a body names their \
                         members at this struct's level, where the patch type cannot tell them \
                         from its own fields; write them as fields of this struct, or patch the \
                         stored document with `conjungo::patch::apply_document`",
                    );
                }
            }
        }
    }
}
