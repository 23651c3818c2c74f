// Package telemetry sets up OpenTelemetry tracing from the standard OTEL_*
// environment and ties log lines to traces.
package telemetry

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Setup installs the global TracerProvider and propagators. With no OTLP
// endpoint in the environment (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), or with OTEL_TRACES_EXPORTER=none,
// it installs a no-op provider, and callers that ask Enabled leave their
// tracing wrappers out, so tracing costs nothing. The exporter, its
// protocol (OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf, the default, or
// grpc), the sampler (OTEL_TRACES_SAMPLER) and resource attributes
// (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) all come from the standard
// variables. The returned function flushes and stops the exporter.
func Setup(ctx context.Context, service string, getenv func(string) string) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	noop := func(context.Context) error { return nil }
	if !Enabled(getenv) {
		// The global provider's placeholder allocates for every span;
		// the no-op one does not.
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		return noop, nil
	}
	exp, err := exporter(ctx, cmp.Or(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), getenv("OTEL_EXPORTER_OTLP_PROTOCOL"), "http/protobuf"))
	if err != nil {
		return noop, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(service)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
		resource.WithTelemetrySDK(),
		resource.WithProcessPID(),
	)
	if err != nil {
		return noop, fmt.Errorf("tracing resource: %w", err)
	}
	// The SDK reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG itself.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// Enabled reports whether the environment asks for traces to be exported.
func Enabled(getenv func(string) string) bool {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") || strings.EqualFold(getenv("OTEL_TRACES_EXPORTER"), "none") {
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// exporter picks the OTLP transport; endpoint, headers, TLS and timeouts
// are read from the environment by the exporter itself.
func exporter(ctx context.Context, protocol string) (*otlptrace.Exporter, error) {
	switch protocol {
	case "http/protobuf":
		return otlptracehttp.New(ctx)
	case "grpc":
		return otlptracegrpc.New(ctx)
	}
	return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q is not supported: use http/protobuf or grpc", protocol)
}
