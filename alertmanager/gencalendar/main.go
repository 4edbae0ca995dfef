// Command gencalendar writes alertmanager.yml's time_intervals block (between
// the calendar markers) from the jianguan calendar file: its maintenance
// windows and guard periods (amconfig.TimeIntervals). Run it through
// `go generate ./alertmanager` (working directory alertmanager/).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/jianguan/jianguan/alertmanager/internal/amconfig"
	"github.com/jianguan/jianguan/internal/calendar"
)

func main() {
	cal := flag.String("calendar", amconfig.CalendarFile, "the jianguan calendar file (internal/calendar)")
	cfg := flag.String("config", "alertmanager.yml", "Alertmanager configuration to update in place")
	flag.Parse()
	c, err := calendar.Load(*cal)
	if err != nil {
		fail(err)
	}
	block, err := amconfig.TimeIntervals(c, amconfig.CalendarSource)
	if err != nil {
		fail(err)
	}
	a, err := os.ReadFile(*cfg)
	if err != nil {
		fail(err)
	}
	out, err := amconfig.Splice(a, block)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(*cfg, out, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gencalendar:", err)
	os.Exit(1)
}
