#!/usr/bin/env python3
"""Validates every built-in object in kip's golden manifests with kubernetes-validate.

An independent check that kip never writes an object a real API server would refuse:
each Deployment, Service, Secret, … in Tests/*/Golden is validated strictly (unknown
fields are errors) against the schemas of the given Kubernetes versions. kip's own kinds
(kipper.run) are left to the CRD schemas and skipped here.

usage: validate-manifests.py KUBERNETES_VALIDATE_BIN VERSION...
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

validator, versions = sys.argv[1], sys.argv[2:]


def objects(doc):
    if isinstance(doc, list):
        for d in doc:
            yield from objects(d)
    elif isinstance(doc, dict):
        if doc.get("kind") == "List" or (isinstance(doc.get("items"), list) and "kind" not in doc):
            yield from objects(doc.get("items", []))
        elif "apiVersion" in doc and "kind" in doc:
            yield doc


found = []
for path in sorted(glob.glob("Tests/*/Golden/**/*.json", recursive=True)):
    with open(path) as f:
        try:
            doc = json.load(f)
        except json.JSONDecodeError:
            continue
    for o in objects(doc):
        if not o["apiVersion"].startswith("kipper.run/"):
            found.append((path, o))

if not found:
    print("validate-manifests: no built-in objects found in the golden files", file=sys.stderr)
    sys.exit(1)

with tempfile.TemporaryDirectory() as tmp:
    files = []
    for i, (path, o) in enumerate(found):
        name = os.path.join(tmp, f"{i:04d}-{o['kind']}-{o['metadata'].get('name', '')}.json")
        with open(name, "w") as f:
            json.dump(o, f)
        files.append(name)
    failed = False
    for v in versions:
        r = subprocess.run([validator, "--strict", "--quiet", "-k", v] + files, capture_output=True, text=True)
        errors = [l for l in (r.stdout + r.stderr).splitlines() if l.startswith("ERROR") or "Traceback" in l]
        if r.returncode != 0 or errors:
            failed = True
            print(f"validate-manifests: Kubernetes {v}:", file=sys.stderr)
            print(r.stdout + r.stderr, file=sys.stderr)
        else:
            print(f"validate-manifests: {len(files)} objects from the golden files are valid for Kubernetes {v} (strict)")
    sys.exit(1 if failed else 0)
