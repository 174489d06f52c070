# Packaging and desktop integration, included by the Makefile (which sets
# VERSION from FyneApp.toml, COMMIT, LDFLAGS, TAGS, CACHE_HOME and the cgo
# flags that link Tor). See docs/PACKAGING.md.
#
#   make package                  Linux .tar.xz + Windows .exe in dist/
#   make package-linux            dist/archy-desktop-$(VERSION)-linux-amd64.tar.xz
#   make package-windows          dist/archy-desktop-$(VERSION)-windows-amd64.exe
#   make install   [PREFIX=DIR]   install the Linux package (default ~/.local; /usr/local as root)
#   make uninstall [PREFIX=DIR]   remove exactly what install put there
#   make test-package             install into a temp HOME, launch via the .desktop entry under Xvfb, screenshot, uninstall

# Fyne's packaging tool, installed once into the cache (the proxy serves this exact version).
FYNE_TOOLS_VERSION := v1.7.4
FYNE_TOOLS_DIR     := $(CACHE_HOME)/archy-desktop/fyne-tools-$(FYNE_TOOLS_VERSION)
FYNE               := $(FYNE_TOOLS_DIR)/fyne

ARCH        := amd64
APP_ID      := org.archipelago.desktop
LINUX_NAME  := archy-desktop-$(VERSION)-linux-$(ARCH)
LINUX_TAR   := dist/$(LINUX_NAME).tar.xz
WINDOWS_EXE := dist/archy-desktop-$(VERSION)-windows-$(ARCH).exe
# The window class GLFW gives Fyne's window: its title at creation (app/ui.go).
# test-package checks that the launched window really has it.
STARTUP_WM_CLASS ?= Archy

# Per-user by default; system-wide when run as root (like install.sh).
PREFIX ?= $(if $(filter 0,$(shell id -u)),/usr/local,$(HOME)/.local)
# make install ARCHIVE=some.tar.xz installs that archive instead of building one.
ARCHIVE ?=

PACKAGE_ENV = VERSION='$(VERSION)' COMMIT='$(COMMIT)' ARCH='$(ARCH)' TAGS='$(TAGS)' APP_ID='$(APP_ID)' \
	FYNE='$(FYNE)' STARTUP_WM_CLASS='$(STARTUP_WM_CLASS)'

.PHONY: package package-deps package-linux package-windows install uninstall test-package

## package: the Linux archive and the Windows .exe in dist/
package: package-linux package-windows
	@echo ">> packages:"; ls -l $(LINUX_TAR) $(WINDOWS_EXE)

package-deps:
	@scripts/apt-deps.sh package gui

$(FYNE):
	@echo ">> installing fyne.io/tools $(FYNE_TOOLS_VERSION) into $(FYNE_TOOLS_DIR)"
	GOBIN='$(FYNE_TOOLS_DIR)' GOFLAGS= go install fyne.io/tools/cmd/fyne@$(FYNE_TOOLS_VERSION)

## package-linux: stripped binary with Tor linked in, desktop entry, hicolor icons, AppStream metainfo, install.sh/uninstall.sh
package-linux: deps tor package-deps $(FYNE)
	@$(PACKAGE_ENV) packaging/linux/package.sh

## package-windows: cross-compiled .exe (mingw-w64) with icon and version resources; uses tor.exe next to it
package-windows: package-deps
	@$(PACKAGE_ENV) BUILD='$(shell sed -n 's/^ *Build *= *\([0-9]*\)/\1/p' FyneApp.toml)' packaging/windows/build.sh

## install: install the Linux package into PREFIX (manifest in PREFIX/lib/archy-desktop)
install: $(if $(ARCHIVE),,package-linux)
	@set -e; archive='$(or $(ARCHIVE),$(LINUX_TAR))'; \
	tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/archy-install.XXXXXX"); trap 'rm -rf "$$tmp"' EXIT; \
	tar -xJf "$$archive" -C "$$tmp"; \
	sh "$$tmp"/archy-desktop-*/install.sh --prefix '$(PREFIX)'

## uninstall: remove what install put into PREFIX (your node's data is kept)
uninstall:
	@sh packaging/linux/uninstall.sh --prefix '$(PREFIX)'

## test-package: install into a temporary HOME, launch through the .desktop entry under Xvfb (private Tor network, loopback only), screenshot, uninstall
test-package: package-linux
	@scripts/apt-deps.sh guitest testnet
	go build -o bin/archy-testnet ./cmd/archy-testnet
	@STARTUP_WM_CLASS='$(STARTUP_WM_CLASS)' packaging/linux/test-package.sh $(LINUX_TAR)
