// Package maint turns the maintenance windows of a calendar file into an
// avail.Windows, with avail's own parser (the one the exporters use), and
// reports a bad window with the calendar file's name and line.
//
// It is a separate package so that internal/avail can import
// internal/calendar (for calendar.Zone) without an import cycle.
package maint

import (
	"fmt"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/calendar"
)

// Windows parses c.Maintenance in calendar.Zone. A nil result with a nil
// error never happens: an empty list gives an empty *avail.Windows.
func Windows(c *calendar.Calendar) (*avail.Windows, error) {
	cfgs := make([]avail.WindowConfig, len(c.Maintenance))
	for i, m := range c.Maintenance {
		cfgs[i] = avail.WindowConfig(m)
		// Parse one at a time first so that an error names its entry's line.
		if _, err := avail.NewWindows(cfgs[i:i+1], calendar.Zone); err != nil {
			return nil, c.Doc.Errorf(fmt.Sprintf("maintenance[%d]", i), "%v", err)
		}
	}
	return avail.NewWindows(cfgs, calendar.Zone)
}

// Load loads a calendar file and its maintenance windows: what a
// --config.check of the calendar file should run.
func Load(path string) (*calendar.Calendar, *avail.Windows, error) {
	c, err := calendar.Load(path)
	if err != nil {
		return nil, nil, err
	}
	w, err := Windows(c)
	if err != nil {
		return nil, nil, err
	}
	return c, w, nil
}
