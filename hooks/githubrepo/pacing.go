package githubrepo

import (
	"context"
	"sync"
	"time"
)

// Pacer serializes the mutating GitHub requests of each token and spaces
// them, from the end of one to the start of the next, by at least a second,
// as GitHub asks of integrators; that also keeps a token under the ~80
// content-creating requests a minute GitHub allows. It is an in-process
// optimisation: replicas pace independently, and GitHub's secondary-limit
// answers (handled as failures) remain the real guard.
type Pacer struct {
	every time.Duration

	mu     sync.Mutex
	tokens map[string]*pace
}

// pace is one token's write slot: holding sem is the right to write, and
// last is when the previous write finished.
type pace struct {
	sem  chan struct{}
	last time.Time
}

// NewPacer spaces the writes of one token by at least every.
func NewPacer(every time.Duration) *Pacer {
	return &Pacer{every: every, tokens: map[string]*pace{}}
}

// Acquire waits for the token's turn to write and returns the function that
// ends the write. When the turn would come later than margin before ctx's
// deadline it does not wait, and says how long the caller should come back
// after instead.
func (p *Pacer) Acquire(ctx context.Context, token string, margin time.Duration) (done func(), retryAfter time.Duration, ok bool) {
	if p == nil || p.every <= 0 {
		return func() {}, 0, true
	}
	t := p.token(token)
	budget := remaining(ctx, margin)
	if budget <= 0 {
		return nil, p.every, false
	}
	timer := time.NewTimer(budget)
	defer timer.Stop()
	select {
	case t.sem <- struct{}{}:
	case <-timer.C:
		return nil, p.every, false
	case <-ctx.Done():
		return nil, p.every, false
	}
	wait := time.Until(t.last.Add(p.every))
	if wait > remaining(ctx, margin) {
		<-t.sem
		return nil, max(wait, time.Second), false
	}
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			<-t.sem
			return nil, wait, false
		}
	}
	return func() {
		t.last = time.Now()
		<-t.sem
	}, 0, true
}

// remaining is the time left before ctx's deadline less margin.
func remaining(ctx context.Context, margin time.Duration) time.Duration {
	if dl, has := ctx.Deadline(); has {
		return time.Until(dl) - margin
	}
	return time.Duration(1<<63 - 1)
}

func (p *Pacer) token(token string) *pace {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.tokens[token]
	if !ok {
		t = &pace{sem: make(chan struct{}, 1)}
		p.tokens[token] = t
	}
	return t
}
