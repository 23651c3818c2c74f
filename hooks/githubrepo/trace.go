package githubrepo

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracer makes the reconcile-step spans; it follows whatever provider the
// process installs.
var tracer = otel.Tracer("github.com/hookops/hookops/hooks/githubrepo")

// endStep records the decision a step took and, on failure, the reason.
func endStep(span trace.Span, decision string, f *failure) {
	span.SetAttributes(attribute.String("hookops.decision", decision))
	if f != nil {
		span.SetAttributes(attribute.String("hookops.reason", f.reason))
		span.SetStatus(codes.Error, f.message)
	}
	span.End()
}
