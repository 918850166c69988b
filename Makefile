# mxverify: build, demo, tests, benchmarks.
#
# Every target that sends DNS runs inside a network namespace with only
# loopback up (unshare -n), so no query can leave the machine even through
# the system resolver. Modules are downloaded first, outside it.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
BIN     := bin
OUT     := out
# make install puts the binary in $(DESTDIR)$(PREFIX)/bin.
PREFIX  ?= /usr/local
DESTDIR ?=
# make dist builds these, static, into dist/.
DIST_TARGETS := linux/amd64 linux/arm64 darwin/arm64 windows/amd64
# Run a command with loopback only where unshare works (root, as on CI and
# the dev machines); elsewhere, plainly.
ISOLATE := $(shell unshare -n sh -c 'ip link set lo up' 2>/dev/null && echo "unshare -n sh -c 'ip link set lo up && exec \"\$$0\" \"\$$@\"'")

.PHONY: all build install dist demo test test-deps check vet fmtcheck lint bench bench-compare clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/mxverify ./cmd/mxverify
	$(GO) build -o $(BIN)/mxzone ./cmd/mxzone

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN)/mxverify $(DESTDIR)$(PREFIX)/bin/mxverify

# Static binaries (no cgo: they run on any Linux, whatever its libc),
# stamped with the version, commit and date, and their SHA-256 sums.
dist:
	rm -rf dist && mkdir -p dist
	@for t in $(DIST_TARGETS); do \
	  os=$${t%/*}; arch=$${t#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
	  out=dist/mxverify-$(VERSION)-$$os-$$arch$$ext; echo "building $$out"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $$out ./cmd/mxverify || exit 1; \
	done
	cd dist && if command -v sha256sum >/dev/null 2>&1; then sha256sum mxverify-*; else shasum -a 256 mxverify-*; fi > SHA256SUMS
	@cat dist/SHA256SUMS

# The demo serves testdata's zones with cmd/mxzone on a free loopback port,
# breaks three names on purpose (SERVFAIL, REFUSED, a first failure that a
# retry cures), and runs mxverify over testdata/demo/list.csv against it.
# Those two and a CNAME loop end temp_error: 3 of 29 domains, above the
# default 5% threshold that makes a run exit 2, so the demo allows 20%.
demo: build
	@mkdir -p $(OUT)
	@$(ISOLATE) sh -c '\
	  $(BIN)/mxzone --listen 127.0.0.1:0 --servfail servfail.mxdemo.net --refused refused.mxdemo.net \
	    --fail-first flaky.mxdemo.net=1 --delay slow.mxdemo.net=200ms testdata/zones >$(OUT)/mxzone.log 2>&1 & pid=$$!; \
	  trap "kill $$pid 2>/dev/null" EXIT; \
	  for i in $$(seq 50); do grep -q "listening on" $(OUT)/mxzone.log && break; sleep 0.1; done; \
	  addr=$$(sed -n "s/^mxzone listening on //p" $(OUT)/mxzone.log); \
	  [ -n "$$addr" ] || { cat $(OUT)/mxzone.log; exit 1; }; \
	  echo "demo zone server on $$addr"; \
	  $(BIN)/mxverify run testdata/demo/list.csv --resolver $$addr --max-temp-errors 0.2 --progress never \
	    -o $(OUT)/demo-addresses.csv --domains $(OUT)/demo-domains.csv --summary $(OUT)/demo-summary.json \
	    --report $(OUT)/demo-report.html; \
	  code=$$?; echo; echo "== $(OUT)/demo-addresses.csv (lines cut at 140 characters)"; cut -c1-140 $(OUT)/demo-addresses.csv; \
	  echo; echo "== per-domain results: $(OUT)/demo-domains.csv (mx column cut)"; cut -c1-150 $(OUT)/demo-domains.csv | head -n 12; \
	  echo; echo "== the report: $(OUT)/demo-report.html (open it in a browser)"; \
	  exit $$code'

# unbound is the real recursive resolver of the end-to-end test; chromium,
# headless, loads the HTML report in the browser test. DuckDB,
# as the npm package @duckdb/node-api (its native library inside), reads
# back the Parquet files io/parquetio writes; it goes to $(DUCKDB_NODE),
# outside git, and node from Debian where it is missing.
DUCKDB_NODE         := $(OUT)/duckdb-node
DUCKDB_NODE_VERSION := 1.5.6-r.1
test-deps:
	@command -v unbound >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's unbound (the recursive resolver of the end-to-end test)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unbound >/dev/null; \
	  else echo "unbound is not installed: the end-to-end resolver test will be skipped"; fi; }
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium (headless, for the browser test of the HTML report)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed: the browser test of the HTML report will be skipped"; fi; }
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's nodejs and npm (for DuckDB, the Parquet read-back test)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "npm is not installed: the DuckDB read-back test will be skipped"; fi; }
	@[ -d $(DUCKDB_NODE)/node_modules/@duckdb/node-api ] || ! command -v npm >/dev/null 2>&1 || { \
	  echo "installing @duckdb/node-api@$(DUCKDB_NODE_VERSION) from npm into $(DUCKDB_NODE) (DuckDB, for the Parquet read-back test)"; \
	  mkdir -p $(DUCKDB_NODE) && npm install --prefix $(DUCKDB_NODE) --no-audit --no-fund --no-save --silent \
	    @duckdb/node-api@$(DUCKDB_NODE_VERSION); }
	@command -v slurmctld >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's slurm-wlm and munge (a one-node Slurm for the job array test in deploy/)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null; \
	  else echo "slurm-wlm and munge are not installed: the Slurm array test will be skipped"; fi; }
	@echo "downloading the Go modules of go.sum into $$($(GO) env GOMODCACHE) (go mod download)"
	@$(GO) mod download
	@cd deploy && $(GO) mod download

# deploy/ is a module of its own (the Kubernetes API types for the
# manifests' test), which ./... does not enter.
test: test-deps
	$(ISOLATE) $(GO) test -race -count=1 ./...
	cd deploy && $(ISOLATE) $(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...
	cd deploy && $(GO) vet ./...

fmtcheck:
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "gofmt needed:"; echo "$$out"; exit 1; }

# staticcheck at a pinned version, built by the go command itself: #15
# asks for it to stay clean.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	$(GO) run $(STATICCHECK) ./...

check: fmtcheck vet lint

bench:
	bash benchmarks/bench.sh

# The Go micro-benchmarks of revision OLD (by default the last commit)
# against NEW (by default the working tree), in alternating rounds,
# compared with benchstat: make bench-compare OLD=HEAD~3
OLD ?= HEAD
NEW ?=
bench-compare:
	bash benchmarks/compare.sh $(OLD) $(NEW)

clean:
	rm -rf $(BIN) $(OUT) dist
