//! An independent applier of MongoDB's update operators, written from MongoDB's manual
//! (update operators `$set`, `$unset`, `$push` with `$each`, `$addToSet` with `$each`,
//! `$pull`, `$inc`, and the filtered positional operator `$[<identifier>]` with
//! `arrayFilters`), for checking the update documents conjungo produces. No MongoDB server
//! is involved; `scripts/montydb_replay.py` replays the same updates with montydb, an
//! independent embedded engine.
//!
//! Rules implemented:
//! - the update holds only operators, each mapping dotted paths to values;
//! - a path that equals or is a prefix of another path in the same update is a conflict
//!   ("Updating the path 'a' would create a conflict at 'a'") and the update fails;
//! - `$set` creates missing embedded documents along the path, replaces an existing field
//!   in place and appends a new field at the end of its document; a path through a value
//!   that is neither a document nor an array fails ("Cannot create field");
//! - `$unset` removes the field; a missing field or a missing parent is a no-op;
//! - `$push` with `$each` appends the items to an array, creates the array if the field
//!   is missing, and fails if the field is not an array;
//! - since MongoDB 5.0 each operator processes its fields in lexicographic order;
//! - numeric path segments index arrays; on documents they are field names;
//! - `$[id]` in a path stands for every element of the array there that matches the array
//!   filter named `id` (`{"id.field": value}` or `{"id": value}`, equality only); every
//!   identifier used must have one filter and every filter must be used, else the update
//!   fails ("No array filter found for identifier", "The array filter for identifier …
//!   was not used in the update"); paths with different identifiers do not conflict;
//! - `$addToSet` with `$each` appends each item not already in the array (documents equal
//!   with their field order), creating the array if missing;
//! - `$pull` removes the items that match its condition: a value (equality), `{"$in": [..]}`
//!   (equal to one of them), or a document of field conditions on document items (each
//!   field equal to a value or `$in` a list); a missing field is a no-op;
//! - `$inc` adds to a number (Int32 overflowing to Int64), or sets the field when missing.

use bson::{Bson, Document};

/// Apply `update` to `doc` as MongoDB would, or say why MongoDB would refuse it.
pub fn apply_update(doc: &Document, update: &Document) -> Result<Document, String> {
    apply_update_with(doc, update, &[])
}

/// [`apply_update`] of a conjungo `Applied`: its update with its array filters.
pub fn apply_applied(
    doc: &Document,
    applied: &conjungo::patch::Applied,
) -> Result<Document, String> {
    apply_update_with(doc, &applied.update, &applied.array_filters)
}

/// Whether `doc` matches a write's query `filter` (field equality on dotted paths, as the
/// filters of `Applied::filter` are written); an empty filter matches every document.
pub fn matches_filter(doc: &Document, filter: &Document) -> bool {
    filter
        .iter()
        .all(|(path, want)| nested_equals(doc, path, want))
}

fn nested_equals(doc: &Document, path: &str, want: &Bson) -> bool {
    let mut segments = path.split('.');
    let mut cur = segments.next().and_then(|first| doc.get(first));
    for segment in segments {
        cur = cur.and_then(Bson::as_document).and_then(|d| d.get(segment));
    }
    cur == Some(want)
}

/// [`apply_update`] with the update's `arrayFilters`.
pub fn apply_update_with(
    doc: &Document,
    update: &Document,
    array_filters: &[Document],
) -> Result<Document, String> {
    let filters = parse_filters(array_filters)?;
    let mut used: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut paths: Vec<String> = Vec::new();
    for (operator, fields) in update {
        if !matches!(
            operator.as_str(),
            "$set" | "$unset" | "$push" | "$addToSet" | "$pull" | "$inc"
        ) {
            return Err(format!("unknown or unexpected operator {operator}"));
        }
        let fields = fields
            .as_document()
            .ok_or("operator value must be a document")?;
        if fields.is_empty() {
            return Err(format!("{operator} with no fields"));
        }
        for (path, _) in fields {
            if path.is_empty() || path.split('.').any(str::is_empty) {
                return Err(format!("empty path segment in {path:?}"));
            }
            for segment in path.split('.') {
                if let Some(id) = identifier(segment) {
                    if !filters.contains_key(id) {
                        return Err(format!(
                            "No array filter found for identifier '{id}' in path '{path}'"
                        ));
                    }
                    used.insert(id.to_owned());
                } else if segment.starts_with('$') {
                    return Err(format!("unsupported positional segment {segment:?}"));
                }
            }
            paths.push(path.clone());
        }
    }
    for id in filters.keys() {
        if !used.contains(id) {
            return Err(format!(
                "The array filter for identifier '{id}' was not used in the update"
            ));
        }
    }
    // Sorted by segments, a path's extensions follow it directly: a conflict (a path equal
    // to, or a prefix of, another) shows between neighbours.
    let mut split: Vec<Vec<&str>> = paths.iter().map(|p| p.split('.').collect()).collect();
    split.sort();
    for pair in split.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if b.len() >= a.len() && b[..a.len()] == a[..] {
            return Err(format!(
                "Updating the path '{}' would create a conflict at '{}'",
                a.join("."),
                b.join(".")
            ));
        }
    }
    let mut out = doc.clone();
    for (operator, fields) in update {
        let fields = fields.as_document().expect("checked");
        let mut sorted: Vec<(&String, &Bson)> = fields.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        // Top-level removals at once (one by one, each would shift the document: slow
        // for the large updates of the complexity tests, same result).
        let mut top_unset: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (path, value) in sorted {
            let segments: Vec<&str> = path.split('.').collect();
            if segments.iter().any(|s| identifier(s).is_some()) {
                positional(&mut out, &segments, &filters, &mut |doc, rest| {
                    apply_one(doc, operator, rest, value)
                })?;
                continue;
            }
            match operator.as_str() {
                "$unset" if segments.len() == 1 => {
                    top_unset.insert(path);
                }
                _ => apply_one(&mut out, operator, &segments, value)?,
            }
        }
        if !top_unset.is_empty() {
            out = std::mem::take(&mut out)
                .into_iter()
                .filter(|(k, _)| !top_unset.contains(k.as_str()))
                .collect();
        }
    }
    Ok(out)
}

fn apply_one(
    doc: &mut Document,
    operator: &str,
    segments: &[&str],
    value: &Bson,
) -> Result<(), String> {
    match operator {
        "$set" => set(doc, segments, value.clone()),
        "$unset" => {
            unset(doc, segments);
            Ok(())
        }
        "$push" => push(doc, segments, value),
        "$addToSet" => add_to_set(doc, segments, value),
        "$pull" => pull(doc, segments, value),
        "$inc" => inc(doc, segments, value),
        _ => unreachable!(),
    }
}

/// The identifier of a `$[identifier]` segment.
fn identifier(segment: &str) -> Option<&str> {
    segment
        .strip_prefix("$[")?
        .strip_suffix(']')
        .filter(|id| !id.is_empty())
}

/// Array filters by identifier: `(path below the element, value)` (an empty path: the
/// element itself).
type Filters = std::collections::HashMap<String, (Vec<String>, Bson)>;

fn parse_filters(array_filters: &[Document]) -> Result<Filters, String> {
    let mut out = Filters::new();
    for filter in array_filters {
        if filter.len() != 1 {
            return Err(format!(
                "this applier models one condition per array filter: {filter}"
            ));
        }
        let (path, value) = filter.iter().next().expect("one");
        let mut segments = path.split('.').map(str::to_owned);
        let id = segments.next().expect("split yields one");
        if value
            .as_document()
            .is_some_and(|d| d.keys().any(|k| k.starts_with('$')))
        {
            return Err(format!(
                "this applier models equality filters only: {filter}"
            ));
        }
        if out
            .insert(id.clone(), (segments.collect(), value.clone()))
            .is_some()
        {
            return Err(format!(
                "Found multiple array filters with the same top-level field name {id}"
            ));
        }
    }
    Ok(out)
}

/// An operation applied inside one matching array element, to the rest of the path.
type ElementOp<'a> = dyn FnMut(&mut Document, &[&str]) -> Result<(), String> + 'a;

/// Run `f` on the part of the path after the first `$[id]`, for every matching element of
/// the array before it (the rest is applied inside the element, itself a document).
fn positional(
    doc: &mut Document,
    segments: &[&str],
    filters: &Filters,
    f: &mut ElementOp<'_>,
) -> Result<(), String> {
    let at = segments
        .iter()
        .position(|s| identifier(s).is_some())
        .expect("has an identifier");
    let id = identifier(segments[at]).expect("checked");
    let (sub, want) = &filters[id];
    let array = if at == 0 {
        return Err("a path cannot start with $[]".into());
    } else {
        match walk(doc, &segments[..at], false)? {
            Some(Bson::Array(items)) => items,
            Some(_) => {
                return Err(format!(
                    "the path {} must be an array for $[{id}]",
                    segments[..at].join(".")
                ));
            }
            None => {
                return Err(format!(
                    "The path '{}' must exist in the document in order to apply array updates.",
                    segments[..at].join(".")
                ));
            }
        }
    };
    let rest = &segments[at + 1..];
    for item in array.iter_mut() {
        let mut here = Some(&*item);
        for s in sub {
            here = here.and_then(|h| h.as_document()).and_then(|d| d.get(s));
        }
        if here != Some(want) {
            continue;
        }
        if rest.is_empty() {
            return Err("this applier models $[id] followed by a field".into());
        }
        let Bson::Document(element) = item else {
            return Err("this applier models $[id] on arrays of documents".into());
        };
        if rest.iter().any(|s| identifier(s).is_some()) {
            positional(element, rest, filters, f)?;
        } else {
            f(element, rest)?;
        }
    }
    Ok(())
}

/// The array at `segments`, created empty when missing.
fn array_at<'a>(
    doc: &'a mut Document,
    segments: &[&str],
    create: bool,
) -> Result<Option<&'a mut Vec<Bson>>, String> {
    let (last, parents) = segments.split_last().expect("non-empty");
    let parent: &mut Document = if parents.is_empty() {
        doc
    } else {
        match walk(doc, parents, create)? {
            Some(Bson::Document(d)) => d,
            None => return Ok(None),
            _ => return Err("an array operator under a non-document".into()),
        }
    };
    if !parent.contains_key(*last) {
        if !create {
            return Ok(None);
        }
        parent.insert(*last, Bson::Array(Vec::new()));
    }
    match parent.get_mut(*last) {
        Some(Bson::Array(items)) => Ok(Some(items)),
        Some(other) => Err(format!(
            "Cannot apply $addToSet/$pull to non-array field '{last}': {other}"
        )),
        None => unreachable!("inserted"),
    }
}

fn add_to_set(doc: &mut Document, segments: &[&str], spec: &Bson) -> Result<(), String> {
    let each = spec
        .as_document()
        .and_then(|d| d.get_array("$each").ok())
        .ok_or("this applier models $addToSet only with $each")?
        .clone();
    let items = array_at(doc, segments, true)?.expect("created");
    for item in each {
        if !items.iter().any(|have| same_order(have, &item)) {
            items.push(item);
        }
    }
    Ok(())
}

fn pull(doc: &mut Document, segments: &[&str], condition: &Bson) -> Result<(), String> {
    let Some(items) = array_at(doc, segments, false)? else {
        return Ok(());
    };
    let mut failure = None;
    items.retain(|item| match matches_condition(item, condition) {
        Ok(hit) => !hit,
        Err(e) => {
            failure = Some(e);
            true
        }
    });
    failure.map_or(Ok(()), Err)
}

/// Whether an array item matches a `$pull` condition.
fn matches_condition(item: &Bson, condition: &Bson) -> Result<bool, String> {
    let Some(cond) = condition.as_document() else {
        return Ok(same_order(item, condition));
    };
    if cond.keys().all(|k| k.starts_with('$')) {
        return operator_matches(item, cond);
    }
    if cond.keys().any(|k| k.starts_with('$')) {
        return Err(format!("mixed operators and fields in {cond}"));
    }
    let Some(fields) = item.as_document() else {
        return Ok(false);
    };
    for (field, want) in cond {
        let have = fields.get(field).cloned().unwrap_or(Bson::Null);
        let hit = match want.as_document() {
            Some(ops) if ops.keys().all(|k| k.starts_with('$')) && !ops.is_empty() => {
                operator_matches(&have, ops)?
            }
            _ => same_order(&have, want),
        };
        if !hit {
            return Ok(false);
        }
    }
    Ok(true)
}

fn operator_matches(value: &Bson, ops: &Document) -> Result<bool, String> {
    for (op, arg) in ops {
        match op.as_str() {
            "$in" => {
                let list = arg.as_array().ok_or("$in needs an array")?;
                if !list.iter().any(|x| same_order(value, x)) {
                    return Ok(false);
                }
            }
            other => return Err(format!("this applier does not model {other}")),
        }
    }
    Ok(true)
}

fn inc(doc: &mut Document, segments: &[&str], amount: &Bson) -> Result<(), String> {
    let (last, parents) = segments.split_last().expect("non-empty");
    let parent: &mut Document = if parents.is_empty() {
        doc
    } else {
        match walk(doc, parents, true)? {
            Some(Bson::Document(d)) => d,
            _ => return Err("$inc under a non-document".into()),
        }
    };
    let new = match (parent.get(*last), amount) {
        (None, n @ (Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_))) => n.clone(),
        (Some(Bson::Int32(a)), Bson::Int32(b)) => a
            .checked_add(*b)
            .map_or(Bson::Int64(i64::from(*a) + i64::from(*b)), Bson::Int32),
        (Some(Bson::Int32(a)), Bson::Int64(b)) => Bson::Int64(i64::from(*a) + b),
        (Some(Bson::Int64(a)), Bson::Int32(b)) => Bson::Int64(a + i64::from(*b)),
        (Some(Bson::Int64(a)), Bson::Int64(b)) => {
            Bson::Int64(a.checked_add(*b).ok_or("integer overflow")?)
        }
        (Some(Bson::Double(a)), Bson::Int32(b)) => Bson::Double(a + f64::from(*b)),
        (Some(Bson::Double(a)), Bson::Double(b)) => Bson::Double(a + b),
        (have, _) => {
            return Err(format!(
                "Cannot apply $inc to a value of non-numeric type: {have:?} + {amount}"
            ));
        }
    };
    parent.insert(*last, new);
    Ok(())
}

fn child<'a>(
    parent: &'a mut Bson,
    segment: &str,
    create: bool,
) -> Result<Option<&'a mut Bson>, String> {
    match parent {
        Bson::Document(doc) => {
            if !doc.contains_key(segment) {
                if !create {
                    return Ok(None);
                }
                doc.insert(segment, Document::new());
            }
            Ok(doc.get_mut(segment))
        }
        Bson::Array(items) => match segment.parse::<usize>() {
            Ok(i) if i < items.len() => Ok(items.get_mut(i)),
            Ok(_) if create => Err("padding arrays is not modelled".into()),
            Ok(_) => Ok(None),
            Err(_) => Err(format!("Cannot create field '{segment}' in an array")),
        },
        other => {
            if create {
                Err(format!(
                    "Cannot create field '{segment}' in element {other}"
                ))
            } else {
                Ok(None)
            }
        }
    }
}

fn walk<'a>(
    doc: &'a mut Document,
    parents: &[&str],
    create: bool,
) -> Result<Option<&'a mut Bson>, String> {
    let (first, rest) = parents.split_first().expect("non-empty");
    if !doc.contains_key(*first) {
        if !create {
            return Ok(None);
        }
        doc.insert(*first, Document::new());
    }
    let mut cur = doc.get_mut(*first).expect("present");
    for segment in rest {
        match child(cur, segment, create)? {
            Some(next) => cur = next,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

fn set(doc: &mut Document, segments: &[&str], value: Bson) -> Result<(), String> {
    let (last, parents) = segments.split_last().expect("non-empty");
    if parents.is_empty() {
        doc.insert(*last, value);
        return Ok(());
    }
    let parent = walk(doc, parents, true)?.expect("created");
    match parent {
        Bson::Document(d) => {
            d.insert(*last, value);
            Ok(())
        }
        Bson::Array(items) => match last.parse::<usize>() {
            Ok(i) if i < items.len() => {
                items[i] = value;
                Ok(())
            }
            _ => Err("array index out of range or not a number".into()),
        },
        other => Err(format!("Cannot create field '{last}' in element {other}")),
    }
}

fn unset(doc: &mut Document, segments: &[&str]) {
    let (last, parents) = segments.split_last().expect("non-empty");
    if parents.is_empty() {
        doc.remove(*last);
        return;
    }
    if let Ok(Some(parent)) = walk(doc, parents, false) {
        match parent {
            Bson::Document(d) => {
                d.remove(*last);
            }
            Bson::Array(items) => {
                if let Ok(i) = last.parse::<usize>()
                    && i < items.len()
                {
                    items[i] = Bson::Null;
                }
            }
            _ => {}
        }
    }
}

fn push(doc: &mut Document, segments: &[&str], spec: &Bson) -> Result<(), String> {
    let each = spec
        .as_document()
        .and_then(|d| d.get_array("$each").ok())
        .ok_or("this applier models $push only with $each")?
        .clone();
    let (last, parents) = segments.split_last().expect("non-empty");
    let parent: &mut Document = if parents.is_empty() {
        doc
    } else {
        match walk(doc, parents, true)? {
            Some(Bson::Document(d)) => d,
            _ => return Err("$push under a non-document".into()),
        }
    };
    match parent.get_mut(*last) {
        None => {
            parent.insert(*last, each);
            Ok(())
        }
        Some(Bson::Array(items)) => {
            items.extend(each);
            Ok(())
        }
        Some(other) => Err(format!(
            "The field '{last}' must be an array but is {other}"
        )),
    }
}

/// Documents equal with their field order (bson's own `==` ignores the order).
pub fn same_order(a: &Bson, b: &Bson) -> bool {
    match (a, b) {
        (Bson::Document(x), Bson::Document(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && same_order(va, vb))
        }
        (Bson::Array(x), Bson::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_order(a, b))
        }
        _ => a == b,
    }
}
