package ghwebhook

import (
	"testing"
	"time"
)

func TestDeliveries(t *testing.T) {
	type step struct {
		after time.Duration // moves the clock before the step
		op    string        // "claim" or "forget"
		id    string
		want  bool // claim's result
	}
	tests := []struct {
		name  string
		max   int
		steps []step
	}{
		{"a new GUID, then the same again", 10, []step{
			{0, "claim", "a", true}, {0, "claim", "a", false}, {0, "claim", "b", true},
		}},
		{"forgotten after a failure: a redelivery is handled", 10, []step{
			{0, "claim", "a", true}, {0, "forget", "a", false}, {0, "claim", "a", true}, {0, "claim", "a", false},
		}},
		{"remembered for the window only", 10, []step{
			{0, "claim", "a", true}, {59 * time.Minute, "claim", "a", false}, {time.Minute, "claim", "a", true},
		}},
		{"the oldest goes beyond max", 2, []step{
			{0, "claim", "a", true}, {0, "claim", "b", true}, {0, "claim", "c", true},
			{0, "claim", "b", false}, {0, "claim", "c", false}, {0, "claim", "a", true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDeliveries(tt.max, time.Hour)
			clock := time.Unix(1_700_000_000, 0)
			d.now = func() time.Time { return clock }
			for i, s := range tt.steps {
				clock = clock.Add(s.after)
				switch s.op {
				case "claim":
					if got := d.claim(s.id); got != s.want {
						t.Fatalf("step %d: claim(%q) = %v, want %v", i, s.id, got, s.want)
					}
				case "forget":
					d.forget(s.id)
				}
				if d.len() > tt.max {
					t.Fatalf("step %d: %d GUIDs remembered, max %d", i, d.len(), tt.max)
				}
			}
		})
	}
}
