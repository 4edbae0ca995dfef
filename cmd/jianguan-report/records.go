package main

import (
	"context"
	"flag"
	"fmt"
	"os"
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

// buildRecordsDoc builds a document of a records kind from the flags:
// recdocs.Build (the dispatcher the Grafana plugin's /documents route
// uses), after checking the flags in the CLI's words; a bad argument is
// named by its flag (--day: day "2026-13-01": …).
func (f recordsFlags) buildRecordsDoc(ctx context.Context, kind string, src recdocs.Source, o recdocs.Options, now time.Time) (*report.Document, error) {
	if src == nil {
		return nil, fmt.Errorf("--kind %s reads the operations records: give --records.db (SQLite) or --records.dsn-file (PostgreSQL)", kind)
	}
	if err := f.checkArg(kind, o); err != nil {
		return nil, err
	}
	arg := recdocs.Arg{Day: *f.day, Week: *f.week, ID: *f.id, Period: *f.period}
	d, err := recdocs.Build(ctx, src, kind, arg, o, now)
	if err != nil && report.KindOf(err) == report.ErrBadRequest {
		return nil, fmt.Errorf("--%s: %w", recdocs.ArgName(kind), err)
	}
	return d, err
}

// checkArg refuses what recdocs.Build would, in flag words: a flag the
// kind does not take, its own flag missing, a guard report without the
// calendar file.
func (f recordsFlags) checkArg(kind string, o recdocs.Options) error {
	want := recdocs.ArgName(kind)
	for _, u := range []struct {
		name string
		set  bool
	}{{"day", *f.day != ""}, {"week", *f.week != ""}, {"id", *f.id != 0}, {"period", *f.period != ""}} {
		if u.set && u.name != want {
			return fmt.Errorf("--%s is not used by --kind %s (it takes --%s)", u.name, kind, want)
		}
	}
	switch {
	case want == "id" && *f.id == 0:
		return fmt.Errorf("--kind %s needs --id (the incident record's id)", kind)
	case want == "period" && *f.period == "":
		return fmt.Errorf("--kind %s needs --period (a guard period's name in calendar.yml)", kind)
	case want == "period" && o.Calendar == nil:
		return fmt.Errorf("--kind %s needs the calendar file: give --calendar.file", kind)
	}
	return nil
}

// recordsOptions are the documents' options from the run's settings.
func recordsOptions(lang docfmt.Lang, ident *docfmt.Identification, cal *calendar.Calendar) recdocs.Options {
	return recdocs.Options{Lang: lang, Ident: ident, Calendar: cal}
}
