// Package onboard drives many new GitHubRepos through their sync hook as
// Metacontroller does: a few workers, each object called again when its
// answer's resyncAfterSeconds says, any replica answering any call. It
// measures how long onboarding takes and how long each repository waited,
// for the rate-budget benchmark and the replica tests.
package onboard

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"

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
}

// Run syncs every repository until each is created, or ctx ends.
func Run(ctx context.Context, opts Options) (Result, error) {
	workers := cmp.Or(opts.Workers, 5)
	timeout := cmp.Or(opts.CallTimeout, 10*time.Second)
	start := time.Now()
	// A delaying work queue, as Metacontroller's own: an object is called
	// again resyncAfterSeconds after its answer, by whichever worker is free.
	q := workqueue.NewTypedDelayingQueue[*object]()
	defer q.ShutDown()
	for _, r := range opts.Repos {
		q.Add(newObject(r, start))
	}
	var (
		mu   sync.Mutex
		res  Result
		left = len(opts.Repos)
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				o, shutdown := q.Get()
				if shutdown {
					return
				}
				created, again, err := call(ctx, opts.Replicas[rand.IntN(len(opts.Replicas))], o, timeout)
				q.Done(o)
				mu.Lock()
				res.Calls++
				if err != nil {
					res.Errors++
				}
				if created {
					res.Waits = append(res.Waits, time.Since(o.first))
					if left--; left == 0 {
						close(done)
					}
				}
				mu.Unlock()
				if !created {
					q.AddAfter(o, again)
				}
			}
		})
	}
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	q.ShutDown()
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Waits)
	if err != nil {
		return res, fmt.Errorf("%d of %d repositories not created: %w", len(opts.Repos)-len(res.Waits), len(opts.Repos), err)
	}
	return res, nil
}

func newObject(r Repo, now time.Time) *object {
	return &object{repo: r, first: now, children: metacontroller.ObjectMap{},
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
