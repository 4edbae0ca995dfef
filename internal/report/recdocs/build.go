package recdocs

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/report"
)

// Arg is what a records document is of: a day (duty-daily, YYYY-MM-DD;
// default yesterday), a week (duty-weekly, 2026-W45 or a day of it; default
// last week), an incident record's id (incident) or a guard period's name
// (guard). Exactly the one its kind takes may be set.
type Arg struct {
	Day, Week, Period string
	ID                int64
}

// ArgName is the argument a kind takes: day, week, id or period.
func ArgName(kind string) string {
	return map[string]string{KindDutyDaily: "day", KindDutyWeekly: "week", KindIncident: "id", KindGuard: "period"}[kind]
}

// Build builds the records document of kind for arg (jianguan-report
// --kind duty-daily|duty-weekly|incident|guard and the Grafana plugin's
// /documents route); a wrong kind or argument is BadInput naming it.
func Build(ctx context.Context, src Source, kind string, arg Arg, o Options, now time.Time) (*report.Document, error) {
	want := ArgName(kind)
	if want == "" {
		return nil, BadInput("unknown records document %q: want one of %s", kind, strings.Join(Kinds, ", "))
	}
	for k, set := range map[string]bool{"day": arg.Day != "", "week": arg.Week != "", "id": arg.ID != 0, "period": arg.Period != ""} {
		if set && k != want {
			return nil, BadInput("%s is not used by %s (it takes %s)", k, kind, want)
		}
	}
	switch kind {
	case KindDutyDaily:
		s := arg.Day
		if s == "" {
			s = calendar.DateOf(now).AddDate(0, 0, -1).Format("2006-01-02")
		}
		p, err := ParseDay(s, now)
		if err != nil {
			return nil, err
		}
		return BuildDutyDaily(ctx, src, p, o)
	case KindDutyWeekly:
		s := arg.Week
		if s == "" {
			s = calendar.DateOf(now).AddDate(0, 0, -7).Format("2006-01-02")
		}
		p, err := ParseWeek(s, now)
		if err != nil {
			return nil, err
		}
		return BuildDutyWeekly(ctx, src, p, o)
	case KindIncident:
		if arg.ID <= 0 {
			return nil, BadInput("%s needs id (the incident record's id, a positive integer)", kind)
		}
		return BuildIncidentReport(ctx, src, arg.ID, o)
	default: // KindGuard
		if arg.Period == "" {
			return nil, BadInput("%s needs period (a guard period's name in calendar.yml)", kind)
		}
		return BuildGuardReport(ctx, src, arg.Period, o)
	}
}

// ParseID parses an incident record's id.
func ParseID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0, BadInput("id %q: want the incident record's id, a positive integer", s)
	}
	return id, nil
}
