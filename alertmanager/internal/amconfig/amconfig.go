// Package amconfig keeps alertmanager.yml and the operator-edited calendar.yml in step.
//
// Alertmanager 0.25 has no include mechanism, so the calendar (time_intervals) is copied
// verbatim into alertmanager.yml between two marker lines. `go generate ./alertmanager`
// does the copy; TestCalendarInSync fails when someone edited one file and not the other.
package amconfig

import (
	"bytes"
	"fmt"
)

const (
	// BeginMarker starts the generated calendar block in alertmanager.yml.
	BeginMarker = "# ---- BEGIN calendar.yml (generated: edit alertmanager/calendar.yml, then run `go generate ./alertmanager`) ----\n"
	// EndMarker ends it.
	EndMarker = "# ---- END calendar.yml ----"
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
