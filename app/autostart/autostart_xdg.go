//go:build !windows && !darwin

package autostart

import (
	"errors"
	"os"
	"path/filepath"
)

// EntryPath is the XDG autostart entry: $XDG_CONFIG_HOME/autostart/… when
// XDG_CONFIG_HOME is an absolute path (the spec ignores relative ones), else
// ~/.config/autostart/….
func EntryPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", AppID+".desktop"), nil
}

func enable(exe string) error {
	path, err := EntryPath()
	if err != nil {
		return err
	}
	content, err := DesktopEntry(exe)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, []byte(content), 0o644)
}

func disable() error {
	path, err := EntryPath()
	if err != nil {
		return err
	}
	return removeIfExists(path)
}

func enabled() (bool, error) {
	path, err := EntryPath()
	if err != nil {
		return false, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return desktopEntryActive(string(b)), nil
}

func location() (string, error) { return EntryPath() }
