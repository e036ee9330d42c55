#!/usr/bin/env bash
# The product page, end to end: kip and the real kubectl against a throw-away kip-sandbox.
# kip-sandbox is an in-memory API server whose controllers roll out simulated pods.
set -euo pipefail
bin="${1:-.build/debug}"
work="$(mktemp -d)"
export KIP_HOME="$work/kip" KUBECONFIG="$work/kubeconfig" KUBECACHEDIR="$work/kube-cache"
"$bin/kip-sandbox" --port 0 --kubeconfig-out "$KUBECONFIG" > "$work/sandbox.log" 2>&1 &
sandbox=$!
trap 'kill $sandbox 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do [ -f "$KUBECONFIG" ] && break; sleep 0.05; done
[ -f "$KUBECONFIG" ] || { echo "demo: kip-sandbox did not start" >&2; cat "$work/sandbox.log" >&2; exit 1; }

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
kip() { "$bin/kip" "$@"; }

echo "kip demo against kip-sandbox ($(head -1 "$work/sandbox.log"))"
step kip cluster add apprunr.com --context kip-sandbox
step kip install --domain apprunr.com
step kip project create myapp
step kip project create yourr-name --display-name "yourr.name Domain Platform" --environments test,acc,prod
step kip project list
step kip project use yourr-name/test
step kip cluster list
step kip project add-env staging
step kip project remove-env staging --confirm staging
step kip app deploy --name api --image registry.example.com/api:v1.2.2 --port 3000 --project yourr-name --environment test
step kip app deploy --name api --image registry.example.com/api:v1.2.2 --port 3000 --replicas 3 --memory-limit 1Gi --project yourr-name --environment acc
step kip service add postgres --name db --project yourr-name-test --storage 1Gi
printf '\n\033[1m$ %s\033[0m\n' "printf postgres://… | kip app secret set api DATABASE_URL --project yourr-name-test"
printf 'postgres://app:example@db.yourr-name-test.svc.cluster.local:5432/db' | kip app secret set api DATABASE_URL --project yourr-name-test
step kip app bind api db
step kip service info db
step kip app deploy --name api --image registry.example.com/api:v1.2.3 --port 3000 --bind db --project yourr-name --environment test --wait
step kip app promote api --from test --to acc --project yourr-name --dry-run
step kip app promote api --from test --to acc --project yourr-name --yes --wait
step kip app history api --project yourr-name/acc
# A pull request's preview, as a CI job makes it on every push.
step kip project preview up yourr-name/pr-42 --copy-from test --image api=registry.example.com/api:pr-42 --ttl 72h
# Gated promotion: prod needs an approval by another admin of prod.
step kip project protect yourr-name/prod --require-approval
step kip app promote api --to prod --project yourr-name --yes || echo "(refused: nobody approved it yet)"
step kip project grant ada --role admin --environment prod --project yourr-name
sed 's/user: {}/user: {as: ada}/' "$KUBECONFIG" > "$work/ada.kubeconfig"
printf '\n\033[1m$ %s\033[0m\n' "KUBECONFIG=ada.kubeconfig kip app approve api --to prod --image registry.example.com/api:v1.2.3 --project yourr-name"
KUBECONFIG="$work/ada.kubeconfig" KIP_HOME="$work/ada" "$bin/kip" app approve api --to prod --image registry.example.com/api:v1.2.3 --project yourr-name
step kip app promote api --to prod --project yourr-name --yes
step kip app history api --project yourr-name/prod
step kubectl get events -n yourr-name-prod
# Day two: into a running app, a database's data from one environment into another,
# variables for every app, and each environment's quota.
step kip app exec api --project yourr-name/test -- sh -c 'echo "api sees $DATABASE_HOST"'
printf '\n\033[1m$ %s\033[0m\n' "printf 'CREATE TABLE users …' | kip service restore db --project yourr-name/test --yes"
printf 'CREATE TABLE users (id int);\nINSERT INTO users VALUES (1);\n' | kip service restore db --project yourr-name/test --yes
step kip service add postgres --name db --project yourr-name/acc --storage 1Gi --wait
step kip service copy-data db --from test --to acc --project yourr-name --yes
step kip service dump db --project yourr-name/acc
step kip service connect db --project yourr-name/acc -- sh -c 'echo "psql would reach $PGUSER@$PGHOST:$PGPORT/$PGDATABASE"'
step kip project env set yourr-name LOG_LEVEL=info
step kip app env list api --project yourr-name/test
step kip project quota yourr-name/prod pods=80
step kip project quota yourr-name/test
step kip project show
step kip project status
step kip project export yourr-name acc
step kip project drift yourr-name
step kubectl get namespaces -l app.kubernetes.io/managed-by=kip
step kip project delete myapp --yes
step kip project list -o json
echo
echo "demo: done"
