#!/usr/bin/env python3
"""Writes the sandbox's built-in discovery (a Swift string literal) from api-resources.json."""
import json
import sys

src, dst = sys.argv[1], sys.argv[2]
data = json.dumps(json.load(open(src)), separators=(",", ":"))
assert '"""#' not in data
with open(dst, "w") as f:
    f.write("// The legacy discovery of a real Kubernetes 1.33 cluster (24 APIResourceList documents),\n")
    f.write("// from shared/kube/api-resources.json; regenerate with `make discovery-data`.\n")
    f.write('let builtinDiscoveryJSON = #"""\n' + data + '\n"""#\n')
