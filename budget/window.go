package budget

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Window is a limit of N (requests, or points) in any span of Per.
type Window struct {
	N   int
	Per time.Duration
}

func (w Window) String() string { return fmt.Sprintf("%d/%s", w.N, w.Per) }

// ParseWindows reads "80/1m,500/1h"; "none" or "" is no limit, for a
// GitHub Enterprise Server whose rate limiting is off.
func ParseWindows(s string) ([]Window, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return nil, nil
	}
	var out []Window
	for _, part := range strings.Split(s, ",") {
		n, per, ok := strings.Cut(strings.TrimSpace(part), "/")
		count, err := strconv.Atoi(n)
		if !ok || err != nil || count < 1 {
			return nil, fmt.Errorf("%q is not COUNT/DURATION with a positive count, as in 80/1m", part)
		}
		d, err := time.ParseDuration(per)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%q: %q is not a positive duration", part, per)
		}
		out = append(out, Window{N: count, Per: d})
	}
	return out, nil
}

// FormatWindows is ParseWindows' inverse.
func FormatWindows(ws []Window) string {
	if len(ws) == 0 {
		return "none"
	}
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.String()
	}
	return strings.Join(parts, ",")
}

// log is what one window has admitted: times and costs, oldest first.
type log struct {
	Window
	at    []time.Time
	cost  []int
	total int
}

func (l *log) prune(now time.Time) {
	i := 0
	for i < len(l.at) && !l.at[i].After(now.Add(-l.Per)) {
		l.total -= l.cost[i]
		i++
	}
	l.at, l.cost = l.at[i:], l.cost[i:]
}

// earliest is when cost more fits under n: now, or when enough of the
// oldest entries have left the window.
func (l *log) earliest(now time.Time, cost, n int) time.Time {
	l.prune(now)
	excess := l.total + cost - n
	if excess <= 0 {
		return now
	}
	if cost > n {
		// Never fits: a window smaller than one request's cost. Let one
		// through per full window rather than none ever.
		excess = l.total
	}
	for i, c := range l.cost {
		excess -= c
		if excess <= 0 {
			return l.at[i].Add(l.Per)
		}
	}
	return now.Add(l.Per)
}

func (l *log) add(now time.Time, cost int) {
	l.at = append(l.at, now)
	l.cost = append(l.cost, cost)
	l.total += cost
}

// move takes the entry made at from with cost and makes it at now; as
// every entry is at a time already past, it goes last and the log stays
// in order. An entry pruned meanwhile is not put back.
func (l *log) move(from time.Time, cost int, now time.Time) {
	for i := len(l.at) - 1; i >= 0; i-- {
		if l.at[i].Equal(from) && l.cost[i] == cost {
			l.at = append(l.at[:i], l.at[i+1:]...)
			l.cost = append(l.cost[:i], l.cost[i+1:]...)
			l.at, l.cost = append(l.at, now), append(l.cost, cost)
			return
		}
	}
}

func (l *log) remaining(now time.Time) int {
	l.prune(now)
	return max(l.N-l.total, 0)
}
