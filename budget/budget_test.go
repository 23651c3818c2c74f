package budget

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// clock is a budget's time, moved by hand.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) later(d time.Duration)   { c.now = c.now.Add(d) }
func newClock() *clock                   { return &clock{now: time.Now()} }
func (c *clock) budget(l Limits) *Budget { return New(l).WithClock(c.Now) }

// try asks without waiting: the context ends at once.
func try(t *testing.T, b *Budget, cred string, k Kind) error {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), time.Now())
	defer cancel()
	done, err := b.Take(ctx, cred, k, 0)
	if err == nil {
		done(&Answer{Status: 200, Header: http.Header{}})
	}
	return err
}

// admitted counts how many of n requests go before the first refusal.
func admitted(t *testing.T, b *Budget, cred string, k Kind, n int) (int, *LimitedError) {
	t.Helper()
	for i := range n {
		if err := try(t, b, cred, k); err != nil {
			le, ok := err.(*LimitedError)
			if !ok {
				t.Fatalf("error %v is not a *LimitedError", err)
			}
			return i, le
		}
	}
	return n, nil
}

// The documented secondary limits, one replica and two:
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
func TestDocumentedLimits(t *testing.T) {
	for _, c := range []struct {
		name      string
		limits    Limits
		kind      Kind
		want      int
		limit     string
		waitAbout time.Duration
	}{
		{"80 content-creating requests a minute", Limits{Content: []Window{{80, time.Minute}, {500, time.Hour}}, InFlight: 1000}, Update, 80, "80 content-creating requests per 1m0s", time.Minute},
		{"creates leave a tenth to updates", Limits{Content: []Window{{80, time.Minute}}, InFlight: 1000}, Create, 72, "80 content-creating requests per 1m0s", time.Minute},
		{"900 points a minute, 1 a read", Limits{Points: []Window{{900, time.Minute}}, InFlight: 1000}, Read, 900, "900 points per 1m0s", time.Minute},
		{"900 points a minute, 5 a write", Limits{Points: []Window{{900, time.Minute}}, InFlight: 1000}, Update, 180, "900 points per 1m0s", time.Minute},
		{"a second between writes", Limits{WriteGap: time.Second, InFlight: 1000}, Update, 1, "a write every 1s", time.Second},
		{"two replicas share", Limits{Content: []Window{{80, time.Minute}}, InFlight: 1000, Replicas: 2}, Update, 40, "40 content-creating requests per 1m0s, this replica's share", time.Minute},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := newClock()
			b := clk.budget(c.limits)
			n, le := admitted(t, b, "cred", c.kind, 1000)
			if n != c.want || le == nil {
				t.Fatalf("%d admitted, then %v; want %d, then a refusal", n, le, c.want)
			}
			if le.GitHub || !strings.Contains(le.Limit, c.limit) {
				t.Errorf("refusal %+v, want the budget's own, naming %q", le, c.limit)
			}
			if wait := le.Until.Sub(clk.now); wait < c.waitAbout-time.Second || wait > c.waitAbout {
				t.Errorf("until %s after now, want about %s", wait, c.waitAbout)
			}
			clk.now = le.Until
			if err := try(t, b, "cred", c.kind); err != nil {
				t.Errorf("at the time it named: %v", err)
			}
		})
	}
}

// At most 500 writes in any hour, though each minute allows 80.
func TestTheHourSlides(t *testing.T) {
	clk := newClock()
	b := clk.budget(Limits{Content: []Window{{80, time.Minute}, {500, time.Hour}}, InFlight: 1000})
	start := clk.now
	total := 0
	var le *LimitedError
	for range 7 {
		var n int
		n, le = admitted(t, b, "cred", Update, 1000)
		total += n
		clk.later(time.Minute)
	}
	if total != 500 {
		t.Fatalf("%d writes in 7 minutes, want 500", total)
	}
	if le == nil || !le.Until.Equal(start.Add(time.Hour)) || !strings.Contains(le.Limit, "500") {
		t.Errorf("refusal %+v, want until an hour after the first write, naming 500 an hour", le)
	}
}

// Writes turned away are told to come back one turn apart (here the
// 0.75s of 80 a minute), not all at the moment one more fits.
func TestTurnedAwayWritesAreSpread(t *testing.T) {
	clk := newClock()
	b := clk.budget(Limits{Content: []Window{{80, time.Minute}}, InFlight: 1000})
	admitted(t, b, "cred", Update, 80)
	var untils []time.Time
	for range 3 {
		_, le := admitted(t, b, "cred", Update, 1)
		untils = append(untils, le.Until)
	}
	if untils[1].Sub(untils[0]) != 750*time.Millisecond || untils[2].Sub(untils[1]) != 750*time.Millisecond {
		t.Errorf("turned away until %v, want 0.75s apart", untils)
	}
	if _, le := admitted(t, b, "cred", Read, 1); le != nil {
		t.Errorf("a read waits behind turned-away writes: %v", le)
	}
}

func TestUpdatesGoWhileCreatesWait(t *testing.T) {
	clk := newClock()
	b := clk.budget(Limits{Content: []Window{{80, time.Minute}}, InFlight: 1000})
	if n, _ := admitted(t, b, "cred", Create, 1000); n != 72 {
		t.Fatalf("%d creates, want 72", n)
	}
	if n, _ := admitted(t, b, "cred", Update, 1000); n != 8 {
		t.Errorf("%d updates beside a full load of creates, want the 8 left to them", n)
	}
}

func TestCredentialsAreApart(t *testing.T) {
	clk := newClock()
	b := clk.budget(Limits{Content: []Window{{5, time.Minute}}, InFlight: 1000})
	admitted(t, b, "busy", Update, 100)
	if n, _ := admitted(t, b, "quiet", Update, 100); n != 5 {
		t.Errorf("another credential got %d writes, want its own 5", n)
	}
}

// What GitHub's answers say stops every kind of request on the credential:
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
func TestGitHubSaysLimited(t *testing.T) {
	clk := newClock()
	reset := clk.now.Add(17 * time.Minute).Truncate(time.Second)
	for _, c := range []struct {
		name       string
		answer     Answer
		until      time.Time
		limit      string
		notLimited bool
	}{
		{"403 with retry-after", Answer{Status: 403, Header: hdr("Retry-After", "30"), Secondary: true}, clk.now.Add(30 * time.Second), "secondary", false},
		{"429 with retry-after", Answer{Status: 429, Header: hdr("Retry-After", "5")}, clk.now.Add(5 * time.Second), "secondary", false},
		{"403, remaining 0, reset: the primary limit", Answer{Status: 403, Header: hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", fmt.Sprint(reset.Unix()))}, reset, "primary", false},
		{"429, remaining 0, reset: the primary limit", Answer{Status: 429, Header: hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", fmt.Sprint(reset.Unix()))}, reset, "primary", false},
		{"403 secondary message with remaining 0", Answer{Status: 403, Secondary: true, Header: hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", fmt.Sprint(reset.Unix()))}, reset, "secondary", false},
		{"403 secondary message, no header: a minute", Answer{Status: 403, Secondary: true, Header: http.Header{}}, clk.now.Add(time.Minute), "a minute", false},
		{"429 with nothing: a minute", Answer{Status: 429, Header: http.Header{}}, clk.now.Add(time.Minute), "a minute", false},
		{"a 403 that is no limit", Answer{Status: 403, Header: hdr("X-RateLimit-Remaining", "4000", "X-RateLimit-Reset", fmt.Sprint(reset.Unix()))}, time.Time{}, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := clk.budget(Limits{InFlight: 1000})
			ctx := context.Background()
			done, err := b.Take(ctx, "cred", Update, 0)
			if err != nil {
				t.Fatal(err)
			}
			done(&c.answer)
			for _, k := range []Kind{Read, Update, Create} {
				err := try(t, b, "cred", k)
				if c.notLimited {
					if err != nil {
						t.Errorf("kind %d refused: %v", k, err)
					}
					continue
				}
				le, ok := err.(*LimitedError)
				if !ok || !le.GitHub || !le.Until.Equal(c.until) || !strings.Contains(le.Limit, c.limit) {
					t.Errorf("kind %d: got %v, want GitHub's limit (%q) until %s", k, err, c.limit, c.until)
				}
			}
		})
	}
}

// The primary limit is read from every answer: with what is left no more
// than may be in flight, the credential waits for the reset.
func TestPrimaryFromHeaders(t *testing.T) {
	clk := newClock()
	reset := clk.now.Add(time.Hour).Truncate(time.Second)
	b := clk.budget(Limits{InFlight: 4, Replicas: 1})
	done, _ := b.Take(context.Background(), "cred", Read, 0)
	done(&Answer{Status: 304, Header: hdr("X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "4", "X-RateLimit-Reset", fmt.Sprint(reset.Unix()))})
	le, ok := try(t, b, "cred", Read).(*LimitedError)
	if !ok || !le.GitHub || !le.Until.Equal(reset) || !strings.Contains(le.Limit, "5000") {
		t.Fatalf("got %v, want the primary limit until %s", le, reset)
	}
	clk.now = reset
	if err := try(t, b, "cred", Read); err != nil {
		t.Errorf("after the reset: %v", err)
	}
}

func TestInFlight(t *testing.T) {
	clk := newClock()
	b := clk.budget(Limits{InFlight: 2, Replicas: 1})
	var dones []func(*Answer)
	for range 2 {
		done, err := b.Take(context.Background(), "cred", Read, 0)
		if err != nil {
			t.Fatal(err)
		}
		dones = append(dones, done)
	}
	if le, ok := try(t, b, "cred", Read).(*LimitedError); !ok || !strings.Contains(le.Limit, "in flight") {
		t.Fatalf("a third request at once: %v", le)
	}
	dones[0](nil)
	dones[0](nil) // a second call changes nothing
	if err := try(t, b, "cred", Read); err != nil {
		t.Errorf("after one ended: %v", err)
	}
}

// A request waits inside its deadline for its turn, and is sent then.
func TestWaitsWithinTheDeadline(t *testing.T) {
	b := New(Limits{Content: []Window{{1, 200 * time.Millisecond}}, InFlight: 10})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	for range 3 {
		done, err := b.Take(ctx, "cred", Update, 0)
		if err != nil {
			t.Fatal(err)
		}
		done(nil)
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("three writes, one per 200ms, took %s", took)
	}
}

func TestRotatedTokensAreForgotten(t *testing.T) {
	clk := newClock()
	b := clk.budget(DefaultLimits())
	for i := range 100 {
		try(t, b, fmt.Sprintf("cred-%d", i), Read)
	}
	clk.later(2 * time.Hour)
	try(t, b, "new", Read)
	if n := b.Credentials(); n != 1 {
		t.Errorf("%d credentials remembered after two idle hours, want the one in use", n)
	}
}

func TestParseWindows(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		err  bool
	}{
		{"80/1m,500/1h", "80/1m0s,500/1h0m0s", false},
		{"none", "none", false},
		{"", "none", false},
		{"80", "", true},
		{"0/1m", "", true},
		{"80/soon", "", true},
		{"80/-1m", "", true},
	} {
		ws, err := ParseWindows(c.in)
		if (err != nil) != c.err || (err == nil && FormatWindows(ws) != c.want) {
			t.Errorf("ParseWindows(%q) = %v, %v; want %q (error %v)", c.in, ws, err, c.want, c.err)
		}
	}
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestMetrics(t *testing.T) {
	clk := newClock()
	b := clk.budget(DefaultLimits())
	try(t, b, "abc123", Update)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(b)
	got, err := testutil.GatherAndCount(reg)
	if err != nil {
		t.Fatal(err)
	}
	// credentials, then per credential: content/1m, content/1h, points/1m, waited, limited-until
	if got != 6 {
		t.Errorf("%d series, want 6", got)
	}
	want := `
# HELP hookops_github_budget_remaining What this replica may still send on a credential now, per limit: primary (requests, as GitHub last reported), content/<window> (writes), points/<window>.
# TYPE hookops_github_budget_remaining gauge
hookops_github_budget_remaining{credential="abc123",limit="content/1h0m0s"} 499
hookops_github_budget_remaining{credential="abc123",limit="content/1m0s"} 79
hookops_github_budget_remaining{credential="abc123",limit="points/1m0s"} 895
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hookops_github_budget_remaining"); err != nil {
		t.Error(err)
	}
	clk.later(3 * time.Hour)
	try(t, b, "other", Read)
	if n, _ := testutil.GatherAndCount(reg, "hookops_github_budget_wait_seconds_total"); n != 1 {
		t.Errorf("%d wait series after the first credential was forgotten, want 1", n)
	}
}

// GitHub counts a request when it arrives, on its own clock, somewhere
// between its admission and its answer: the window runs from the answer,
// so that it cannot close before GitHub's.
func TestWindowRunsFromTheAnswer(t *testing.T) {
	clk := newClock()
	b := clk.budget(Limits{Content: []Window{{1, time.Minute}}, InFlight: 10})
	done, err := b.Take(context.Background(), "cred", Update, 0)
	if err != nil {
		t.Fatal(err)
	}
	clk.later(30 * time.Second) // a slow answer
	answered := clk.now
	done(&Answer{Status: 200, Header: http.Header{}})
	clk.later(40 * time.Second) // a minute after the admission, not after the answer
	le, ok := try(t, b, "cred", Update).(*LimitedError)
	if !ok || !le.Until.Equal(answered.Add(time.Minute)) {
		t.Errorf("got %v, want a wait until a minute after the answer (%s)", le, answered.Add(time.Minute))
	}
}
