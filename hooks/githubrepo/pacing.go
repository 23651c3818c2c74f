package githubrepo

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacer spaces mutating GitHub requests per token, as GitHub asks of
// integrators: serial writes at least a second apart, which also keeps a
// token under the ~80 content-creating requests a minute GitHub allows. It is
// an in-process optimisation: replicas pace independently, and GitHub's
// secondary-limit answers (handled as failures) remain the real guard.
type Pacer struct {
	every time.Duration

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// NewPacer spaces writes of one token by at least every.
func NewPacer(every time.Duration) *Pacer {
	return &Pacer{every: every, limiters: map[string]*rate.Limiter{}}
}

// Wait blocks until the token may write again. When that would leave less
// than margin before ctx's deadline it does not wait and reports how long
// the caller should come back after instead.
func (p *Pacer) Wait(ctx context.Context, token string, margin time.Duration) (retryAfter time.Duration, ok bool) {
	if p == nil || p.every <= 0 {
		return 0, true
	}
	r := p.limiter(token).Reserve()
	delay := r.Delay()
	if dl, has := ctx.Deadline(); has && time.Until(dl)-margin < delay {
		r.Cancel()
		return max(delay, time.Second), false
	}
	if delay == 0 {
		return 0, true
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return 0, true
	case <-ctx.Done():
		r.Cancel()
		return delay, false
	}
}

func (p *Pacer) limiter(token string) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.limiters[token]
	if !ok {
		l = rate.NewLimiter(rate.Every(p.every), 1)
		p.limiters[token] = l
	}
	return l
}
