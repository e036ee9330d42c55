#!/usr/bin/env python3
"""Writes the sandbox's built-in JSON Schemas (a Swift string literal) from schemas-1.33.json.

Descriptions and examples are dropped: the sandbox validates, it does not document.
"""
import json
import sys

src, dst = sys.argv[1], sys.argv[2]
doc = json.load(open(src))


def strip(x):
    if isinstance(x, dict):
        # Documentation is a string; a property that happens to be named so is an object.
        return {
            k: strip(v)
            for k, v in x.items()
            if not (k in ("description", "example", "externalDocs") and not isinstance(v, dict))
        }
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


data = json.dumps({"defs": strip(doc["$defs"]), "kinds": doc["kinds"]}, separators=(",", ":"), sort_keys=True)
assert '"""#' not in data
with open(dst, "w") as f:
    f.write("// The strict JSON Schemas of the built-in kinds of Kubernetes 1.33, with their server-side-apply\n")
    f.write("// list keys, from shared/kube/schemas-1.33.json; regenerate with `make schema-data`.\n")
    f.write('let builtinSchemasJSON = #"""\n' + data + '\n"""#\n')
