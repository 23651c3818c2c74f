package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hookops/hookops/test/process"
)

// findPID finds the process whose argv[0] is bin: the stack starts the hook
// server from a binary it builds into its own directory, so the path is
// unique to this run.
func findPID(bin string) (int, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, err
	}
	for _, dir := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue // gone, or not ours to read
		}
		argv0, _, _ := bytes.Cut(cmdline, []byte{0})
		if string(argv0) == bin {
			return strconv.Atoi(filepath.Base(dir))
		}
	}
	return 0, fmt.Errorf("no process runs %s", bin)
}

type rssSample struct {
	at    time.Time
	bytes int64
}

// rssSampler reads a process's RSS at a fixed interval until ctx ends.
type rssSampler struct {
	pid int

	mu      sync.Mutex
	samples []rssSample
	err     error
}

func sampleRSS(ctx context.Context, pid int, every time.Duration) *rssSampler {
	s := &rssSampler{pid: pid}
	s.sample()
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *rssSampler) sample() {
	b, err := process.RSS(s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.err = err
		return
	}
	s.samples = append(s.samples, rssSample{at: time.Now(), bytes: b})
}

// rssStats are the samples of one period.
type rssStats struct {
	MaxMiB  float64 `json:"max_mib"`
	LastMiB float64 `json:"last_mib"`
	Samples int     `json:"samples"`
}

// between summarises the samples taken from start to end (inclusive).
func (s *rssSampler) between(start, end time.Time) rssStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st rssStats
	for _, x := range s.samples {
		if x.at.Before(start) || x.at.After(end) {
			continue
		}
		mib := float64(x.bytes) / (1 << 20)
		st.MaxMiB, st.LastMiB = max(st.MaxMiB, mib), mib
		st.Samples++
	}
	return st
}

func (s *rssSampler) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
