package githubrepo

import (
	"crypto/sha256"
	"net/http"
	"sync"

	"github.com/google/go-github/v62/github"

	"github.com/hookops/hookops/budget"
)

// clients keeps one go-github client per credential: building one (its
// services, its copies for the token and the base URL, the URL parsing)
// cost more than the conditional GET that is all an idle sync sends.
// Clients are safe for concurrent use. The key holds a hash of the
// credential, never the token; the HTTP client, App cache and budget are
// part of it, so that swapping one (as tests do) never reuses a client
// built on the old one.
type clients struct {
	mu sync.Mutex
	m  map[clientKey]*github.Client
}

type clientKey struct {
	base, cred string
	// appKey tells an App's keys apart: rotating the key keeps the
	// credential, and its budget, but needs a new client.
	appKey [sha256.Size]byte
	http   *http.Client
	apps   *Apps
	budget *budget.Budget
}

// maxClients bounds the cache: credentials replaced by rotation are
// dropped with the rest when it fills.
const maxClients = 1024

func (c *clients) get(k clientKey, build func() (*github.Client, error)) (*github.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gc, ok := c.m[k]; ok {
		return gc, nil
	}
	gc, err := build()
	if err != nil {
		return nil, err
	}
	if c.m == nil || len(c.m) >= maxClients {
		c.m = make(map[clientKey]*github.Client)
	}
	c.m[k] = gc
	return gc, nil
}
