package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/redact"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/recdocs"
)

// maxDSNFileBytes bounds --records.dsn-file.
const maxDSNFileBytes = 64 << 10

// recordsFlags are the flags of the documents from records.
type recordsFlags struct {
	db, dsnFile, calFile, day, week, period *string
	id                                      *int64
}

func addRecordsFlags(fs *flag.FlagSet) recordsFlags {
	return recordsFlags{
		db:      fs.String("records.db", "", "operations-records store: the recorder's SQLite file (read; kinds duty-daily, duty-weekly, incident, guard, and the monthly reports' 巡检/整改/告警统计 sections)"),
		dsnFile: fs.String("records.dsn-file", "", "operations-records store on PostgreSQL: file holding the DSN (it carries the password; never printed)"),
		calFile: fs.String("calendar.file", "", "calendar file with the guard periods (calendar.yml); default: "+strings.Join(defaultCalendarFiles, " or ")+" when present"),
		day:     fs.String("day", "", "--kind duty-daily: the day YYYY-MM-DD (Beijing time; default yesterday)"),
		week:    fs.String("week", "", "--kind duty-weekly: ISO week YYYY-Www or a day of it (default last week)"),
		id:      fs.Int64("id", 0, "--kind incident: the incident record's id (GET /api/v1/incidents)"),
		period:  fs.String("period", "", "--kind guard: the guard period's name in calendar.yml, e.g. 2026年国庆节"),
	}
}

var defaultCalendarFiles = []string{"deploy/etc/jianguan/calendar.yml", "/etc/jianguan/calendar.yml"}

// isRecordsKind: a document built from the records store alone.
func isRecordsKind(k string) bool {
	for _, x := range recdocs.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// openRecords opens the store named by the flags; nil without one. A
// SQLite file must exist (an empty new store would report zeros that were
// never counted); the PostgreSQL DSN never appears in an error.
func (f recordsFlags) openRecords(ctx context.Context) (records.Store, error) {
	switch {
	case *f.db != "" && *f.dsnFile != "":
		return nil, fmt.Errorf("--records.db and --records.dsn-file: give one store")
	case *f.db != "":
		st, err := os.Stat(*f.db)
		if err != nil {
			return nil, fmt.Errorf("--records.db: %v", err)
		}
		if st.IsDir() {
			return nil, fmt.Errorf("--records.db %s: is a directory, want the recorder's SQLite file", *f.db)
		}
		s, err := records.Open(ctx, records.SQLite, *f.db)
		if err != nil {
			return nil, fmt.Errorf("--records.db %s: %v", *f.db, err)
		}
		return s, nil
	case *f.dsnFile != "":
		st, err := os.Stat(*f.dsnFile)
		if err != nil {
			return nil, fmt.Errorf("--records.dsn-file: %v", err)
		}
		if st.Size() > maxDSNFileBytes {
			return nil, fmt.Errorf("--records.dsn-file %s: %d bytes, at most %d", *f.dsnFile, st.Size(), maxDSNFileBytes)
		}
		b, err := os.ReadFile(*f.dsnFile)
		if err != nil {
			return nil, fmt.Errorf("--records.dsn-file: %v", err)
		}
		dsn := strings.TrimSpace(string(b))
		if dsn == "" {
			return nil, fmt.Errorf("--records.dsn-file %s: empty", *f.dsnFile)
		}
		s, err := records.Open(ctx, records.Postgres, dsn)
		if err != nil {
			msg := strings.ReplaceAll(redact.Error(err).Error(), dsn, "<dsn>")
			return nil, fmt.Errorf("--records.dsn-file %s: %s", *f.dsnFile, msg)
		}
		return s, nil
	}
	return nil, nil
}

// loadCalendar loads the calendar file (guard periods); nil when none is
// given and no default exists.
func (f recordsFlags) loadCalendar() (*calendar.Calendar, error) {
	path := firstExisting(*f.calFile, defaultCalendarFiles)
	if path == "" {
		return nil, nil
	}
	c, err := calendar.Load(path)
	if err != nil {
		return nil, fmt.Errorf("--calendar.file: %w", err)
	}
	return c, nil
}

// buildRecordsDoc builds a document of a records kind from the flags.
func (f recordsFlags) buildRecordsDoc(ctx context.Context, kind string, src recdocs.Source, o recdocs.Options, now time.Time) (*report.Document, error) {
	if src == nil {
		return nil, fmt.Errorf("--kind %s reads the operations records: give --records.db (SQLite) or --records.dsn-file (PostgreSQL)", kind)
	}
	used := map[string]bool{"day": *f.day != "", "week": *f.week != "", "id": *f.id != 0, "period": *f.period != ""}
	want := map[string]string{recdocs.KindDutyDaily: "day", recdocs.KindDutyWeekly: "week", recdocs.KindIncident: "id", recdocs.KindGuard: "period"}[kind]
	for k, set := range used {
		if set && k != want {
			return nil, fmt.Errorf("--%s is not used by --kind %s (it takes --%s)", k, kind, want)
		}
	}
	switch kind {
	case recdocs.KindDutyDaily:
		s := *f.day
		if s == "" {
			s = calendar.DateOf(now).AddDate(0, 0, -1).Format("2006-01-02")
		}
		p, err := recdocs.ParseDay(s, now)
		if err != nil {
			return nil, fmt.Errorf("--day: %w", err)
		}
		return recdocs.BuildDutyDaily(ctx, src, p, o)
	case recdocs.KindDutyWeekly:
		s := *f.week
		if s == "" {
			s = calendar.DateOf(now).AddDate(0, 0, -7).Format("2006-01-02")
		}
		p, err := recdocs.ParseWeek(s, now)
		if err != nil {
			return nil, fmt.Errorf("--week: %w", err)
		}
		return recdocs.BuildDutyWeekly(ctx, src, p, o)
	case recdocs.KindIncident:
		if *f.id == 0 {
			return nil, fmt.Errorf("--kind incident needs --id (the incident record's id)")
		}
		return recdocs.BuildIncidentReport(ctx, src, *f.id, o)
	case recdocs.KindGuard:
		if *f.period == "" {
			return nil, fmt.Errorf("--kind guard needs --period (a guard period's name in calendar.yml)")
		}
		if o.Calendar == nil {
			return nil, fmt.Errorf("--kind guard needs the calendar file: give --calendar.file")
		}
		return recdocs.BuildGuardReport(ctx, src, *f.period, o)
	}
	return nil, errors.New("unknown records kind " + strconv.Quote(kind))
}

// recordsOptions are the documents' options from the run's settings.
func recordsOptions(lang docfmt.Lang, ident *docfmt.Identification, cal *calendar.Calendar) recdocs.Options {
	return recdocs.Options{Lang: lang, Ident: ident, Calendar: cal}
}
