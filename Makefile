# ocf-mfs: the one entry point for building, testing and packaging.
#
#   make build      static binaries in bin/
#   make deps       install the Debian packages the tests and the demo need (root)
#   make test       deps, vet, unit tests (-race), fuzz smoke, integration tests with real programs
#   make lint       gofmt, go vet, staticcheck
#   make install    DESTDIR=... PREFIX=/usr OCF_ROOT=/usr/lib/ocf
#   make demo       a local Pacemaker managing a real mfsmaster through ocf:mfs:master
#   make e2e        the two-VM real-DRBD end-to-end suite
#   make rpm        binary and source RPMs, checked with rpmlint
#   make bench      benchmarks against what users run today

SHELL       := /bin/bash
GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
PREFIX      ?= /usr
SBINDIR     ?= $(PREFIX)/sbin
OCF_ROOT    ?= /usr/lib/ocf
DESTDIR     ?=
BIN         := bin
BINARIES    := ocf-mfsmaster ocf-mfsdrbd drbd-splitbrain
LDFLAGS     := -s -w -X github.com/ocf-mfs/ocf-mfs/internal/version.Version=$(VERSION)
GOFLAGS_BUILD ?= -trimpath
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 20s

export CGO_ENABLED ?= 0

.PHONY: all build deps test vet unit fuzz integration lint install uninstall \
        demo demo-stop e2e rpm dist bench clean

all: build

build:
	@mkdir -p $(BIN)
	@for b in $(BINARIES); do \
	  if [ -d cmd/$$b ] && ls cmd/$$b/*.go >/dev/null 2>&1; then \
	    $(GO) build $(GOFLAGS_BUILD) -ldflags '$(LDFLAGS)' -o $(BIN)/$$b ./cmd/$$b || exit 1; \
	    echo "built $(BIN)/$$b $(VERSION)"; \
	  fi; \
	done

deps:
	@scripts/deps.sh

vet:
	$(GO) vet ./...

unit:
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...

# A short, bounded fuzz run of every parser that reads what the kernel or a
# tool prints: it must never panic, whatever the input.
fuzz:
	@for t in $$(grep -l '^func Fuzz' $$(git ls-files '*_test.go') 2>/dev/null | xargs -r -n1 dirname | sort -u); do \
	  for f in $$(grep -h -o '^func Fuzz[A-Za-z0-9_]*' $$t/*_test.go | sed 's/^func //'); do \
	    echo "fuzz $$t $$f ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) ./$$t || exit 1; \
	  done; \
	done

# Tests that drive real programs: ocf-tester, mfsmaster, Pacemaker, MooseFS clients.
integration: build
	@if [ -n "$$(find test -name '*_test.go' 2>/dev/null)" ]; then \
	  $(GO) test -tags integration -count=1 -p 1 -timeout 30m ./test/...; \
	else echo "integration: no integration tests yet"; fi

test: deps vet unit fuzz integration

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

install: build
	install -d $(DESTDIR)$(OCF_ROOT)/resource.d/mfs $(DESTDIR)$(SBINDIR)
	@if [ -x $(BIN)/ocf-mfsmaster ]; then install -m 0755 $(BIN)/ocf-mfsmaster $(DESTDIR)$(OCF_ROOT)/resource.d/mfs/master; fi
	@if [ -x $(BIN)/ocf-mfsdrbd ]; then install -m 0755 $(BIN)/ocf-mfsdrbd $(DESTDIR)$(OCF_ROOT)/resource.d/mfs/drbd; fi
	@if [ -x $(BIN)/drbd-splitbrain ]; then install -m 0755 $(BIN)/drbd-splitbrain $(DESTDIR)$(SBINDIR)/drbd-splitbrain; fi

uninstall:
	rm -f $(DESTDIR)$(OCF_ROOT)/resource.d/mfs/master $(DESTDIR)$(OCF_ROOT)/resource.d/mfs/drbd $(DESTDIR)$(SBINDIR)/drbd-splitbrain

# The main job: a local Pacemaker managing a real mfsmaster through
# ocf:mfs:master, with a kill -9 it detects and recovers (as root).
demo: build
	scripts/demo.sh

demo-stop:
	scripts/demo.sh stop

# The two-VM real-DRBD suite (test/e2e): boots the lab from nothing, runs
# every scenario, tears it down. E2E="04 05" runs only matching scenarios.
e2e: build
	test/e2e/run.sh $(E2E)

rpm dist bench:
	@echo "make $@: not built yet (see the open issues)"; exit 1

clean:
	rm -rf $(BIN) dist
