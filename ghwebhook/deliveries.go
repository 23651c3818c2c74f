package ghwebhook

import (
	"container/list"
	"sync"
	"time"
)

// deliveries remembers the X-GitHub-Delivery GUIDs handled recently, so
// that a delivery sent again (a replayed request, or GitHub's "Redeliver"
// of one that was handled, which keeps its GUID) triggers nothing. Memory is
// bounded twice: at most max GUIDs, each for at most ttl. The memory is this
// replica's own: with several replicas behind a Service a replay that
// reaches another replica is handled again, which costs one extra sync of
// the GitHubRepos concerned and nothing else.
type deliveries struct {
	max int
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	order *list.List // of delivery, oldest first
	byID  map[string]*list.Element
}

type delivery struct {
	id string
	at time.Time
}

func newDeliveries(maxIDs int, ttl time.Duration) *deliveries {
	return &deliveries{max: maxIDs, ttl: ttl, now: time.Now, order: list.New(), byID: map[string]*list.Element{}}
}

// claim reports whether id is new, and remembers it if so. A delivery is
// claimed before it is handled, so that two copies arriving together do
// not both trigger.
func (d *deliveries) claim(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(now)
	if _, seen := d.byID[id]; seen {
		return false
	}
	d.byID[id] = d.order.PushBack(delivery{id: id, at: now})
	for d.order.Len() > d.max {
		d.remove(d.order.Front())
	}
	return true
}

// forget lets id be handled again: a delivery that could not be handled
// must not be refused when it is redelivered by hand.
func (d *deliveries) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.byID[id]; ok {
		d.remove(e)
	}
}

// len is how many GUIDs are remembered.
func (d *deliveries) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.order.Len()
}

// expire drops the GUIDs older than ttl; they are at the front.
func (d *deliveries) expire(now time.Time) {
	for e := d.order.Front(); e != nil && now.Sub(e.Value.(delivery).at) >= d.ttl; e = d.order.Front() {
		d.remove(e)
	}
}

func (d *deliveries) remove(e *list.Element) {
	delete(d.byID, e.Value.(delivery).id)
	d.order.Remove(e)
}
