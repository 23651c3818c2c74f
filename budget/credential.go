package budget

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// poll is how often a request waiting only for a free place in flight
// looks again.
const poll = 20 * time.Millisecond

// credential is one credential's spending.
type credential struct {
	content, points []*log
	lastWrite       time.Time
	promised        time.Time // the latest time a turned-away write was told to come back
	inFlight        int
	waiting         int
	waited          time.Duration
	lastUsed        time.Time

	// The primary limit as GitHub last reported it.
	primary struct {
		known     bool
		limit     int
		remaining int
		reset     time.Time
	}
	// limitedUntil is set when GitHub answered that a limit was hit.
	limitedUntil time.Time
	limitedBy    string
}

func newCredential(l Limits) *credential {
	c := &credential{}
	for _, w := range l.Content {
		c.content = append(c.content, &log{Window: w})
	}
	for _, w := range l.Points {
		c.points = append(c.points, &log{Window: w})
	}
	return c
}

// next says when a request of kind k may start, and which limit, if any,
// holds it until then.
func (c *credential) next(l Limits, k Kind, now time.Time) (at time.Time, why string, github bool) {
	if c.limitedUntil.After(now) {
		return c.limitedUntil, c.limitedBy, true
	}
	p := c.primary
	if p.known && p.remaining <= l.InFlight*l.Replicas && p.reset.After(now) {
		return p.reset, fmt.Sprintf("GitHub's primary rate limit of %d requests, %d left", p.limit, p.remaining), true
	}
	at = now
	share := ""
	if l.Replicas > 1 {
		share = ", this replica's share"
	}
	later := func(t time.Time, limit string) {
		if t.After(at) {
			at, why = t, limit+share
		}
	}
	cost := ReadCost
	if k != Read {
		cost = WriteCost
	}
	for _, lg := range c.points {
		later(lg.earliest(now, cost, lg.N), fmt.Sprintf("%d points per %s", lg.N, lg.Per))
	}
	if k != Read {
		for _, lg := range c.content {
			n := lg.N
			if k == Create {
				n -= forUpdates(n)
			}
			later(lg.earliest(now, 1, n), fmt.Sprintf("%d content-creating requests per %s", lg.N, lg.Per))
		}
		if !c.lastWrite.IsZero() {
			later(c.lastWrite.Add(l.WriteGap), fmt.Sprintf("a write every %s", l.WriteGap))
		}
	}
	if !at.After(now) && c.inFlight >= l.InFlight {
		later(now.Add(poll), fmt.Sprintf("%d requests in flight", l.InFlight))
	}
	return at, why, false
}

// promise spreads the writes turned away: each is told to come back one
// write's turn after the one before, instead of all at the moment the
// next write fits, where all but one would be turned away again.
func (c *credential) promise(l Limits, at time.Time) time.Time {
	var turn time.Duration
	for _, w := range l.Content {
		if t := w.Per / time.Duration(w.N); turn == 0 || t < turn {
			turn = t
		}
	}
	turn = max(turn, l.WriteGap)
	if c.promised.Before(at) {
		c.promised = at
	} else {
		c.promised = c.promised.Add(turn)
	}
	return c.promised
}

// forUpdates is the part of a content window creates leave to updates: a
// tenth, and at least one when the window has room for more than one.
func forUpdates(n int) int {
	if n < 2 {
		return 0
	}
	return max(n/10, 1)
}

func (c *credential) admit(l Limits, k Kind, now time.Time) {
	c.inFlight++
	cost := ReadCost
	if k != Read {
		cost = WriteCost
		for _, lg := range c.content {
			lg.add(now, 1)
		}
		c.lastWrite = now
	}
	for _, lg := range c.points {
		lg.add(now, cost)
	}
	if c.primary.known {
		// Counted before GitHub answers, so that requests in flight at
		// once cannot together overshoot what is left.
		c.primary.remaining--
	}
}

// settle moves a finished request's entries from when it was admitted to
// now. GitHub counted it somewhere in between, on its own clock: an entry
// that left the window at admission time plus the window could leave it
// before GitHub's does, and the next request would be one too many.
func (c *credential) settle(k Kind, admitted, now time.Time) {
	cost := ReadCost
	if k != Read {
		cost = WriteCost
		for _, lg := range c.content {
			lg.move(admitted, 1, now)
		}
	}
	for _, lg := range c.points {
		lg.move(admitted, cost, now)
	}
}

// Answer is what the budget needs of GitHub's answer.
type Answer struct {
	Status int
	Header http.Header
	// Secondary is true when the body says a secondary rate limit was hit.
	Secondary bool
}

// observe reads the rate-limit headers of an answer (304s included: GitHub
// sends them on every response) and, when GitHub refused with a rate
// limit, stops the credential until the time GitHub's docs say to wait:
// retry-after if given, else x-ratelimit-reset when remaining is 0, else
// a minute.
func (c *credential) observe(a *Answer, now time.Time) {
	if a == nil {
		return
	}
	h := a.Header
	remaining, errR := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, errT := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if errR == nil && errT == nil {
		c.primary.known, c.primary.remaining, c.primary.reset = true, remaining, time.Unix(reset, 0)
		if limit, err := strconv.Atoi(h.Get("X-RateLimit-Limit")); err == nil {
			c.primary.limit = limit
		}
	}
	if a.Status != http.StatusForbidden && a.Status != http.StatusTooManyRequests {
		return
	}
	var until time.Time
	var by string
	switch secs, err := strconv.Atoi(h.Get("Retry-After")); {
	case err == nil:
		until, by = now.Add(time.Duration(max(secs, 1))*time.Second), fmt.Sprintf("GitHub's secondary rate limit: retry after %ds", secs)
	case errR == nil && errT == nil && remaining == 0:
		until, by = time.Unix(reset, 0), "GitHub's primary rate limit"
		if a.Secondary {
			by = "GitHub's secondary rate limit"
		}
	case a.Secondary || a.Status == http.StatusTooManyRequests:
		until, by = now.Add(time.Minute), "GitHub's secondary rate limit: a minute, as GitHub asks when it names no time"
	default:
		return // a 403 that is no rate limit
	}
	if until.After(c.limitedUntil) {
		c.limitedUntil, c.limitedBy = until, by
	}
}
