// Package amconfig keeps alertmanager.yml's time_intervals in step with the
// jianguan calendar file (deploy/etc/jianguan/calendar.yml, internal/calendar).
//
// Alertmanager 0.25 has no include mechanism, so the time_intervals block is
// generated (TimeIntervals) into alertmanager.yml between two marker lines.
// `go generate ./alertmanager` writes it; TestCalendarInSync fails when the
// calendar file changed and alertmanager.yml was not regenerated.
package amconfig

import (
	"bytes"
	"fmt"
)

const (
	// BeginMarker starts the generated calendar block in alertmanager.yml.
	BeginMarker = "# ---- BEGIN calendar (generated: edit deploy/etc/jianguan/calendar.yml, then run `go generate ./alertmanager`) ----\n"
	// EndMarker ends it.
	EndMarker = "# ---- END calendar ----"

	// CalendarFile is the calendar file relative to alertmanager/ (go generate's directory).
	CalendarFile = "../deploy/etc/jianguan/calendar.yml"
	// CalendarSource names it in the generated header.
	CalendarSource = "deploy/etc/jianguan/calendar.yml"
)

// Splice returns config with the block between the markers replaced by calendar.
func Splice(config, calendar []byte) ([]byte, error) {
	i := bytes.Index(config, []byte(BeginMarker))
	j := bytes.Index(config, []byte(EndMarker))
	if i < 0 || j < 0 || j < i {
		return nil, fmt.Errorf("alertmanager.yml: calendar markers missing or out of order (want %q … %q)", BeginMarker, EndMarker)
	}
	if len(calendar) > 0 && calendar[len(calendar)-1] != '\n' {
		calendar = append(append([]byte{}, calendar...), '\n')
	}
	var out bytes.Buffer
	out.Write(config[:i+len(BeginMarker)])
	out.Write(calendar)
	out.Write(config[j:])
	return out.Bytes(), nil
}

// Extract returns the calendar block currently inside config.
func Extract(config []byte) ([]byte, error) {
	i := bytes.Index(config, []byte(BeginMarker))
	j := bytes.Index(config, []byte(EndMarker))
	if i < 0 || j < 0 || j < i {
		return nil, fmt.Errorf("alertmanager.yml: calendar markers missing or out of order")
	}
	return config[i+len(BeginMarker) : j], nil
}
