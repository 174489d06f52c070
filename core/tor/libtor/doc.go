// Package libtor runs Tor inside this process when built with -tags embedtor
// (see libtor.go); without the tag it is empty and Available reports false.
package libtor

import "errors"

// ErrNotLinked is returned when the binary was built without -tags embedtor.
var ErrNotLinked = errors.New("this build does not embed Tor (built without -tags embedtor); use the tor executable provider")
