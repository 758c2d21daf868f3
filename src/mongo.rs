//! An independent applier of MongoDB's update operators, written from MongoDB's manual
//! (update operators `$set`, `$unset`, `$push` with `$each`), for checking the update
//! documents conjungo produces. No MongoDB server is involved.
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
//! - numeric path segments index arrays; on documents they are field names.

use bson::{Bson, Document};

/// Apply `update` to `doc` as MongoDB would, or say why MongoDB would refuse it.
pub fn apply_update(doc: &Document, update: &Document) -> Result<Document, String> {
    let mut paths: Vec<String> = Vec::new();
    for (operator, fields) in update {
        if !matches!(operator.as_str(), "$set" | "$unset" | "$push") {
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
            paths.push(path.clone());
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
            match operator.as_str() {
                "$set" => set(&mut out, &segments, value.clone())?,
                "$unset" if segments.len() == 1 => {
                    top_unset.insert(path);
                }
                "$unset" => unset(&mut out, &segments),
                "$push" => push(&mut out, &segments, value)?,
                _ => unreachable!(),
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
