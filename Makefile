# hookops — `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO            ?= go
CACHE_DIR     ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hookops
TOOLS_DIR     := $(CACHE_DIR)/tools
STATICCHECK   := $(TOOLS_DIR)/staticcheck-v0.8.2
GOTESTFLAGS   ?= -race -count=1
BIN           := bin

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build the binaries into bin/
	$(GO) build -o $(BIN)/hookops-server ./server
	$(GO) build -o $(BIN)/clientgo-mirror ./clientgo-mirror
	$(GO) build -o $(BIN)/fakegithub ./test/fakegithub

# Images are built by the module in images/ (ko's build library and
# go-containerregistry, kept out of go.mod): static binaries on an empty,
# non-root base, no Docker daemon, no base image pulled. The creation time is
# SOURCE_DATE_EPOCH, by default the last commit's time, so a commit built
# with one Go toolchain gives the same digests.
IMAGES_DIR        := $(BIN)/images
IMAGE_TAG         ?= latest
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
IMAGES_CMD         = SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run -C images .

.PHONY: images
images: ## OCI images of hookops-server and clientgo-mirror (linux/amd64, linux/arm64) into bin/images
	$(IMAGES_CMD) build --repo $(CURDIR) --out $(CURDIR)/$(IMAGES_DIR)

.PHONY: push-images
push-images: registry-set images ## build, then push to $REGISTRY/<name>:$IMAGE_TAG (make push-images REGISTRY=ghcr.io/acme)
	$(IMAGES_CMD) push --layout $(CURDIR)/$(IMAGES_DIR) --registry "$(REGISTRY)" --tag "$(IMAGE_TAG)"

# A release: the kustomize output of manifests/ and manifests/clientgo-mirror/
# with both images pinned by the digests `make images` just built, never by
# tag, into dist/. VERSION comes from git describe.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
.PHONY: release-manifests
release-manifests: registry-set images ## manifests pinned by digest for $REGISTRY into dist/ (make release-manifests REGISTRY=ghcr.io/acme)
	manifests/release/release.sh dist "$(VERSION)" "$(REGISTRY)" \
	  "$$($(IMAGES_CMD) digest --layout $(CURDIR)/$(IMAGES_DIR) hookops-server)" \
	  "$$($(IMAGES_CMD) digest --layout $(CURDIR)/$(IMAGES_DIR) clientgo-mirror)"

.PHONY: registry-set
registry-set:
	@test -n "$(REGISTRY)" || { echo 'REGISTRY is not set: make push-images REGISTRY=ghcr.io/acme' >&2; exit 1; }

.PHONY: test-images
test-images: ## build both images twice, push them to an in-process registry and check them
	$(GO) test -C images -count=1 -timeout 30m ./...

.PHONY: run
run: controlplane ## the local stack: control plane, fake GitHub, hook server and webhook receiver, Metacontroller, samples
	$(GO) build -o $(BIN)/localstack ./test/localstack
	$(BIN)/localstack

POLICY_TOOLS := kyverno gator opa

.PHONY: policy-tools
policy-tools: ## build the policy engines' CLIs (kyverno v1.19.1, gator v3.23.1, opa v1.22.2; cached)
	for tool in $(POLICY_TOOLS); do test/policy/tools.sh $$tool >/dev/null; done

.PHONY: webhook-cert
webhook-cert: ## a self-signed CA and serving certificate for /convert, for clusters without cert-manager
	$(GO) run ./test/pki/webhook-cert --dir $(CACHE_DIR)/webhook-cert

.PHONY: controlplane
controlplane: ## build etcd, kube-apiserver and kube-controller-manager v1.36.3 (cached)
	test/controlplane/build.sh

# The packages whose tests start a kube-apiserver (several start one per
# test). They run CONTROLPLANE_P at a time: on two cores, more control planes
# at once starve each other and their timing-sensitive scenarios.
CONTROLPLANE_PKGS := ./test/controlplane/... ./test/e2e/... ./test/manifests/... ./test/standin/... ./test/mirror/... ./test/policy/...
CONTROLPLANE_P    ?= 1
UNIT_PKGS          = $$($(GO) list ./... | grep -v -E '/test/(controlplane|e2e|manifests|standin|mirror|policy)($$|/)')

# phase runs a step of make test and prints how long it took.
phase = start=$$(date +%s); $(2); echo "phase $(1): $$(( $$(date +%s) - start ))s"

.PHONY: test
test: ## all tests: unit, fixtures, component, control plane, e2e, brief fuzzing (prints each phase's time)
	@$(call phase,tools,$(MAKE) --no-print-directory controlplane policy-tools $(STATICCHECK))
	@$(call phase,lint,$(MAKE) --no-print-directory fmt-check vet lint)
	@$(call phase,unit,$(GO) test $(GOTESTFLAGS) -timeout 10m $(UNIT_PKGS))
	@$(call phase,controlplane-tests,$(GO) test $(GOTESTFLAGS) -timeout 15m -p $(CONTROLPLANE_P) $(CONTROLPLANE_PKGS))
	@$(call phase,images,$(MAKE) --no-print-directory test-images)
	@$(call phase,fuzz,$(MAKE) --no-print-directory fuzz)

FUZZTIME ?= 20000x
.PHONY: fuzz
fuzz: ## run each fuzz target (conversion, hook request decoding) for FUZZTIME (default 20000x: a count, not a time, so load cannot cut it short)
	for target in conversion:FuzzRoundTripV1 conversion:FuzzRoundTripV1alpha1 conversion:FuzzReview hooks/metacontroller:FuzzOnePass; do \
	  $(GO) test -run '^$$' -fuzz "^$${target#*:}$$" -fuzztime $(FUZZTIME) ./$${target%%:*}/ || exit 1; \
	done

.PHONY: bench
bench: ## benchmarks (throughput, latency, GitHub requests per sync)
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The scale benchmark (test/scale): thousands of GitHubRepos on the local
# stack, timed to Ready, then measured idle over several resyncs. It takes
# 20 to 30 minutes on two cores, so neither make test nor make bench runs it.
# SCALE_FLAGS are its flags (go run ./test/scale --help); METACONTROLLER_BIN
# and METACONTROLLER_ARGS run it against a real Metacontroller.
SCALE_FLAGS ?=
.PHONY: bench-scale
bench-scale: controlplane ## 2,000 GitHubRepos: time to Ready, then writes, GitHub units, latency, RSS while idle (SCALE_FLAGS=...)
	$(GO) run ./test/scale -out $(BIN)/scale-report.json $(SCALE_FLAGS)

# The mirror at scale: the clientgo-mirror binary on 500 namespaces × 20
# sources (10,000 copies), timed to converge, its RSS sampled. A few
# minutes; neither make test nor make bench runs it.
.PHONY: bench-mirror-scale
bench-mirror-scale: controlplane ## clientgo-mirror on 500 namespaces × 20 sources: time to converge, RSS
	$(GO) test -run '^$$' -bench '^BenchmarkScale$$' -benchtime 1x -timeout 30m ./test/mirror/ -mirror-scale

.PHONY: fmt
fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

.PHONY: fmt-check
fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet: ## go vet (the main module and images/)
	$(GO) vet ./...
	$(GO) vet -C images ./...

.PHONY: lint
lint: $(STATICCHECK) ## staticcheck (installed at a pinned version into the cache)
	$(STATICCHECK) ./...

$(STATICCHECK):
	mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR)/.gobin $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	mv $(TOOLS_DIR)/.gobin/staticcheck $@
