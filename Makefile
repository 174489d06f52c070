# Archy Desktop. `make run` and `make test` set up everything a fresh Debian
# machine needs (apt packages, deb-src, the static Tor build) idempotently.

# The one place the embedded Tor version is pinned (Debian's source package).
TOR_DEB_VERSION := 0.4.9.11-0+deb12u1
CACHE_HOME      ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)
TOR_DIR         := $(CACHE_HOME)/archy-desktop/tor-$(TOR_DEB_VERSION)
LIBDIR          := /usr/lib/$(shell gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)

VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml 2>/dev/null || echo 0.0.0)
COMMIT  := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# cgo links Tor and its dependencies statically (see README: how Tor is built).
export CGO_ENABLED := 1
export CGO_CFLAGS  := -I$(TOR_DIR)/include
export CGO_LDFLAGS := $(TOR_DIR)/lib/libtor.a $(LIBDIR)/libssl.a $(LIBDIR)/libcrypto.a $(LIBDIR)/libevent.a $(LIBDIR)/libz.a -lm -lpthread -ldl
TAGS := embedtor

BIN := bin/archy-desktop
DATA ?= $(HOME)/.local/share/archy-desktop

.PHONY: all run demo build tor deps guideps test test-unit bench testnet clean distclean

all: build

## deps: Debian packages needed to build and test (idempotent)
deps:
	@scripts/apt-deps.sh torbuild testnet qr

guideps:
	@scripts/apt-deps.sh gui guitest

## tor: build libtor.a from Debian's tor source package into $(TOR_DIR) (once per version)
tor: $(TOR_DIR)/.complete
$(TOR_DIR)/.complete:
	@scripts/build-tor.sh $(TOR_DEB_VERSION) $(TOR_DIR)

## build: bin/archy-desktop with Tor linked in
build: deps tor guideps
	go build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/archy-desktop
	go build -o bin/archy-testnet ./cmd/archy-testnet

## run: build what is missing and start the app (window + tray, live Tor network)
run: build
	$(BIN) --data-dir $(DATA)

## demo: a private Tor network and two app windows, already paired and syncing
demo: build
	@scripts/demo.sh

## test: unit and integration tests (a private Tor network is started for the run)
test: build
	@scripts/test.sh $(TAGS)

## test-unit: the tests that need no Tor network
test-unit: deps tor
	go test -tags $(TAGS) -short -count=1 ./...

## bench: performance figures on the private Tor network
bench: build
	@scripts/bench.sh $(TAGS)

## testnet: run a private Tor network in the foreground for development
testnet: build
	bin/archy-testnet run

clean:
	rm -rf bin dist

## distclean: also forget the cached Tor build
distclean: clean
	rm -rf $(TOR_DIR)

# Packaging and desktop integration (make package, install, uninstall).
-include packaging/package.mk
