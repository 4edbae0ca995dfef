// Package alertmanager holds the jianguan Alertmanager configuration (alertmanager.yml,
// calendar.yml, templates/) and the tests that run it against the real Debian
// Alertmanager 0.25 and amtool. The dead man's switch lives in ./deadman.
package alertmanager

//go:generate go run ./gencalendar -calendar calendar.yml -config alertmanager.yml
