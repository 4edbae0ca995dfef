package efficiency_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/efficiency"
	"github.com/jianguan/jianguan/internal/report"
)

// answers is a Querier for the pure checks on answers: every query gets
// the series its function returns (by query text).
type answers func(expr string) []report.Series

func (a answers) Query(_ context.Context, expr string, t time.Time) ([]report.Series, error) {
	return a(expr), nil
}
func (a answers) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]report.Series, error) {
	return nil, nil
}
func (a answers) Series(context.Context, string, time.Time, time.Time) ([]map[string]string, error) {
	return nil, nil
}

func one(l map[string]string, v float64) report.Series {
	return report.Series{Labels: l, Points: []report.Point{{T: monthEnd, V: v}}}
}

var h1 = map[string]string{"unit": "市公安局", "provider": "阿里云", "host": "h1"}

// TestEfficiencyAnswerChecks: a mapping that does not give one series per
// host is an error naming the query and the labels (never a silently wrong
// figure), and a NaN or infinite ratio (a zero allocation) is 无数据, not
// 0 % and not idle.
func TestEfficiencyAnswerChecks(t *testing.T) {
	c, err := efficiency.Default(efficiency.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := report.ParseMonth("2026-10", report.Shanghai, testNow)
	m := report.PeriodMonth(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		q       answers
		wantErr string
		check   func(t *testing.T, r *efficiency.Result)
	}{
		{"a series without the host label", func(expr string) []report.Series {
			if strings.HasPrefix(expr, "max_over_time((count by") {
				return []report.Series{one(map[string]string{"unit": "市公安局", "provider": "阿里云"}, 4)}
			}
			return nil
		}, `host/cpu/allocated: a series without label host ({provider="阿里云", unit="市公安局"})`, nil},
		{"two series for one host", func(expr string) []report.Series {
			if strings.HasPrefix(expr, "max_over_time((group by") {
				return []report.Series{one(h1, 1), one(map[string]string{"unit": "市卫健委", "provider": "阿里云", "host": "h1"}, 1)}
			}
			return nil
		}, "host/inventory/known: two series for 阿里云/h1", nil},
		{"NaN and Inf ratios are no data", func(expr string) []report.Series {
			switch {
			case strings.HasPrefix(expr, "max_over_time((group by"):
				return []report.Series{one(h1, 1)}
			case strings.HasPrefix(expr, "quantile_over_time(0.95, ((sum by (unit, provider, host) (1 - rate"):
				return []report.Series{one(h1, math.NaN())}
			case strings.HasPrefix(expr, "count_over_time("):
				return []report.Series{one(h1, 8928)}
			case strings.HasPrefix(expr, "avg_over_time(((sum by (unit, provider, host) (1 - rate"):
				return []report.Series{one(h1, math.Inf(1))}
			}
			return nil
		}, "", func(t *testing.T, r *efficiency.Result) {
			if len(r.Hosts) != 1 || r.Hosts[0].State != efficiency.StateNoData || r.Hosts[0].CPU.UtilMean != nil || r.Hosts[0].CPU.UtilP95 != nil {
				t.Errorf("hosts %+v, want h1 无数据 without figures", r.Hosts)
			}
		}},
		{"no host at all", func(string) []report.Series { return nil }, "本期无监测数据", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := efficiency.Evaluate(context.Background(), tc.q, c, m)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			default:
				tc.check(t, r)
			}
		})
	}
}
