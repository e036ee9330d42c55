# kip: build, test, demo, bench, install. Needs Swift 6 and kubectl on PATH.
PREFIX ?= /usr/local
SWIFT ?= swift
DEBUG_BIN := .build/debug
RELEASE_BIN := .build/release

.PHONY: all build release test demo bench install uninstall check-kubectl discovery-data schema-data validate-manifests clean fmt lint

all: build

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

check-kubectl:
	@command -v kubectl >/dev/null 2>&1 || { echo "kubectl is not on PATH: install kubectl (the e2e tests and the demo drive the real kubectl)" >&2; exit 1; }

# Unit tests, golden files, and e2e tests of the built kip + real kubectl against kip-sandbox,
# in KIP_TEST_JOBS parallel workers (default: one more than the cores; scripts/run-tests.py).
# Set KIP_E2E_KUBECONFIG to run the e2e tests against a real cluster instead;
# TESTS='regex' runs only the tests whose names match.
test: check-kubectl lint build validate-manifests
	$(SWIFT) build --build-tests
	@python3 scripts/run-tests.py "$$($(SWIFT) build --show-bin-path)/kipPackageTests.xctest" '$(TESTS)'

# kubernetes-validate (PyPI, pinned) checks every built-in object in the golden files,
# strictly, against Kubernetes 1.27 and 1.33: independent of kip and of kip-sandbox.
VENV := .build/venv
KUBERNETES_VALIDATE := kubernetes-validate==1.37.0
$(VENV)/bin/kubernetes-validate:
	@python3 -m venv $(VENV) || { echo "python3 -m venv failed: install python3-venv (apt-get install python3-venv)" >&2; exit 1; }
	@$(VENV)/bin/pip install --quiet $(KUBERNETES_VALIDATE) || { echo "could not install $(KUBERNETES_VALIDATE) from PyPI" >&2; exit 1; }

validate-manifests: $(VENV)/bin/kubernetes-validate
	@python3 scripts/validate-manifests.py $(VENV)/bin/kubernetes-validate 1.27.0 1.33.0

# Formats every Swift file in place (.swift-format: 4 spaces, 120 columns).
fmt:
	$(SWIFT) format -i -r Sources Tests Package.swift

# Fails on any file swift format would change or warn about.
lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

# The product page, end to end, against a throw-away kip-sandbox.
demo: check-kubectl build
	@scripts/demo.sh $(DEBUG_BIN)

# kubectl process counts and wall time per command, next to raw kubectl apply.
bench: check-kubectl release
	@scripts/bench.sh $(RELEASE_BIN)

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(RELEASE_BIN)/kip $(DESTDIR)$(PREFIX)/bin/kip
	install -m 0755 $(RELEASE_BIN)/kip-sandbox $(DESTDIR)$(PREFIX)/bin/kip-sandbox

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/kip $(DESTDIR)$(PREFIX)/bin/kip-sandbox

# Regenerates the sandbox's built-in discovery from ../shared/kube/api-resources.json.
discovery-data:
	python3 scripts/discovery-data.py ../shared/kube/api-resources.json Sources/KipSandbox/DiscoveryData.swift

# Regenerates the sandbox's built-in JSON Schemas from ../shared/kube/schemas-1.33.json.
schema-data:
	python3 scripts/schema-data.py ../shared/kube/schemas-1.33.json Sources/KipSandbox/SchemaData.swift

clean:
	rm -rf .build
