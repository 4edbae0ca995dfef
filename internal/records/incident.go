package records

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jianguan/jianguan/internal/calendar"
)

// KindIncident records one incident the report engine finds (an entity down
// from a start time) with its handling: cause, impact, handler, timeline,
// 整改措施, owner, deadline and status. Its ref is IncidentRef(ns, entity, start).
const KindIncident = "incident"

// Incident states.
const (
	IncidentOpen       = "open"       // being handled
	IncidentRectifying = "rectifying" // restored, 整改 in progress
	IncidentClosed     = "closed"
)

// Bounds of an incident body.
const (
	MaxIncidentText  = 16 << 10
	MaxTimelineSteps = 200
)

// TimelineStep is one step of the course of an incident.
type TimelineStep struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Incident is the body of an incident record (and the API's input).
type Incident struct {
	NS       string         `json:"ns"`     // the report engine's namespace: line, host, website, env_condition, …
	Entity   string         `json:"entity"` // its entity name (report.EntityResult.Name)
	Start    time.Time      `json:"start"`  // the incident's start (report.Incident.StartUnix)
	End      *time.Time     `json:"end,omitempty"`
	Cause    string         `json:"cause,omitempty"`
	Impact   string         `json:"impact,omitempty"`
	Handler  string         `json:"handler,omitempty"`
	Timeline []TimelineStep `json:"timeline,omitempty"`
	Measures string         `json:"measures,omitempty"` // 整改措施
	Owner    string         `json:"owner,omitempty"`
	Deadline string         `json:"deadline,omitempty"` // YYYY-MM-DD, Asia/Shanghai
	Status   string         `json:"status"`
}

// IncidentRef is an incident's identity: the report engine's entity and
// start (Unix seconds), e.g. "line/ct-1@1762135200".
func IncidentRef(ns, entity string, start time.Time) string {
	return ns + "/" + entity + "@" + strconv.FormatInt(start.Unix(), 10)
}

func text(field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return fmt.Errorf("%w: %s: required", ErrInvalid, field)
	}
	if len(v) > max || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("%w: %s: at most %d bytes of UTF-8 without NUL", ErrInvalid, field, max)
	}
	return nil
}

// Validate checks an incident (now: the present, for "not in the future")
// and normalises its times to UTC milliseconds.
func (in *Incident) Validate(now time.Time) error {
	if err := checkName(in.NS); err != nil {
		return fmt.Errorf("%w: ns: %v", ErrInvalid, err)
	}
	if err := text("entity", in.Entity, 256, true); err != nil {
		return err
	}
	if strings.ContainsAny(in.Entity, "\r\n@") {
		return fmt.Errorf("%w: entity: one line, no @", ErrInvalid)
	}
	if in.Start.IsZero() || in.Start.After(now.Add(5*time.Minute)) {
		return fmt.Errorf("%w: start: required, not in the future (RFC 3339)", ErrInvalid)
	}
	in.Start = in.Start.UTC().Truncate(time.Second) // the report engine's identity is in seconds
	if in.End != nil {
		if in.End.Before(in.Start) {
			return fmt.Errorf("%w: end %s is before start %s", ErrInvalid, in.End.Format(time.RFC3339), in.Start.Format(time.RFC3339))
		}
		e := in.End.UTC().Truncate(time.Millisecond)
		in.End = &e
	}
	for _, f := range []struct{ name, v string }{{"cause", in.Cause}, {"impact", in.Impact}, {"measures", in.Measures}} {
		if err := text(f.name, f.v, MaxIncidentText, false); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, v string }{{"handler", in.Handler}, {"owner", in.Owner}} {
		if err := text(f.name, f.v, MaxInspectorNameLen, false); err != nil {
			return err
		}
	}
	if len(in.Timeline) > MaxTimelineSteps {
		return fmt.Errorf("%w: timeline: %d steps, at most %d", ErrInvalid, len(in.Timeline), MaxTimelineSteps)
	}
	for i := range in.Timeline {
		st := &in.Timeline[i]
		if st.At.IsZero() {
			return fmt.Errorf("%w: timeline[%d].at: required (RFC 3339)", ErrInvalid, i)
		}
		if err := text(fmt.Sprintf("timeline[%d].text", i), st.Text, MaxOnsiteNoteBytes, true); err != nil {
			return err
		}
		st.At = st.At.UTC().Truncate(time.Millisecond)
	}
	if in.Deadline != "" {
		if _, err := calendar.ParseDate(in.Deadline); err != nil {
			return fmt.Errorf("%w: deadline: %v", ErrInvalid, err)
		}
	}
	switch in.Status {
	case "":
		in.Status = IncidentOpen
	case IncidentOpen, IncidentRectifying:
	case IncidentClosed:
		if strings.TrimSpace(in.Cause) == "" || strings.TrimSpace(in.Handler) == "" {
			return fmt.Errorf("%w: a closed incident needs cause and handler", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: status %q: want open, rectifying or closed", ErrInvalid, in.Status)
	}
	return nil
}

// Overdue: not closed and past its deadline's day.
func (in Incident) Overdue(now time.Time) bool {
	if in.Status == IncidentClosed || in.Deadline == "" {
		return false
	}
	d, err := calendar.ParseDate(in.Deadline)
	return err == nil && !now.Before(d.AddDate(0, 0, 1))
}

// IncidentRecord is the incident record of a validated in.
func IncidentRecord(in Incident) Record {
	b, _ := json.Marshal(in)
	ref := IncidentRef(in.NS, in.Entity, in.Start)
	return Record{Kind: KindIncident, Title: fmt.Sprintf("故障 %s %s %s", in.NS, in.Entity, in.Start.In(calendar.Zone).Format("2006-01-02 15:04")), Body: b, Ref: &ref}
}
