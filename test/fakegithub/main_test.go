package main

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

func TestLimitFlags(t *testing.T) {
	scaled := fake.DefaultLimits()
	scaled.Minute, scaled.Hour, scaled.PrimaryWindow = time.Second, time.Minute, time.Minute
	custom := fake.DefaultLimits()
	custom.PrimaryLimit, custom.PrimaryStatus, custom.ContentPerMinute, custom.ContentPerHour = 10, 429, 5, 50
	custom.PointsPerMinute, custom.MaxConcurrent, custom.Answer = 100, 3, fake.AnswerRotate
	tests := []struct {
		name       string
		args       []string
		want       fake.Limits
		enterprise bool
		wantErr    bool
	}{
		{"GitHub's limits by default", nil, fake.DefaultLimits(), false, false},
		{"every window scaled by -minute", []string{"-minute=1s"}, scaled, false, false},
		{"each limit", []string{"-rate-limit=10", "-primary-status=429", "-content-per-minute=5", "-content-per-hour=50",
			"-points-per-minute=100", "-max-concurrent=3", "-secondary-answer=rotate"}, custom, false, false},
		{"enterprise", []string{"-enterprise"}, fake.DefaultLimits(), true, false},
		{"unknown answer", []string{"-secondary-answer=418"}, fake.Limits{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("fakegithub", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			limits := limitFlags(fs)
			if err := fs.Parse(tt.args); (err != nil) != tt.wantErr {
				t.Fatalf("parse %v: %v", tt.args, err)
			}
			if tt.wantErr {
				return
			}
			if got, enterprise := limits(); got != tt.want || enterprise != tt.enterprise {
				t.Errorf("limits = %+v, %v; want %+v, %v", got, enterprise, tt.want, tt.enterprise)
			}
		})
	}
}
