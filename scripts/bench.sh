#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail): kubectl processes each kip command starts and its
# wall time, next to one raw `kubectl apply --server-side` (or get) of the same objects,
# all against one kip-sandbox on this machine.
set -euo pipefail
bin="${1:-.build/release}"
work="$(mktemp -d)"
export KIP_HOME="$work/kip" KUBECONFIG="$work/kubeconfig" KUBECACHEDIR="$work/kube-cache" NO_COLOR=1
"$bin/kip-sandbox" --port 0 --kubeconfig-out "$KUBECONFIG" --request-log "$work/requests.jsonl" > "$work/sandbox.log" 2>&1 &
sandbox=$!
trap 'kill $sandbox 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do [ -f "$KUBECONFIG" ] && break; sleep 0.05; done

now_ms() { date +%s%3N; }
# run_kip LABEL ARGS...: prints processes and ms
measure_kip() {
  local label="$1"; shift
  local t0 t1 calls
  t0=$(now_ms)
  "$bin/kip" -v "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  t1=$(now_ms)
  calls=$(grep -c '^+ kubectl' "$work/err" || true)
  printf '%-44s %9s %10s' "$label" "$calls" "$((t1 - t0)) ms"
}
measure_raw() {
  local t0 t1
  t0=$(now_ms)
  "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  t1=$(now_ms)
  printf ' %14s\n' "$((t1 - t0)) ms"
}
# A kip --dry-run List turned into a JSON stream under another project name.
as_stream() {
  python3 -c '
import json, sys
doc = json.load(sys.stdin)
src, dst = sys.argv[1], sys.argv[2]
for o in doc["items"]:
    print(json.dumps(o).replace(src, dst))
' "$1" "$2"
}

"$bin/kip" install --domain apprunr.com > /dev/null
kubectl get namespaces > /dev/null   # warm kubectl's discovery cache

printf '%-44s %9s %10s %14s\n' "command" "kubectl" "kip" "raw kubectl"
for n in 1 3 10; do
  envs=$(python3 -c "print(','.join('e%d' % i for i in range($n)))")
  "$bin/kip" project create "raw$n" --environments "$envs" --dry-run -o json | as_stream "raw$n" "cmp$n" > "$work/raw$n.json"
  measure_kip "project create ($n environments)" project create "bench$n" --environments "$envs"
  measure_raw kubectl apply --server-side --field-manager=bench -f "$work/raw$n.json"
done

python3 -c '
import json
for i in range(200):
    print(json.dumps({"apiVersion": "kipper.run/v1alpha1", "kind": "Project",
        "metadata": {"name": "p%03d" % i, "labels": {"app.kubernetes.io/managed-by": "kip", "kipper.run/project": "p%03d" % i}},
        "spec": {"environments": [{"name": "test", "namespace": "p%03d-test" % i}]}}))
' > "$work/projects.json"
head -n 7 "$work/projects.json" > "$work/projects10.json"   # + the 3 created above = 10
kubectl apply --server-side --field-manager=bench -f "$work/projects10.json" > /dev/null
measure_kip "project list (10 projects)" project list
measure_raw kubectl get projects.kipper.run -o json
kubectl apply --server-side --field-manager=bench -f "$work/projects.json" > /dev/null
measure_kip "project list (203 projects)" project list
measure_raw kubectl get projects.kipper.run -o json

echo
echo "kip: processes started by one command; raw kubectl: one process."
echo "API requests served by the sandbox during the run: $(wc -l < "$work/requests.jsonl")"
