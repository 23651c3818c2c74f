// Package budget spends each GitHub credential's rate limits as GitHub
// documents them, for every object the process serves: the primary limit
// GitHub reports in its x-ratelimit-* headers, the secondary limits (80
// content-creating requests a minute, 500 an hour, 900 points a minute,
// requests in flight), a second between writes, and whatever limit GitHub
// says was hit. When a credential is limited nothing more is sent on it
// until the time GitHub or the budget names.
//
// A Deployment of several replicas splits each limit among them
// (Limits.Replicas): GitHub counts the requests of a token wherever they
// come from, and a hook call may reach any replica.
//
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api
// https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api
package budget

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Point costs of a request, as GitHub counts them for the REST API.
const (
	ReadCost  = 1 // GET, HEAD, OPTIONS
	WriteCost = 5 // every other method
)

// Limits are a credential's limits for the whole Deployment.
type Limits struct {
	Content  []Window      // content-creating requests: every write
	Points   []Window      // points
	WriteGap time.Duration // between the starts of two writes
	InFlight int           // requests at once
	Replicas int           // the Deployment's replicas, each spending its share
	// MaxWait is the longest a request waits inside a hook call. A longer
	// wait is answered "come back then", so that the calls of a busy
	// credential do not hold Metacontroller's workers from the others.
	MaxWait time.Duration
}

// DefaultLimits are GitHub's documented limits for one replica.
func DefaultLimits() Limits {
	return Limits{
		Content:  []Window{{80, time.Minute}, {500, time.Hour}},
		Points:   []Window{{900, time.Minute}},
		WriteGap: time.Second,
		InFlight: 10,
		Replicas: 1,
		MaxWait:  time.Second,
	}
}

// Kind is what a request does. Creates leave part of the content budget
// to the updates of existing repositories, so that onboarding hundreds of
// repositories does not hold back a change to one that exists.
type Kind int

const (
	Read Kind = iota
	Update
	Create
)

// Budget holds the state of every credential the process has used.
type Budget struct {
	limits Limits // this replica's share
	now    func() time.Time

	mu     sync.Mutex
	creds  map[string]*credential
	pruned time.Time
}

// New returns a budget spending l's share for one replica.
func New(l Limits) *Budget {
	return &Budget{limits: share(l), now: time.Now, creds: map[string]*credential{}}
}

// WithClock makes the budget read time from now; for tests.
func (b *Budget) WithClock(now func() time.Time) *Budget {
	b.now = now
	return b
}

// share divides every limit among the replicas, rounding down but keeping
// at least one, and spaces each replica's writes that much further apart.
func share(l Limits) Limits {
	r := max(l.Replicas, 1)
	split := func(ws []Window) []Window {
		out := make([]Window, len(ws))
		for i, w := range ws {
			out[i] = Window{N: max(w.N/r, 1), Per: w.Per}
		}
		return out
	}
	return Limits{Content: split(l.Content), Points: split(l.Points), WriteGap: l.WriteGap * time.Duration(r),
		InFlight: max(l.InFlight/r, 1), Replicas: r, MaxWait: l.MaxWait}
}

// LimitedError says that a request was not sent, and until when.
type LimitedError struct {
	Until time.Time
	// Limit names the limit that holds it, as users read it.
	Limit string
	// GitHub is true when GitHub said the credential is limited, false
	// when the budget keeps it from being so.
	GitHub bool
}

func (e *LimitedError) Error() string {
	who := "the credential's budget"
	if e.GitHub {
		who = "GitHub"
	}
	return fmt.Sprintf("not sent: %s allows no more (%s) until %s", who, e.Limit, e.Until.UTC().Format(time.RFC3339))
}

// Take waits for room for one request of kind k on the credential cred,
// as long as the request could still start margin before ctx's deadline;
// otherwise it returns a *LimitedError and nothing may be sent. done
// reports GitHub's answer (nil if none came) and must be called once.
func (b *Budget) Take(ctx context.Context, cred string, k Kind, margin time.Duration) (done func(*Answer), err error) {
	deadline, hasDeadline := ctx.Deadline()
	waited := time.Duration(0)
	start := b.now()
	for {
		b.mu.Lock()
		now := b.now()
		b.pruneLocked(now)
		c := b.credLocked(cred)
		at, why, github := c.next(b.limits, k, now)
		if !at.After(now) {
			c.admit(b.limits, k, now)
			c.waited += waited
			b.mu.Unlock()
			return b.doneFunc(c, k, now), nil
		}
		// MaxWait bounds the whole wait: a turn taken by another request
		// does not start it again.
		tooLong := b.limits.MaxWait > 0 && at.Sub(start) > b.limits.MaxWait
		if tooLong || (hasDeadline && at.After(deadline.Add(-margin))) || c.waiting >= b.limits.InFlight {
			c.waited += waited
			if k != Read {
				at = c.promise(b.limits, at)
			}
			b.mu.Unlock()
			return nil, &LimitedError{Until: at, Limit: why, GitHub: github}
		}
		c.waiting++
		b.mu.Unlock()
		wait := at.Sub(now)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
		waited += wait
		b.mu.Lock()
		c.waiting--
		b.mu.Unlock()
		if ctx.Err() != nil {
			return nil, &LimitedError{Until: at, Limit: why, GitHub: github}
		}
	}
}

func (b *Budget) doneFunc(c *credential, k Kind, admitted time.Time) func(*Answer) {
	var once sync.Once
	return func(a *Answer) {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			now := b.now()
			c.inFlight--
			c.settle(k, admitted, now)
			c.observe(a, now)
		})
	}
}

func (b *Budget) credLocked(cred string) *credential {
	c, ok := b.creds[cred]
	if !ok {
		c = newCredential(b.limits)
		b.creds[cred] = c
	}
	c.lastUsed = b.now()
	return c
}

// pruneLocked forgets credentials idle for longer than their longest
// window, at most once a minute: rotated tokens must not grow the map.
func (b *Budget) pruneLocked(now time.Time) {
	if now.Sub(b.pruned) < time.Minute {
		return
	}
	b.pruned = now
	keep := b.limits.longest()
	for id, c := range b.creds {
		if c.inFlight == 0 && c.waiting == 0 && now.Sub(c.lastUsed) > keep && !c.limitedUntil.After(now) {
			delete(b.creds, id)
		}
	}
}

func (l Limits) longest() time.Duration {
	d := time.Hour
	for _, w := range append(append([]Window{}, l.Content...), l.Points...) {
		d = max(d, w.Per)
	}
	return d
}

// Credentials is how many credentials the budget remembers.
func (b *Budget) Credentials() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.creds)
}

// Scaled is l with every window, the write gap and the longest wait made
// as much shorter as a minute is to minute: benchmarks run an hour of
// GitHub's limits in a minute.
func (l Limits) Scaled(minute time.Duration) Limits {
	f := float64(minute) / float64(time.Minute)
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	windows := func(ws []Window) []Window {
		out := make([]Window, len(ws))
		for i, w := range ws {
			out[i] = Window{N: w.N, Per: scale(w.Per)}
		}
		return out
	}
	l.Content, l.Points = windows(l.Content), windows(l.Points)
	l.WriteGap, l.MaxWait = scale(l.WriteGap), scale(l.MaxWait)
	return l
}
