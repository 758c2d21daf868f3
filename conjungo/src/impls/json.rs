//! `serde_json::Value` and `Map`: conjungo's rules for dynamic values (DESIGN §3, §6).

use serde_json::{Map, Value};

use super::seqs::merge_seq;
use crate::json::kind;
use crate::{Apply, Check, CustomFn, Error, ErrorKind, Merge, Mismatch, NullStrategy, Options};

impl Merge for Value {
    const FALLIBLE: bool = true;

    fn check(&self, source: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
        check_value(self, source, cx)
    }

    fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
        apply_value(self, source, cx)
    }

    #[inline]
    fn custom_fn(options: &Options) -> Option<CustomFn<'_, Self>> {
        options.type_fn::<Self>()
    }

    fn snapshot(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl Merge for Map<String, Value> {
    const FALLIBLE: bool = true;

    fn check(&self, source: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
        cx.nested(|cx| check_map(self, source, cx))
    }

    fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
        apply_map(self, source, cx)
    }

    #[inline]
    fn custom_fn(options: &Options) -> Option<CustomFn<'_, Self>> {
        options.type_fn::<Self>()
    }

    fn snapshot(&self) -> Option<Self> {
        Some(self.clone())
    }
}

fn mismatch(target: &Value, source: &Value) -> Error {
    Error::new(ErrorKind::TypeMismatch {
        target: kind(target),
        source: kind(source),
    })
}

fn check_value(target: &Value, source: &Value, cx: &mut Check<'_>) -> Result<(), Error> {
    if source.is_null() {
        return Ok(());
    }
    if target.is_null() {
        return check_taken(source, cx);
    }
    let (target_kind, source_kind) = (kind(target), kind(source));
    if target_kind != source_kind {
        return match cx.options().mismatch {
            Mismatch::Error => Err(mismatch(target, source)),
            Mismatch::Replace => check_taken(source, cx),
            Mismatch::Keep => Ok(()),
        };
    }
    if let Some(f) = cx.options().kind_fn::<Value>(target_kind) {
        return cx.custom(Some(target.clone()), Some(source.clone()), f);
    }
    match (target, source) {
        (Value::Object(target), Value::Object(source)) => {
            cx.nested(|cx| check_map(target, source, cx))
        }
        _ => Ok(()),
    }
}

fn check_map(
    target: &Map<String, Value>,
    source: &Map<String, Value>,
    cx: &mut Check<'_>,
) -> Result<(), Error> {
    for (key, source) in source {
        if source.is_null() {
            continue;
        }
        let result = match target.get(key) {
            Some(target) => cx.merge(target, source),
            None => check_taken(source, cx),
        };
        result.map_err(|e| e.at_key(key))?;
    }
    Ok(())
}

/// A source value taken as a whole: under `NullStrategy::Delete` its nested nulls are
/// removed, a recursion that must stay within the depth limit.
fn check_taken(source: &Value, cx: &mut Check<'_>) -> Result<(), Error> {
    if cx.options().nulls != NullStrategy::Delete {
        return Ok(());
    }
    match source {
        Value::Object(map) => cx.nested(|cx| {
            for (key, value) in map {
                check_taken(value, cx).map_err(|e| e.at_key(key))?;
            }
            Ok(())
        }),
        _ => Ok(()),
    }
}

/// Remove the nulls of every object reached through objects (RFC 7396: a patch object
/// inserted where the target has none is merged into `{}`). Arrays are taken verbatim.
fn strip_nulls(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|_, v| !v.is_null());
        for v in map.values_mut() {
            strip_nulls(v);
        }
    }
}

#[inline]
fn take(mut source: Value, options: &Options) -> Value {
    if options.nulls == NullStrategy::Delete {
        strip_nulls(&mut source);
    }
    source
}

fn apply_value(target: &mut Value, source: Value, cx: &mut Apply<'_>) -> Result<(), Error> {
    let options = cx.options();
    if source.is_null() {
        match options.nulls {
            NullStrategy::Skip => {}
            NullStrategy::Delete => *target = Value::Null,
            NullStrategy::Set => {
                if options.overwrite {
                    *target = Value::Null;
                }
            }
        }
        return Ok(());
    }
    if target.is_null() {
        *target = take(source, options);
        return Ok(());
    }
    let target_kind = kind(target);
    if target_kind != kind(&source) {
        return match options.mismatch {
            Mismatch::Error => Err(mismatch(target, &source)),
            Mismatch::Replace => {
                *target = take(source, options);
                Ok(())
            }
            Mismatch::Keep => Ok(()),
        };
    }
    if let Some(f) = options.kind_fn::<Value>(target_kind) {
        return cx.custom(target, source, f);
    }
    match (target, source) {
        (Value::Object(target), Value::Object(source)) => apply_map(target, source, cx),
        (Value::Array(target), Value::Array(source)) => {
            merge_seq(target, source, options);
            Ok(())
        }
        (target, source) => {
            if options.overwrite {
                *target = source;
            }
            Ok(())
        }
    }
}

fn apply_map(
    target: &mut Map<String, Value>,
    source: Map<String, Value>,
    cx: &mut Apply<'_>,
) -> Result<(), Error> {
    let options = cx.options();
    for (key, source) in source {
        if source.is_null() {
            match options.nulls {
                NullStrategy::Skip => {}
                NullStrategy::Delete => {
                    target.remove(&key);
                }
                NullStrategy::Set => match target.get_mut(&key) {
                    Some(target) => {
                        if options.overwrite {
                            *target = Value::Null;
                        }
                    }
                    None => {
                        target.insert(key, Value::Null);
                    }
                },
            }
            continue;
        }
        match target.get_mut(&key) {
            Some(target) => cx.merge(target, source).map_err(|e| e.at_key(&key))?,
            None => {
                target.insert(key, take(source, options));
            }
        }
    }
    Ok(())
}
