#!/usr/bin/env python3
"""Replay conjungo's updates with montydb (an embedded MongoDB-compatible engine, PyPI
`montydb`), independently of the repo's own applier (src/mongo.rs).

Input: JSON lines {"stored", "update", "merged"} (and, for typed patches with keyed lists
or versions, "array_filters" and "filter") in canonical Extended JSON, as written by
`cargo run -q --example dump_updates`. For each line: insert `stored`, run
`update_one({"_id": ..., **filter}, update, array_filters=...)`, check that it matched,
read the document back and compare it with `merged`
(values and BSON types, in canonical Extended JSON; field order is not compared). Prints the
counts and exits 1 on any mismatch or refused update.

Known montydb 2.5.6 differences from MongoDB, and what this script does about them:
- `{"$set": {"q": {}}}` on a document without `q` leaves it unchanged (MongoDB creates
  `q: {}`), and keys containing `.` are refused in stored documents (MongoDB 5.0+ stores
  them), so the generated cases avoid those keys;
- of two paths below one nested document under the same `$[id]` (`a.$[k0].g.lat` and
  `a.$[k0].g.lon`), montydb applies only the first (checked by hand: a two-path update on a
  one-item array). Such updates are replayed one path at a time, each with the array
  filters it uses: the same result in MongoDB, whose paths in one update never overlap;
- `$inc` of an Int64 gives a plain integer (MongoDB keeps Int64): fields under `$inc` are
  compared by value.
"""
import json
import sys

from bson import json_util
from montydb import MontyClient


def canonical(doc):
    return json.loads(json_util.dumps(doc, json_options=json_util.CANONICAL_JSON_OPTIONS))


def split(update, filters):
    """One single-path update per path, each with the array filters it uses."""
    for op, fields in update.items():
        for path, value in fields.items():
            used = [f for f in filters if "$[" + next(iter(f)).split(".")[0] + "]" in path]
            yield {op: {path: value}}, used


def by_value(doc, paths):
    """`doc` (canonical JSON) with the top-level integers at `paths` as plain numbers."""
    doc = dict(doc)
    for path in paths:
        v = doc.get(path)
        if isinstance(v, dict) and len(v) == 1 and next(iter(v)) in ("$numberInt", "$numberLong"):
            doc[path] = int(next(iter(v.values())))
    return doc


def main(path):
    col = MontyClient(":memory:").db.cases
    ok = bad = 0
    with open(path) as lines:
        for n, line in enumerate(lines, 1):
            case = json.loads(line)
            stored = json_util.loads(json.dumps(case["stored"]))
            update = json_util.loads(json.dumps(case["update"]))
            filters = json_util.loads(json.dumps(case.get("array_filters", [])))
            query = {"_id": stored["_id"]}
            query.update(json_util.loads(json.dumps(case.get("filter", {}))))
            col.delete_many({})
            col.insert_one(stored)
            try:
                paths = [p for fields in update.values() for p in fields]
                shared = any(
                    sum("$[" + next(iter(f)).split(".")[0] + "]" in p for p in paths) > 1
                    for f in filters
                )
                steps = list(split(update, filters)) if shared else [(update, filters)]
                for step, used in steps if update else []:
                    result = col.update_one(query, step, array_filters=used or None)
                    if result.matched_count != 1:
                        raise RuntimeError(f"the filter {query} matched nothing")
                    # The version filter matches the document as read: the steps after
                    # the `$inc` run against the document by `_id` alone.
                    query = {"_id": stored["_id"]}
            except Exception as e:  # montydb refused the update
                bad += 1
                print(f"line {n}: refused {update}: {e}")
                continue
            got = canonical(col.find_one({"_id": stored["_id"]}))
            incremented = list(update.get("$inc", {}))
            if by_value(got, incremented) != by_value(case["merged"], incremented):
                bad += 1
                print(f"line {n}: update {case['update']}\n  got      {got}\n  expected {case['merged']}")
            else:
                ok += 1
    print(f"{ok} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
