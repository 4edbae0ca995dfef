package avail

import "github.com/jianguan/jianguan/internal/calendar"

// Calendar tells which time is inside declared maintenance: what a Tracker
// splits its counters by. The windows themselves (one-off and weekly, their
// parser and their union) are internal/calendar's: calendar.Windows and
// calendar.Union are Calendars.
type Calendar = calendar.Schedule

// DefaultLocation is the zone maintenance windows are written in unless a
// config says otherwise: calendar.Zone, Asia/Shanghai (tzdata embedded).
var DefaultLocation = calendar.Zone
