#!/usr/bin/env python3
"""Replay conjungo's updates with montydb (an embedded MongoDB-compatible engine, PyPI
`montydb`), independently of the repo's own applier (src/mongo.rs).

Input: JSON lines {"stored", "update", "merged"} in canonical Extended JSON, as written by
`cargo run -q --example dump_updates`. For each line: insert `stored`, run
`update_one({"_id": ...}, update)`, read the document back and compare it with `merged`
(values and BSON types, in canonical Extended JSON; field order is not compared). Prints the
counts and exits 1 on any mismatch or refused update.

Known montydb 2.5.6 differences from MongoDB: `{"$set": {"q": {}}}` on a document without `q`
leaves it unchanged (MongoDB creates `q: {}`), and keys containing `.` are refused in stored
documents (MongoDB 5.0+ stores them), so the generated cases avoid those keys.
"""
import json
import sys

from bson import json_util
from montydb import MontyClient


def canonical(doc):
    return json.loads(json_util.dumps(doc, json_options=json_util.CANONICAL_JSON_OPTIONS))


def main(path):
    col = MontyClient(":memory:").db.cases
    ok = bad = 0
    with open(path) as lines:
        for n, line in enumerate(lines, 1):
            case = json.loads(line)
            stored = json_util.loads(json.dumps(case["stored"]))
            update = json_util.loads(json.dumps(case["update"]))
            col.delete_many({})
            col.insert_one(stored)
            try:
                if update:
                    col.update_one({"_id": stored["_id"]}, update)
            except Exception as e:  # montydb refused the update
                bad += 1
                print(f"line {n}: refused {update}: {e}")
                continue
            got = canonical(col.find_one({"_id": stored["_id"]}))
            if got != case["merged"]:
                bad += 1
                print(f"line {n}: update {case['update']}\n  got      {got}\n  expected {case['merged']}")
            else:
                ok += 1
    print(f"{ok} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
