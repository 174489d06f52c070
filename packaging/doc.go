// Package packaging holds no code: it is the home of the build files for the
// Linux archive (linux/), the Windows .exe (windows/) and the macOS bundle
// (macos/), driven by package.mk (make package, install, uninstall,
// test-package; see docs/PACKAGING.md). Its test checks that the app id,
// name and version agree across FyneApp.toml, the autostart writers and every
// packaging template, and that the macOS Info.plist template is a valid
// property list.
package packaging
