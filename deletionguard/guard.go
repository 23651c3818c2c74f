// Package deletionguard holds repository deletions back when too many come
// at once: at most Limit deletions per credential within Window, the rest
// held until someone confirms them. A swept namespace, or a deleted CRD,
// turns into a handful of deletions and a list of held ones, not into the
// loss of every repository.
//
// The hooks keep no state, so the count lives in the Kubernetes API: a
// ledger (one ConfigMap) that every replica reads and writes with
// optimistic concurrency. It outlives hook server restarts, and the
// namespace whose GitHubRepos are being deleted, as it sits in the hook
// server's own namespace.
package deletionguard

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Ledger is the recent deletions of each credential, oldest first. It is
// keyed by a credential id, never by the credential itself.
type Ledger map[string][]Entry

// Entry is one admitted deletion, named by the GitHubRepo's uid so that a
// retry of the same deletion is not counted twice.
type Entry struct {
	UID string    `json:"uid"`
	At  time.Time `json:"at"`
}

// Store keeps the ledger. Update reads it, lets change modify it and
// writes it back only if nobody wrote in between, retrying otherwise;
// change may be called more than once and must not keep what it was given.
type Store interface {
	Update(ctx context.Context, change func(Ledger) (write bool)) error
}

// Guard admits deletions.
type Guard struct {
	Store  Store
	Limit  int
	Window time.Duration
	Now    func() time.Time
}

// Verdict is the guard's answer for one deletion.
type Verdict struct {
	Admitted bool
	// Recent is how many deletions of the credential the window holds,
	// this one included when it was admitted.
	Recent int
}

// Admit decides one deletion of the GitHubRepo uid with the credential
// cred. A confirmed deletion is admitted whatever the count, and counted.
// A deletion admitted once is admitted again, so that a retry after a lost
// answer goes on.
func (g *Guard) Admit(ctx context.Context, cred, uid string, confirmed bool) (Verdict, error) {
	var v Verdict
	err := g.Store.Update(ctx, func(l Ledger) bool {
		now := g.Now()
		pruned := prune(l, now.Add(-g.Window))
		entries := l[cred]
		v = Verdict{Recent: len(entries)}
		if slices.ContainsFunc(entries, func(e Entry) bool { return e.UID == uid }) {
			v.Admitted = true
			return pruned
		}
		if !confirmed && len(entries) >= g.Limit {
			return pruned
		}
		entries = append(entries, Entry{UID: uid, At: now})
		// Only whether the newest Limit entries fall in the window matters,
		// so older ones are dropped: the ledger stays small however many
		// deletions are confirmed.
		if len(entries) > g.Limit {
			entries = entries[len(entries)-max(g.Limit, 1):]
		}
		l[cred] = entries
		v = Verdict{Admitted: true, Recent: len(entries)}
		return true
	})
	if err != nil {
		return Verdict{}, fmt.Errorf("deletion guard: %w", err)
	}
	return v, nil
}

// prune drops the entries older than since, and credentials left with
// none, so that rotated tokens do not stay in the ledger; it reports
// whether it dropped anything.
func prune(l Ledger, since time.Time) bool {
	changed := false
	for cred, entries := range l {
		kept := slices.DeleteFunc(slices.Clone(entries), func(e Entry) bool { return e.At.Before(since) })
		switch {
		case len(kept) == 0:
			delete(l, cred)
		case len(kept) == len(entries):
			continue
		default:
			l[cred] = kept
		}
		changed = true
	}
	return changed
}
