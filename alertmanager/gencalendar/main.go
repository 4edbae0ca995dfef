// Command gencalendar copies calendar.yml into alertmanager.yml between the calendar
// markers. Run it through `go generate ./alertmanager` (working directory alertmanager/).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/jianguan/jianguan/alertmanager/internal/amconfig"
)

func main() {
	cal := flag.String("calendar", "calendar.yml", "operator-edited calendar (time_intervals)")
	cfg := flag.String("config", "alertmanager.yml", "Alertmanager configuration to update in place")
	flag.Parse()
	c, err := os.ReadFile(*cal)
	if err != nil {
		fail(err)
	}
	a, err := os.ReadFile(*cfg)
	if err != nil {
		fail(err)
	}
	out, err := amconfig.Splice(a, c)
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
