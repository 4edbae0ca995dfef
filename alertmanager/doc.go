// Package alertmanager holds the jianguan Alertmanager configuration (alertmanager.yml,
// templates/) and the tests that run it against the real Debian Alertmanager 0.25 and
// amtool. alertmanager.yml's time_intervals are generated from the jianguan calendar file
// (deploy/etc/jianguan/calendar.yml: maintenance windows, guard periods) by ./gencalendar.
// The dead man's switch lives in ./deadman.
package alertmanager

//go:generate go run ./gencalendar -calendar ../deploy/etc/jianguan/calendar.yml -config alertmanager.yml
