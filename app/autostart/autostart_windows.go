//go:build windows

package autostart

import (
	"errors"

	"golang.org/x/sys/windows/registry"
)

func enable(exe string) error {
	value, err := RunValue(exe)
	if err != nil {
		return err
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, RunKeyPath, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.SetStringValue(RunValueName, value); err != nil {
		return err
	}
	// The user asked for it here, so forget an earlier "off" from Task
	// Manager (a missing StartupApproved value means enabled).
	if a, err := registry.OpenKey(registry.CURRENT_USER, StartupApprovedKeyPath, registry.SET_VALUE); err == nil {
		if err := a.DeleteValue(RunValueName); err != nil && !errors.Is(err, registry.ErrNotExist) {
			a.Close()
			return err
		}
		a.Close()
	}
	return nil
}

func disable() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, RunKeyPath, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.DeleteValue(RunValueName); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return err
	}
	return nil
}

func enabled() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, RunKeyPath, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer k.Close()
	if _, _, err := k.GetStringValue(RunValueName); err != nil {
		if errors.Is(err, registry.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	if a, err := registry.OpenKey(registry.CURRENT_USER, StartupApprovedKeyPath, registry.QUERY_VALUE); err == nil {
		defer a.Close()
		if data, _, err := a.GetBinaryValue(RunValueName); err == nil && startupApprovedDisabled(data) {
			return false, nil
		}
	}
	return true, nil
}

func location() (string, error) {
	return `HKEY_CURRENT_USER\` + RunKeyPath + ` → "` + RunValueName + `"`, nil
}
