package githubrepo

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracer makes the reconcile-step spans. It is looked up on each use, not
// kept, so that it follows whichever provider the process installed last.
func tracer() trace.Tracer { return otel.Tracer("github.com/hookops/hookops/hooks/githubrepo") }

// endStep records the decision a step took and, on failure, the reason.
func endStep(span trace.Span, decision string, f *failure) {
	span.SetAttributes(attribute.String("hookops.decision", decision))
	if f != nil {
		span.SetAttributes(attribute.String("hookops.reason", f.reason))
		span.SetStatus(codes.Error, f.message)
	}
	span.End()
}
