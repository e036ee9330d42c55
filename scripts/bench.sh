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
# measure_kip LABEL ARGS...: prints kubectl processes, sequential rounds and ms
measure_kip() {
  local label="$1"; shift
  local t0 t1 calls rounds
  t0=$(now_ms)
  "$bin/kip" -v "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  t1=$(now_ms)
  calls=$(grep -c '^+ kubectl' "$work/err" || true)
  rounds=$(sed -n 's/^kip: [0-9]* kubectl processes in \([0-9]*\) rounds$/\1/p' "$work/err")
  printf '%-54s %9s %7s %10s' "$label" "$calls" "${rounds:-?}" "$((t1 - t0)) ms"
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
    if o.get("kind") == "Secret":  # --dry-run hides secret values
        o["data"] = {k: "eA==" for k in o.get("data", {})}
    o.get("metadata", {}).pop("resourceVersion", None)  # a precondition of kip, not of the raw write
    print(json.dumps(o).replace(src, dst))
' "$1" "$2"
}

"$bin/kip" install --domain apprunr.com > /dev/null
kubectl get namespaces > /dev/null   # warm kubectl's discovery cache

printf '%-54s %9s %7s %10s %14s\n' "command" "kubectl" "rounds" "kip" "raw kubectl"
for n in 1 3 10; do
  envs=$(python3 -c "print(','.join('e%d' % i for i in range($n)))")
  "$bin/kip" project create "raw$n" --environments "$envs" --dry-run -o json | as_stream "raw$n" "cmp$n" > "$work/raw$n.json"
  measure_kip "project create ($n environments)" project create "bench$n" --environments "$envs"
  measure_raw kubectl apply --server-side --field-manager=bench --force-conflicts -f "$work/raw$n.json"
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

# Apps, promotion and copy. CRs for the bulk are written raw (kip's own labels), so the
# figures measure one kip command against an environment that already holds them.
gen() {  # gen KIND COUNT NAMESPACE ENV PREFIX SPEC_JSON
  python3 -c '
import json, sys
kind, n, ns, env, prefix, spec = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], json.loads(sys.argv[6])
for i in range(n):
    name = "%s%03d" % (prefix, i)
    s = dict(spec)
    print(json.dumps({"apiVersion": "kipper.run/v1alpha1", "kind": kind,
        "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/managed-by": "kip", "kipper.run/project": "shop", "kipper.run/environment": env}},
        "spec": s}))
' "$@"
}
"$bin/kip" project create shop --environments test,acc > /dev/null
"$bin/kip" project create big --environments test > /dev/null
for n in 1 200; do
  ns=shop-test
  [ "$n" = 200 ] && { gen App 199 shop-test test bulk '{"image":"r/bulk:1","port":80}' > "$work/bulk.json"; kubectl apply --server-side --field-manager=bench -f "$work/bulk.json" > /dev/null; }
  "$bin/kip" app deploy --name "cmp$n" --image r/api:1 --port 3000 --project shop/test --dry-run -o json | as_stream x x > "$work/app$n.json"
  measure_kip "app deploy ($n apps in the environment)" app deploy --name "api$n" --image r/api:1 --port 3000 --project shop/test
  measure_raw kubectl apply --server-side --field-manager=bench --force-conflicts -f "$work/app$n.json"
  measure_kip "app list ($n apps in the environment)" app list --project shop/test
  measure_raw kubectl get apps.kipper.run -n shop-test -o json
done

"$bin/kip" project create promo --environments test,acc,prod > /dev/null
gen App 50 promo-test test p '{"image":"r/p:2","port":80}' > "$work/p-test.json"
gen App 50 promo-acc acc p '{"image":"r/p:1","port":80}' > "$work/p-acc.json"
gen App 50 promo-acc acc p '{"image":"r/p:3","port":80}' > "$work/p-raw.json"
kubectl apply --server-side --field-manager=bench -f "$work/p-test.json" > /dev/null
kubectl apply --server-side --field-manager=bench -f "$work/p-acc.json" > /dev/null
# The Apps were written raw, so no controller runs them: --force promotes what no
# Deployment shows running.
measure_kip "app promote --all (50 apps)" app promote --all --from test --to acc --project promo --yes --force
measure_raw kubectl apply --server-side --field-manager=bench --force-conflicts -f "$work/p-raw.json"
measure_kip "app promote --all (creating 50 apps)" app promote --all --from acc --to prod --project promo --yes --force
gen App 50 promo-prod prod q '{"image":"r/p:3","port":80}' > "$work/p-new.json"
measure_raw kubectl apply --server-side --field-manager=bench -f "$work/p-new.json"

gen App 100 big-test test a '{"image":"r/a:1","port":80,"env":[{"name":"DB_URL","value":"postgres://db.big-test.svc"}]}' > "$work/big.json"
gen Service 10 big-test test s '{"type":"postgres","version":"16","storage":"1Gi"}' >> "$work/big.json"
gen Volume 10 big-test test v '{"size":"1Gi"}' >> "$work/big.json"
gen Job 10 big-test test j '{"image":"r/j:1","schedule":"0 1 * * *"}' >> "$work/big.json"
sed -i 's/"kipper.run\/project": "shop"/"kipper.run\/project": "big"/' "$work/big.json"
kubectl apply --server-side --field-manager=bench -f "$work/big.json" > /dev/null
"$bin/kip" project add-env big raw --copy-from test --dry-run -o json | as_stream x x > "$work/copy-raw.json"
measure_kip "copy environment (100 apps, 10 svc, 10 vol, 10 jobs)" project add-env big prod --copy-from test
measure_raw kubectl apply --server-side --field-manager=bench --force-conflicts -f "$work/copy-raw.json"

echo
echo "kip: processes started by one command; raw kubectl: one process."
echo "API requests served by the sandbox during the run: $(wc -l < "$work/requests.jsonl")"

# ---------------------------------------------------------------------------------------
# A remote cluster: every request answered 50 ms late. API requests each command makes
# (from the sandbox's request log, on warm kubectl caches) and its wall time, next to one
# raw `kubectl apply` of the same objects on the same link. "probes" are the GET /version
# this machine's kubectl dispatcher sends before each kubectl process (a plain kubectl
# does not): they are in the total.
start_sandbox() {  # start_sandbox DIR ARGS...: a sandbox with its own KUBECONFIG/cache/KIP_HOME
  local d="$1"; shift
  mkdir -p "$d"
  "$bin/kip-sandbox" --port 0 --kubeconfig-out "$d/kubeconfig" --request-log "$d/requests.jsonl" "$@" > "$d/sandbox.log" 2>&1 &
  echo $! > "$d/pid"
  for _ in $(seq 1 200); do [ -f "$d/kubeconfig" ] && break; sleep 0.05; done
}
use_sandbox() { export KIP_HOME="$1/kip" KUBECONFIG="$1/kubeconfig" KUBECACHEDIR="$1/kube-cache" LOG="$1/requests.jsonl"; }
requests_of() {  # requests_of CMD...: prints "requests probes ms"
  local n0 n1 t0 t1 probes
  n0=$(wc -l < "$LOG"); t0=$(now_ms)
  "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  t1=$(now_ms); n1=$(wc -l < "$LOG")
  probes=$(tail -n $((n1 - n0)) "$LOG" | grep -c '"path":"/version"' || true)
  echo "$((n1 - n0)) $probes $((t1 - t0))"
}
row() {  # row LABEL "kip figures" "raw figures"
  set -- "$1" $2 $3
  printf '%-40s %8s %7s %9s %12s %9s %7s\n' "$1" "$2" "$3" "$4 ms" "$5" "$7 ms" "$(python3 -c "print('%.2f' % ($4 / $7))")"
}
lat="$work/latency"
start_sandbox "$lat" --latency 50ms
trap 'kill $sandbox $(cat "$lat/pid") $(cat "$work/shared/pid" 2>/dev/null) $(cat "$work/alone/pid" 2>/dev/null) 2>/dev/null; rm -rf "$work"' EXIT
use_sandbox "$lat"
"$bin/kip" install --domain apprunr.com > /dev/null
kubectl get namespaces > /dev/null
"$bin/kip" project create warm --environments test > /dev/null   # warms kubectl's caches
"$bin/kip" app deploy --name api --image r/api:1 --port 3000 --project warm/test > /dev/null
echo
echo "At 50 ms per request (kip-sandbox --latency 50ms), warm caches:"
printf '%-40s %8s %7s %9s %12s %9s %7s\n' "command" "requests" "probes" "kip" "raw requests" "raw" "ratio"
"$bin/kip" project create shop --environments test,acc,prod > /dev/null
"$bin/kip" app deploy --name api --image r/api:1 --port 3000 --project shop/test > /dev/null
"$bin/kip" app deploy --name api --image r/api:2 --port 3000 --project shop/test --dry-run -o json | as_stream x x > "$work/lat-app.json"
k=$(requests_of "$bin/kip" app deploy --name api --image r/api:2 --port 3000 --project shop/test)
r=$(requests_of kubectl apply --server-side --field-manager=bench --force-conflicts -f "$work/lat-app.json")
row "app deploy (one app)" "$k" "$r"
"$bin/kip" project create raw3 --environments test,acc,prod --dry-run -o json | as_stream raw3 cmp3 > "$work/lat-create.json"
k=$(requests_of "$bin/kip" project create p3 --environments test,acc,prod)
r=$(requests_of kubectl apply --server-side --field-manager=bench --force-conflicts -f "$work/lat-create.json")
row "project create (3 environments)" "$k" "$r"
"$bin/kip" project create promo --environments test,acc,prod > /dev/null
kubectl apply --server-side --field-manager=bench -f "$work/p-test.json" > /dev/null
kubectl apply --server-side --field-manager=bench -f "$work/p-acc.json" > /dev/null
k=$(requests_of "$bin/kip" app promote --all --from test --to acc --project promo --yes --force)
r=$(requests_of kubectl apply --server-side --field-manager=bench --force-conflicts -f "$work/p-raw.json")
row "app promote --all (50 apps)" "$k" "$r"
k=$(requests_of "$bin/kip" project list)
r=$(requests_of kubectl get projects.v1alpha1.kipper.run -o json)
row "project list" "$k" "$r"
echo "(raw for promote: one apply of the 50 Apps alone.)"

# ---------------------------------------------------------------------------------------
# A shared cluster: the same commands in a one-app environment, on a cluster holding only
# that project and on one where 60 other projects hold 2,700 kip objects.
gen_other() {  # gen_other N: project N's namespace and 45 kip objects in it
  python3 -c '
import json, sys
i = int(sys.argv[1]); p = "other%02d" % i; ns = p + "-test"
L = {"app.kubernetes.io/managed-by": "kip", "kipper.run/project": p, "kipper.run/environment": "test"}
print(json.dumps({"apiVersion": "kipper.run/v1alpha1", "kind": "Project", "metadata": {"name": p, "labels": L},
    "spec": {"environments": [{"name": "test", "namespace": ns}]}}))
print(json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": L}}))
for j in range(15):
    n = "a%02d" % j
    print(json.dumps({"apiVersion": "kipper.run/v1alpha1", "kind": "App", "metadata": {"name": n, "namespace": ns, "labels": L}, "spec": {"image": "r/a:1", "port": 80}}))
    print(json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": n + "-secrets", "namespace": ns, "labels": L}, "data": {"K": "dg=="}}))
    print(json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n, "namespace": ns, "labels": L}, "data": {"k": "v" * 200}}))
' "$1"
}
for which in alone shared; do
  start_sandbox "$work/$which"
  use_sandbox "$work/$which"
  "$bin/kip" install --domain apprunr.com > /dev/null
  if [ "$which" = shared ]; then
    for i in $(seq 0 59); do gen_other "$i"; done > "$work/others.json"
    kubectl apply --server-side --field-manager=bench -f "$work/others.json" > /dev/null
  fi
  "$bin/kip" project create lone --environments test > /dev/null
  "$bin/kip" app deploy --name api --image r/api:1 --port 3000 --project lone/test > /dev/null
  "$bin/kip" app deploy --name api --image r/api:2 --port 3000 --project lone/test > /dev/null
done
echo
echo "A one-app environment, alone on the cluster and beside 60 other projects ($(grep -c . "$work/others.json") objects):"
printf '%-50s %9s %9s %7s\n' "command" "alone" "shared" "ratio"
n=0
for cmd in "app deploy --name api --image r/api:3 --port 3000" "app env set api K=v" "app secret set api TOKEN" \
           "service add postgres --name db"; do
  n=$((n + 1))
  for which in alone shared; do
    use_sandbox "$work/$which"
    best=999999
    for attempt in 1 2 3; do   # best of three: the machine is shared and noisy
      c="$cmd"
      [ "$cmd" = "service add postgres --name db" ] && c="service add postgres --name db$n$attempt"
      t0=$(now_ms)
      echo secret | "$bin/kip" $c --project lone/test > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
      t=$(( $(now_ms) - t0 )); [ "$t" -lt "$best" ] && best=$t
    done
    eval "t_$which=$best"
  done
 printf '%-50s %9s %9s %7s\n' "$cmd" "$t_alone ms" "$t_shared ms" "$(python3 -c "print('%.2f' % ($t_shared / $t_alone))")"
done
