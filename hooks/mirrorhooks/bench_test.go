package mirrorhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/hooks/mirrorhooks"
)

// BenchmarkSyncRequest is one namespace's sync as the hook server serves
// it, from request body to response body, at the size of the propagation
// benchmark (test/mirror): 50 sources of 2 KiB elsewhere, and their 50
// copies in the namespace, both as related objects (every ConfigMap of the
// namespace is asked for, to see clashes) and as attachments.
func BenchmarkSyncRequest(b *testing.B) {
	var srcs, copies []any
	for i := range 50 {
		src := sourceConfigMap("shared", fmt.Sprintf("source-%02d", i), "team-*", map[string]string{"value": "1", "ca.crt": strings.Repeat("x", 2048)})
		srcs = append(srcs, src)
		copies = append(copies, attached(copyOf(src)))
	}
	t := &testing.T{}
	req := metacontroller.DecoratorRequest{
		Controller:  controller(t),
		Object:      targetNamespace(t, accept),
		Related:     objects(t, append(srcs, copies...)...),
		Attachments: objects(t, copies...),
	}
	body, err := json.Marshal(&req)
	if err != nil {
		b.Fatal(err)
	}
	h := mirrorhooks.New()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := metacontroller.DecodeRawDecorator(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		resp, err := h.Sync(context.Background(), r)
		if err != nil {
			b.Fatal(err)
		}
		if len(resp.Attachments) != 50 {
			b.Fatalf("%d attachments, want 50", len(resp.Attachments))
		}
		if err := metacontroller.Encode(io.Discard, resp); err != nil {
			b.Fatal(err)
		}
	}
}
