package deletionguard

import (
	"context"
	"maps"
	"slices"
	"sync"
)

// MemoryStore keeps the ledger in one process, where it holds across
// objects but not across replicas or restarts: for tests.
type MemoryStore struct {
	mu sync.Mutex
	l  Ledger
}

func (s *MemoryStore) Update(_ context.Context, change func(Ledger) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := Ledger{}
	for cred, entries := range s.l {
		l[cred] = slices.Clone(entries)
	}
	if change(l) {
		s.l = maps.Clone(l)
	}
	return nil
}
