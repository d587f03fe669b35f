# ocf-mfs: the one entry point for building, testing and packaging.
#
#   make build      static binaries in bin/
#   make deps       install every Debian package the demo, tests and lab need (root)
#   make test       deps, vet, unit tests (-race), fuzz smoke, integration tests with real programs
#   make lint       gofmt, go vet, staticcheck
#   make man        man pages in bin/man, from the agents' meta-data and drbd-splitbrain's CLI
#   make install    DESTDIR=... PREFIX=/usr OCF_ROOT=/usr/lib/ocf LIBEXECDIR=$(PREFIX)/libexec MANDIR=$(PREFIX)/share/man
#   make demo       a local Pacemaker managing a real mfsmaster through ocf:mfs:master
#   make e2e        the two-VM real-DRBD end-to-end suite
#   make dist       dist/ocf-mfs-VERSION.tar.gz, Go modules vendored: builds without network
#   make rpm        binary and source RPMs in dist/rpmbuild, checked with rpmlint
#   make deb        the Debian package dist/ocf-mfs_VERSION_ARCH.deb, checked with lintian
#   make matrix     the suites on Debian 11, 12 and 13 userlands (root; MATRIX=bookworm for one)
#   make bench      benchmarks against what users run today
#   make soak       random faults under a writing client in the lab, with fencing (SOAK_ROUNDS, SEED)

SHELL       := /bin/bash
GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
PREFIX      ?= /usr
SBINDIR     ?= $(PREFIX)/sbin
OCF_ROOT    ?= /usr/lib/ocf
LIBEXECDIR  ?= $(PREFIX)/libexec
MANDIR      ?= $(PREFIX)/share/man
DESTDIR     ?=
BIN         := bin
BINARIES    := ocf-mfsmaster ocf-mfsmaster-actions ocf-mfsdrbd drbd-splitbrain
# Each agent's man page, as PAGE:BINARY; ocf_mfs_master(7) is the name
# Pacemaker's own agents' pages follow (ocf_heartbeat_IPaddr2(7)).
AGENT_PAGES := ocf_mfs_master:ocf-mfsmaster ocf_mfs_drbd:ocf-mfsdrbd
MAN         := $(BIN)/man
# ocf:mfs:master's front (resource.d/mfs/master) execs the full agent for
# every action it does not answer itself; it finds it by this path, relative
# to its own directory, so that an unpacked package tree works as well.
ACTIONS_REL := $(shell realpath -m --relative-to=$(OCF_ROOT)/resource.d/mfs $(LIBEXECDIR)/ocf-mfs/ocf-mfsmaster-actions)
LDFLAGS     := -s -w -X github.com/ocf-mfs/ocf-mfs/internal/version.Version=$(VERSION) \
               -X github.com/ocf-mfs/ocf-mfs/internal/agent/master/front.ActionsPath=$(ACTIONS_REL)
GOFLAGS_BUILD ?= -trimpath
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 20s
# RPM's Version may not hold '-': v0.1-3-gabc1234 becomes 0.1.3.gabc1234, an
# untagged abc1234 becomes 0.0.0.gitabc1234, -dirty becomes .dirty.
RPM_VERSION := $(shell echo '$(VERSION)' | sed -E 's/^v//; s/^([0-9a-f]{7,})(-dirty)?$$/0.0.0.git\1\2/; s/-/./g; s/[^A-Za-z0-9._+~^]/_/g')
DIST_NAME   := ocf-mfs-$(RPM_VERSION)
# A Debian version must start with a digit and order after the last release:
# v0.1-3-gabc1234 becomes 0.1+3.gabc1234, an untagged abc1234 becomes
# 0.0.0+gitabc1234; -1 is the Debian revision (the package is not native).
DEB_VERSION := $(shell echo '$(VERSION)' | sed -E 's/^v//; s/^([0-9a-f]{7,})(-dirty)?$$/0.0.0+git\1\2/; s/-/+/; s/-/./g; s/[^A-Za-z0-9.+~]/./g')-1
DEBSTAGE    := $(CURDIR)/dist/deb/root
RPMTOP      := $(CURDIR)/dist/rpmbuild
# On a machine whose packages are not RPMs (Debian) rpmbuild cannot see the
# build dependencies it would check, so it must not check them.
RPMBUILD_FLAGS ?= $(shell rpm -q --whatprovides /bin/sh >/dev/null 2>&1 || echo --nodeps)

export CGO_ENABLED ?= 0

.PHONY: all build man deps deps-test test vet unit fuzz integration lint install uninstall \
        demo demo-stop e2e soak rpm deb matrix dist bench clean

all: build

build:
	@mkdir -p $(BIN)
	@for b in $(BINARIES); do \
	  $(GO) build $(GOFLAGS_BUILD) -ldflags '$(LDFLAGS)' -o $(BIN)/$$b ./cmd/$$b || exit 1; \
	  echo "built $(BIN)/$$b $(VERSION)"; \
	done

man: build
	@rm -rf $(MAN) && mkdir -p $(MAN)
	$(GO) build -o $(BIN)/genman ./tools/genman
	@set -o pipefail; for p in $(AGENT_PAGES); do \
	  page=$${p%%:*}; b=$${p#*:}; \
	  if [ -x $(BIN)/$$b ]; then \
	    $(BIN)/$$b meta-data | $(BIN)/genman ocf -provider mfs -version $(VERSION) > $(MAN)/$$page.7 || exit 1; \
	    echo "made $(MAN)/$$page.7"; \
	  fi; \
	done
	$(BIN)/genman drbd-splitbrain -version $(VERSION) > $(MAN)/drbd-splitbrain.8

deps:
	@scripts/deps.sh all

deps-test:
	@scripts/deps.sh test

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

# Tests that drive real programs: ocf-tester, mfsmaster, Pacemaker, MooseFS
# clients. As root they run on fake-host.sh's make-believe production node,
# which fails the run if they touched that node's cluster.
integration: build
	@if [ -n "$$(find test -name '*_test.go' 2>/dev/null)" ]; then \
	  $$([ "$$(id -u)" = 0 ] && echo test/harness/fake-host.sh) \
	    $(GO) test -tags integration -count=1 -p 1 -timeout 40m ./test/...; \
	else echo "integration: no integration tests yet"; fi

test: deps-test vet unit fuzz integration

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

install: build man
	install -d $(DESTDIR)$(OCF_ROOT)/resource.d/mfs $(DESTDIR)$(LIBEXECDIR)/ocf-mfs $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BIN)/ocf-mfsmaster $(DESTDIR)$(OCF_ROOT)/resource.d/mfs/master
	install -m 0755 $(BIN)/ocf-mfsmaster-actions $(DESTDIR)$(LIBEXECDIR)/ocf-mfs/ocf-mfsmaster-actions
	install -m 0755 $(BIN)/ocf-mfsdrbd $(DESTDIR)$(OCF_ROOT)/resource.d/mfs/drbd
	install -m 0755 $(BIN)/drbd-splitbrain $(DESTDIR)$(SBINDIR)/drbd-splitbrain
	install -m 0644 $(MAN)/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 $(MAN)/*.8 $(DESTDIR)$(MANDIR)/man8/

uninstall:
	rm -f $(DESTDIR)$(OCF_ROOT)/resource.d/mfs/master $(DESTDIR)$(OCF_ROOT)/resource.d/mfs/drbd $(DESTDIR)$(SBINDIR)/drbd-splitbrain
	rm -f $(DESTDIR)$(LIBEXECDIR)/ocf-mfs/ocf-mfsmaster-actions
	rmdir $(DESTDIR)$(LIBEXECDIR)/ocf-mfs 2>/dev/null || true
	rm -f $(DESTDIR)$(MANDIR)/man7/ocf_mfs_master.7 $(DESTDIR)$(MANDIR)/man7/ocf_mfs_drbd.7 $(DESTDIR)$(MANDIR)/man8/drbd-splitbrain.8

# The main job: a local Pacemaker managing a real mfsmaster through
# ocf:mfs:master, with a kill -9 it detects and recovers (as root).
demo: build
	scripts/demo.sh

demo-stop:
	scripts/demo.sh stop

# The two-VM real-DRBD suite (test/e2e): boots the lab from nothing, runs
# every scenario, tears it down. E2E="04 05" runs only matching scenarios.
e2e: build
	@scripts/deps.sh e2e
	test/e2e/run.sh $(E2E)

# Rounds of random faults (test/soak, tools/soak) in the lab with SBD
# fencing, while a client writes through the VIP; every acknowledged write
# is checked after each round, and the table goes to docs/benchmarks.md.
# SEED=S repeats a run (0 picks one and prints it); SOAK_FAULTS=kill9,crash
# limits the kinds. CI runs six rounds (.ci/run); the default 30 by hand.
SOAK_ROUNDS ?= 30
SEED        ?= 0
soak: build
	@scripts/deps.sh e2e
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/soak ./tools/soak
	test/soak/soak.sh $(SOAK_ROUNDS) $(SEED)

# The source tarball RPMs (and anyone without network) build from: the
# tracked files as they are in the working tree, vendor/ from `go mod vendor`,
# and the spec's Version set to this one. Reproducible: sorted, owned by
# root, dated by the last commit.
dist:
	@set -euo pipefail; d=dist/$(DIST_NAME); rm -rf $$d $$d.tar.gz; mkdir -p $$d; \
	tree=$$(git stash create); git archive --format=tar $${tree:-HEAD} | tar -x -C $$d; \
	(cd $$d && $(GO) mod vendor); \
	sed -i -E -e 's/^(Version:[[:space:]]+).*/\1$(RPM_VERSION)/' \
	  -e '0,/^\* /s/^(\* .*> - ).*(-[0-9]+)$$/\1$(RPM_VERSION)\2/' $$d/packaging/rpm/ocf-mfs.spec; \
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$$(git log -1 --format=%ct) \
	  -C dist -cf - $(DIST_NAME) | gzip -n9 > $$d.tar.gz; \
	rm -rf $$d; echo "dist: $$d.tar.gz"

# rpmbuild -ta takes the spec from the tarball, so the RPMs are built just as
# a packager would build them from the release tarball.
rpm: dist
	rm -rf $(RPMTOP)
	rpmbuild -ta $(RPMBUILD_FLAGS) --define "_topdir $(RPMTOP)" dist/$(DIST_NAME).tar.gz
	rpm -qlpv $(RPMTOP)/RPMS/*/*.rpm $(RPMTOP)/SRPMS/*.rpm
	rpmlint -r packaging/rpm/ocf-mfs.rpmlintrc $(RPMTOP)/RPMS/*/*.rpm $(RPMTOP)/SRPMS/*.rpm

# The Debian package, built with dpkg-deb from a staged install of the same
# static binaries as make build (a PIE build without cgo is a dynamic ELF with
# no libraries, which lintian takes for a broken shared library). lintian must
# find nothing that packaging/deb/lintian-overrides does not explain.
deb:
	rm -rf $(DEBSTAGE)
	$(MAKE) install DESTDIR=$(DEBSTAGE) PREFIX=/usr SBINDIR=/usr/sbin OCF_ROOT=/usr/lib/ocf \
	  LIBEXECDIR=/usr/libexec MANDIR=/usr/share/man
	@set -euo pipefail; deb=$$(packaging/deb/build.sh '$(DEB_VERSION)' $(DEBSTAGE) dist); \
	  dpkg-deb --info $$deb; dpkg-deb --contents $$deb; \
	  if command -v lintian >/dev/null; then lintian --fail-on error,warning --info $$deb; \
	  else echo "deb: lintian is not installed, $$deb is not checked"; fi

# The version matrix (test/matrix/matrix.sh), as root: Debian 11, 12 and 13
# root file systems with our .deb installed, the Pacemaker suite with crmsh
# and with pcs in each, and the two-VM DRBD lab booted on each.
matrix: deb
	@scripts/deps.sh matrix
	GO=$(GO) test/matrix/matrix.sh $(MATRIX)

# Benchmarks against what users run today, side by side, written to
# docs/benchmarks.md. BENCH_LAB=1 adds the DRBD agents in the two-VM lab.
bench: build
	$(GO) run ./tools/bench $(if $(BENCH_LAB),-lab) -o docs/benchmarks.md

clean:
	rm -rf $(BIN) dist
