// Package onboard drives many new GitHubRepos through their sync hook as
// Metacontroller does: a few workers, each object called again when its
// answer's resyncAfterSeconds says, any replica answering any call. It
// measures how long onboarding takes and how long each repository waited,
// for the rate-budget benchmark and the replica tests.
package onboard

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hookops/hookops/hooks/metacontroller"
)

// Replica answers one sync call: a hook server, or hooks in process.
type Replica func(ctx context.Context, req *metacontroller.CompositeRequest) (*metacontroller.CompositeResponse, error)

// Repo is one GitHubRepo to onboard and the credential it uses.
type Repo struct {
	Namespace, Name, Owner string
	Token, BaseURL         string
}

// Options of a run.
type Options struct {
	Repos    []Repo
	Replicas []Replica
	// Workers is Metacontroller's --workers; default 5.
	Workers int
	// CallTimeout is the webhook timeout; default 10s.
	CallTimeout time.Duration
}

// Result of a run.
type Result struct {
	Elapsed time.Duration
	// Waits are, per repository, the time from its first sync to the
	// answer that recorded it created; sorted.
	Waits []time.Duration
	Calls int
	// Errors counts calls that failed or were refused (429).
	Errors int
}

// Longest is the longest wait of any repository.
func (r Result) Longest() time.Duration {
	if len(r.Waits) == 0 {
		return 0
	}
	return r.Waits[len(r.Waits)-1]
}

// Median is the median wait.
func (r Result) Median() time.Duration {
	if len(r.Waits) == 0 {
		return 0
	}
	return r.Waits[len(r.Waits)/2]
}

type object struct {
	repo     Repo
	parent   metacontroller.Object
	children metacontroller.ObjectMap
	first    time.Time
	due      time.Time
	index    int
}

// Run syncs every repository until each is created, or ctx ends.
func Run(ctx context.Context, opts Options) (Result, error) {
	workers := cmp.Or(opts.Workers, 5)
	timeout := cmp.Or(opts.CallTimeout, 10*time.Second)
	start := time.Now()
	q := &queue{wake: make(chan struct{}, 1)}
	for i, r := range opts.Repos {
		q.items = append(q.items, newObject(i, r, start))
	}
	heap.Init(q)
	var (
		mu  sync.Mutex
		res Result
	)
	left := len(opts.Repos)
	work := make(chan *object)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for o := range work {
				created, again, err := call(ctx, opts.Replicas[rand.IntN(len(opts.Replicas))], o, timeout)
				mu.Lock()
				res.Calls++
				if err != nil {
					res.Errors++
				}
				if created {
					res.Waits = append(res.Waits, time.Since(o.first))
					left--
					if left == 0 {
						close(done)
					}
					mu.Unlock()
					continue
				}
				mu.Unlock()
				q.push(o, time.Now().Add(again))
			}
		})
	}
	err := q.dispatch(ctx, work, done)
	close(work)
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Waits)
	if err != nil {
		return res, fmt.Errorf("%d of %d repositories not created: %w", len(opts.Repos)-len(res.Waits), len(opts.Repos), err)
	}
	return res, nil
}

func newObject(i int, r Repo, now time.Time) *object {
	return &object{repo: r, first: now, due: now, index: i, children: metacontroller.ObjectMap{},
		parent: metacontroller.Object{
			"apiVersion": "github.hookops.dev/v1", "kind": "GitHubRepo",
			"metadata": map[string]any{"name": r.Name, "namespace": r.Namespace, "uid": fmt.Sprintf("uid-%s-%s", r.Namespace, r.Name), "generation": 1},
			"spec":     map[string]any{"owner": r.Owner, "credentialsSecretRef": map[string]any{"name": "gh-token"}},
		},
	}
}

// call sends one sync and applies the answer as Metacontroller does: the
// status and children replace the old ones.
func call(ctx context.Context, replica Replica, o *object, timeout time.Duration) (created bool, again time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req := &metacontroller.CompositeRequest{Parent: o.parent, Children: o.children, Related: related(o.repo)}
	resp, err := replica(ctx, req)
	if err != nil {
		return false, 100 * time.Millisecond, err
	}
	var st map[string]any
	b, _ := json.Marshal(resp.Status)
	if err := json.Unmarshal(b, &st); err != nil {
		return false, 100 * time.Millisecond, err
	}
	o.parent["status"] = st
	o.children = metacontroller.ObjectMap{"ConfigMap.v1": {}}
	for _, c := range resp.Children {
		o.children["ConfigMap.v1"][c.Name()] = c
	}
	if id, _ := st["repoID"].(float64); id != 0 {
		return true, 0, nil
	}
	return false, time.Duration(resp.ResyncAfterSeconds * float64(time.Second)), nil
}

func related(r Repo) metacontroller.ObjectMap {
	return metacontroller.ObjectMap{"Secret.v1": {"gh-token": metacontroller.Object{"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": "gh-token", "namespace": r.Namespace},
		"stringData": map[string]any{"token": r.Token, "baseURL": r.BaseURL}}}}
}

// HTTPReplica calls a hook server's sync hook with the bearer token.
func HTTPReplica(baseURL, token string) Replica {
	return func(ctx context.Context, req *metacontroller.CompositeRequest) (*metacontroller.CompositeResponse, error) {
		body, err := json.Marshal(req)
		if err != nil {
			return nil, err
		}
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/hooks/githubrepo/sync", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(hr)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("sync answered %s", res.Status)
		}
		var resp metacontroller.CompositeResponse
		return &resp, json.NewDecoder(res.Body).Decode(&resp)
	}
}

// queue orders objects by when they are due.
type queue struct {
	mu    sync.Mutex
	items []*object
	wake  chan struct{}
}

func (q *queue) Len() int           { return len(q.items) }
func (q *queue) Less(i, j int) bool { return q.items[i].due.Before(q.items[j].due) }
func (q *queue) Swap(i, j int)      { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *queue) Push(x any)         { q.items = append(q.items, x.(*object)) }
func (q *queue) Pop() any {
	o := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return o
}

func (q *queue) push(o *object, due time.Time) {
	q.mu.Lock()
	o.due = due
	heap.Push(q, o)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// dispatch hands each object to a worker when it is due, until done.
func (q *queue) dispatch(ctx context.Context, work chan<- *object, done <-chan struct{}) error {
	for {
		q.mu.Lock()
		var next *object
		wait := time.Hour
		if q.Len() > 0 {
			if d := time.Until(q.items[0].due); d <= 0 {
				next = heap.Pop(q).(*object)
			} else {
				wait = d
			}
		}
		q.mu.Unlock()
		if next != nil {
			select {
			case work <- next:
				continue
			case <-done:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-q.wake:
		case <-done:
			timer.Stop()
			return nil
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
		timer.Stop()
	}
}
