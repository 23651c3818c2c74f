package ghwebhook

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// secretFile holds the webhook secrets read from a file (a mounted Secret),
// one per line, and reads the file again when it changes (modification time
// or size), so that a rotated secret takes effect without a restart. Several
// lines let a rotation overlap: put the new secret beside the old one,
// change it on GitHub, then drop the old one. A failed read keeps the last
// good secrets, so a half-written file cannot lock every delivery out.
type secretFile struct {
	path  string
	every time.Duration // at most one stat of the file per interval
	now   func() time.Time

	mu      sync.Mutex
	stamp   string
	secrets [][]byte
	checked time.Time
}

// errNoSecret is returned when the file holds no secret at all.
var errNoSecret = errors.New("the webhook secret file holds no secret")

func newSecretFile(path string) (*secretFile, error) {
	f := &secretFile{path: path, every: time.Second, now: time.Now}
	if _, err := f.get(); err != nil {
		return nil, err
	}
	return f, nil
}

// get returns the current secrets; an error only when none was ever read.
func (f *secretFile) get() ([][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if f.stamp != "" && now.Sub(f.checked) < f.every {
		return f.secrets, nil
	}
	f.checked = now
	stamp, err := fileStamp(f.path)
	if err == nil && stamp != f.stamp {
		var secrets [][]byte
		if secrets, err = readSecrets(f.path); err == nil {
			f.secrets, f.stamp = secrets, stamp
		}
	}
	if err != nil && f.stamp == "" {
		return nil, err
	}
	return f.secrets, nil
}

func fileStamp(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("webhook secret file: %w", err)
	}
	return fmt.Sprintf("%d:%d", fi.ModTime().UnixNano(), fi.Size()), nil
}

// readSecrets reads one secret per line; blank lines and the whitespace
// around each line are ignored (a Secret created with --from-literal has no
// newline, one made from a file usually has one).
func readSecrets(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read webhook secret file: %w", err)
	}
	var out [][]byte
	for line := range strings.Lines(string(b)) {
		if s := strings.TrimSpace(line); s != "" {
			out = append(out, []byte(s))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", path, errNoSecret)
	}
	return out, nil
}
