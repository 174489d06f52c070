//go:build darwin

package autostart

import (
	"errors"
	"os"
	"path/filepath"
)

// EntryPath is the LaunchAgent: ~/Library/LaunchAgents/org.archipelago.desktop.plist.
// launchd reads it at the next login; it is not loaded now (RunAtLoad would
// start a second copy of the running app).
func EntryPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "Library", "LaunchAgents", AppID+".plist"), nil
}

func enable(exe string) error {
	path, err := EntryPath()
	if err != nil {
		return err
	}
	content, err := LaunchAgentPlist(exe)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, content, 0o644)
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
	_, err = os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func location() (string, error) { return EntryPath() }
