//! Typed `#[merge(...)]` attribute values, each with the span of its tokens.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Ident, LitStr, Member, Path, Token};

use crate::ctxt::Ctxt;

/// A field's merge strategy and where it was written.
#[derive(Clone)]
pub struct Strategy {
    pub kind: StrategyKind,
    /// The span of the attribute's name (`append`, `with`, …): errors point here.
    pub span: Span,
}

#[derive(Clone)]
pub enum StrategyKind {
    Skip,
    Replace,
    /// Overwrite rule, no recursion, no `Merge` bound; patched as a whole value.
    Atomic,
    /// May be set where there is no value yet, never changed; patched as a whole value.
    Immutable,
    Keep,
    Append,
    Prepend,
    Union,
    ByKey(Member),
    With(Path),
    /// A write counter for optimistic concurrency: protected in patches, incremented by
    /// each one that changes something; kept (like `skip`) in plain merges.
    Version,
}

impl StrategyKind {
    pub fn name(&self) -> &'static str {
        match self {
            StrategyKind::Skip => "skip",
            StrategyKind::Replace => "replace",
            StrategyKind::Atomic => "atomic",
            StrategyKind::Immutable => "immutable",
            StrategyKind::Keep => "keep",
            StrategyKind::Append => "append",
            StrategyKind::Prepend => "prepend",
            StrategyKind::Union => "union",
            StrategyKind::ByKey(_) => "by_key",
            StrategyKind::With(_) => "with",
            StrategyKind::Version => "version",
        }
    }
}

#[derive(Default)]
pub struct FieldAttrs {
    pub strategy: Option<Strategy>,
}

#[derive(Default)]
pub struct ContainerAttrs {
    /// `crate = path`.
    pub krate: Option<Path>,
    /// `replace`: the whole value is atomic.
    pub replace: Option<Span>,
    /// `patch` or `patch = Name`.
    pub patch: Option<(Span, Option<Ident>)>,
    /// `validate = path`: a `fn(&Self) -> Result<(), conjungo::Error>` run on the merged
    /// value of a patch.
    pub validate: Option<(Span, Path)>,
}

const FIELD_ATTRS: &str = "`skip`, `replace`, `atomic`, `immutable`, `keep`, `append`, `prepend`, `union`, `by_key = field`, `with = path`, `version`";
const CONTAINER_ATTRS: &str =
    "`crate = path`, `replace`, `patch`, `patch = Name`, `validate = path`";

fn merge_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("merge"))
}

/// Run `f` on every item of every `#[merge(...)]` attribute, recording what fails (an
/// attribute that is not a list, a parse error) and going on.
fn each_meta(
    cx: &Ctxt,
    attrs: &[Attribute],
    mut f: impl FnMut(ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in merge_attrs(attrs) {
        if let Err(e) = list_only(attr) {
            cx.syn_error(e);
            continue;
        }
        if let Err(e) = attr.parse_nested_meta(&mut f) {
            cx.syn_error(e);
        }
    }
}

/// Consume whatever value follows an attribute name we reject, so that parsing can go on
/// to report the next problem too.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

fn no_value(cx: &Ctxt, meta: &ParseNestedMeta<'_>, name: &str) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        let span = meta.input.span();
        skip_value(meta)?;
        cx.error(span, format!("`{name}` takes no value"));
    }
    Ok(())
}

/// `name = path` or `name = "path"`.
fn path_value(meta: &ParseNestedMeta<'_>, name: &str) -> syn::Result<Path> {
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format!("`{name}` needs a value: `{name} = path`")));
    }
    let input = meta.value()?;
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        lit.parse::<Path>()
            .map_err(|_| syn::Error::new(lit.span(), format!("`{name}` expects a path")))
    } else {
        input
            .parse::<Path>()
            .map_err(|e| syn::Error::new(e.span(), format!("`{name}` expects a path")))
    }
}

/// `by_key = field`, `by_key = "field"` or `by_key = 0`.
fn member_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Member> {
    if !meta.input.peek(Token![=]) {
        return Err(meta.error("`by_key` needs a value: `by_key = field`"));
    }
    let input = meta.value()?;
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        lit.parse::<Member>()
            .map_err(|_| syn::Error::new(lit.span(), "`by_key` expects a field name"))
    } else {
        input
            .parse::<Member>()
            .map_err(|e| syn::Error::new(e.span(), "`by_key` expects a field name"))
    }
}

pub fn field_attrs(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    each_meta(cx, attrs, |meta| {
        let span = meta.path.span();
        let Some(ident) = meta.path.get_ident() else {
            cx.error(
                span,
                format!("unknown merge attribute; expected one of {FIELD_ATTRS}"),
            );
            return skip_value(&meta);
        };
        let kind = match ident.to_string().as_str() {
            "skip" => StrategyKind::Skip,
            "replace" => StrategyKind::Replace,
            "atomic" => StrategyKind::Atomic,
            "immutable" => StrategyKind::Immutable,
            "keep" => StrategyKind::Keep,
            "append" => StrategyKind::Append,
            "prepend" => StrategyKind::Prepend,
            "union" => StrategyKind::Union,
            "by_key" => StrategyKind::ByKey(member_value(&meta)?),
            "with" => StrategyKind::With(path_value(&meta, "with")?),
            "version" => StrategyKind::Version,
            other => {
                cx.error(
                    span,
                    format!("unknown merge attribute `{other}`; expected one of {FIELD_ATTRS}"),
                );
                return skip_value(&meta);
            }
        };
        if !matches!(kind, StrategyKind::ByKey(_) | StrategyKind::With(_)) {
            no_value(cx, &meta, kind.name())?;
        }
        match &out.strategy {
            Some(prev) if prev.kind.name() == kind.name() => {
                cx.error(span, format!("duplicate merge attribute `{}`", kind.name()));
            }
            Some(prev) => cx.error(
                span,
                format!(
                    "conflicting merge strategies `{}` and `{}`: a field takes one",
                    prev.kind.name(),
                    kind.name()
                ),
            ),
            None => out.strategy = Some(Strategy { kind, span }),
        }
        Ok(())
    });
    out
}

pub fn container_attrs(cx: &Ctxt, attrs: &[Attribute]) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    each_meta(cx, attrs, |meta| {
        let span = meta.path.span();
        if meta.path.is_ident("crate") {
            let path = path_value(&meta, "crate")?;
            if out.krate.replace(path).is_some() {
                cx.error(span, "duplicate merge attribute `crate`");
            }
        } else if meta.path.is_ident("replace") {
            no_value(cx, &meta, "replace")?;
            if out.replace.replace(span).is_some() {
                cx.error(span, "duplicate merge attribute `replace`");
            }
        } else if meta.path.is_ident("patch") {
            let name =
                if meta.input.peek(Token![=]) {
                    let input = meta.value()?;
                    if input.peek(LitStr) {
                        let lit: LitStr = input.parse()?;
                        Some(lit.parse::<Ident>().map_err(|_| {
                            syn::Error::new(lit.span(), "`patch` expects a type name")
                        })?)
                    } else {
                        Some(input.parse::<Ident>().map_err(|e| {
                            syn::Error::new(e.span(), "`patch` expects a type name")
                        })?)
                    }
                } else {
                    no_value(cx, &meta, "patch")?;
                    None
                };
            if out.patch.replace((span, name)).is_some() {
                cx.error(span, "duplicate merge attribute `patch`");
            }
        } else if meta.path.is_ident("validate") {
            let path = path_value(&meta, "validate")?;
            if out.validate.replace((span, path)).is_some() {
                cx.error(span, "duplicate merge attribute `validate`");
            }
        } else {
            let shown = meta
                .path
                .get_ident()
                .map(|i| format!("unknown merge attribute `{i}`"))
                .unwrap_or_else(|| "unknown merge attribute".to_owned());
            let field_level = meta.path.get_ident().is_some_and(|i| {
                matches!(
                    i.to_string().as_str(),
                    "skip"
                        | "atomic"
                        | "immutable"
                        | "keep"
                        | "append"
                        | "prepend"
                        | "union"
                        | "by_key"
                        | "with"
                )
            });
            let hint = if field_level {
                "; it belongs on a field".to_owned()
            } else {
                format!("; expected one of {CONTAINER_ATTRS}")
            };
            cx.error(span, format!("{shown} on a type{hint}"));
            skip_value(&meta)?;
        }
        Ok(())
    });
    out
}

/// `#[merge]` and `#[merge = ...]` are errors: the attribute takes a list.
fn list_only(attr: &Attribute) -> syn::Result<()> {
    match &attr.meta {
        syn::Meta::List(_) => Ok(()),
        other => Err(syn::Error::new(
            other.span(),
            "expected `#[merge(...)]` with a list of attributes",
        )),
    }
}

/// Attributes `#[merge(...)]` on an enum variant: none exist yet.
pub fn variant_attrs(cx: &Ctxt, attrs: &[Attribute]) {
    for attr in merge_attrs(attrs) {
        cx.error(
            attr.meta.path().span(),
            "`#[merge(...)]` attributes are not supported on enum variants; put them on fields",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn messages(cx: Ctxt) -> Vec<String> {
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn field_strategies_parse_with_their_values() {
        let cases: [(Attribute, &str); 5] = [
            (parse_quote!(#[merge(immutable)]), "immutable"),
            (parse_quote!(#[merge(atomic)]), "atomic"),
            (parse_quote!(#[merge(by_key = id)]), "by_key"),
            (parse_quote!(#[merge(by_key = "id")]), "by_key"),
            (parse_quote!(#[merge(with = crate::f)]), "with"),
        ];
        for (attr, name) in cases {
            let cx = Ctxt::default();
            let attrs = field_attrs(&cx, &[attr]);
            assert_eq!(messages(cx), Vec::<String>::new());
            assert_eq!(attrs.strategy.map(|s| s.kind.name()), Some(name));
        }
    }

    #[test]
    fn misuse_is_reported_all_at_once() {
        let cx = Ctxt::default();
        let attrs = [
            parse_quote!(#[merge(skip = 1)]),
            parse_quote!(#[merge(append, prepend)]),
            parse_quote!(#[merge(apend)]),
        ];
        field_attrs(&cx, &attrs);
        assert_eq!(
            messages(cx),
            [
                "`skip` takes no value",
                "conflicting merge strategies `skip` and `append`: a field takes one",
                "conflicting merge strategies `skip` and `prepend`: a field takes one",
                format!("unknown merge attribute `apend`; expected one of {FIELD_ATTRS}").as_str(),
            ]
        );
    }

    #[test]
    fn container_attributes_parse_and_field_ones_are_pointed_at_fields() {
        let cx = Ctxt::default();
        let attrs: [Attribute; 2] = [
            parse_quote!(#[merge(patch = ServiceBody, validate = check)]),
            parse_quote!(#[merge(crate = ::my::conjungo)]),
        ];
        let out = container_attrs(&cx, &attrs);
        assert_eq!(messages(cx), Vec::<String>::new());
        assert_eq!(out.patch.and_then(|(_, name)| name).unwrap(), "ServiceBody");
        let (_, path) = out.validate.unwrap();
        assert!(path.is_ident("check"));
        assert!(out.krate.is_some());

        let cx = Ctxt::default();
        container_attrs(&cx, &[parse_quote!(#[merge(immutable)])]);
        assert_eq!(
            messages(cx),
            ["unknown merge attribute `immutable` on a type; it belongs on a field"]
        );
    }
}
