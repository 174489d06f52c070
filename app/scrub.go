package app

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

var scrubbers = []struct {
	re   *regexp.Regexp
	repl func(string) string
}{
	// Invite links carry a one-time secret: never show them.
	{regexp.MustCompile(`(?i)archy://[a-z2-7]*`), func(string) string { return "[invite]" }},
	// Tor key blobs and client-authorization keys.
	{regexp.MustCompile(`(?i)ed25519-v3:[a-z0-9+/=]+`), func(string) string { return "ED25519-V3:[key]" }},
	{regexp.MustCompile(`(?i)x25519:[a-z0-9+/=]{16,}`), func(string) string { return "x25519:[key]" }},
	// did:key values: keep "did:key:z6Mk" and 4 more characters.
	{regexp.MustCompile(`did:key:z[1-9A-HJ-NP-Za-km-z]{8,}`), func(s string) string { return s[:len("did:key:z6Mk")+4] + "…" }},
	// Onion addresses: the first 8 characters are enough to tell them apart.
	{regexp.MustCompile(`(?i)\b[a-z2-7]{16,56}\.onion\b`), func(s string) string { return s[:8] + "….onion" }},
	// Long hex strings (secrets, keys, hashes).
	{regexp.MustCompile(`\b[0-9a-fA-F]{48,}\b`), func(s string) string { return s[:8] + "…" }},
}

// Scrub removes secrets from a log line: invite links become "[invite]",
// did:key values and .onion addresses are shortened, keys are dropped.
func Scrub(s string) string {
	for _, sc := range scrubbers {
		s = sc.re.ReplaceAllStringFunc(s, sc.repl)
	}
	return s
}

// logBuffer keeps the last lines of the app's log, scrubbed, for the live
// log view. It is a logrus hook: attach it with Logger.AddHook.
type logBuffer struct {
	mu      sync.Mutex
	lines   []string
	max     int
	changed func() // called (outside the lock) after a line was added
}

func newLogBuffer(max int) *logBuffer { return &logBuffer{max: max} }

func (l *logBuffer) Levels() []logrus.Level { return logrus.AllLevels }

func (l *logBuffer) Fire(e *logrus.Entry) error {
	l.add(formatEntry(e))
	return nil
}

func (l *logBuffer) add(line string) {
	line = Scrub(line)
	l.mu.Lock()
	l.lines = append(l.lines, line)
	if len(l.lines) > l.max {
		// Drop the oldest quarter at once so appends stay cheap.
		n := copy(l.lines, l.lines[len(l.lines)-l.max*3/4:])
		l.lines = l.lines[:n]
	}
	changed := l.changed
	l.mu.Unlock()
	if changed != nil {
		changed()
	}
}

func (l *logBuffer) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func (l *logBuffer) setChanged(f func()) {
	l.mu.Lock()
	l.changed = f
	l.mu.Unlock()
}

// formatEntry writes a log entry on one line: "15:04:05 INFO message key=value".
func formatEntry(e *logrus.Entry) string {
	var b strings.Builder
	t := e.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(t.Format("15:04:05"))
	b.WriteByte(' ')
	b.WriteString(strings.ToUpper(e.Level.String()))
	b.WriteByte(' ')
	b.WriteString(strings.TrimRight(e.Message, "\n"))
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, e.Data[k])
	}
	return b.String()
}
