package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// reloading holds a value parsed from files and parses them again when one
// changes (modification time or size), so that rotated tokens and
// certificates take effect without a restart. A failed reload keeps the last
// good value: a half-written file must not take the server down.
type reloading[T any] struct {
	paths []string
	parse func() (T, error)
	every time.Duration // at most one stat of the files per interval

	mu      sync.Mutex
	stamp   string
	val     T
	checked time.Time
}

func newReloading[T any](parse func() (T, error), paths ...string) (*reloading[T], error) {
	r := &reloading[T]{paths: paths, parse: parse, every: time.Second}
	if _, err := r.get(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *reloading[T]) get() (T, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.stamp != "" && now.Sub(r.checked) < r.every {
		return r.val, nil
	}
	r.checked = now
	stamp, err := fileStamp(r.paths)
	if err == nil && stamp != r.stamp {
		var v T
		if v, err = r.parse(); err == nil {
			r.val, r.stamp = v, stamp
		}
	}
	if err != nil && r.stamp == "" {
		return r.val, err // nothing good to fall back on yet
	}
	return r.val, nil
}

func fileStamp(paths []string) (string, error) {
	var s string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		s += fmt.Sprintf("%s:%d:%d;", p, fi.ModTime().UnixNano(), fi.Size())
	}
	return s, nil
}
