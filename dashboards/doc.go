// Package dashboards generates the jianguan Grafana dashboards (NOC wallboard,
// machine room, lines, hosts & websites, SLA) from Go with the Grafana
// Foundation SDK. The generated JSON files in this directory are committed;
// regenerate them with `go generate ./dashboards/...` (or `make dashboards`).
// lint_test.go checks them against docs/metrics.md and rules/*.yml, and
// fails when the committed JSON drifts from the generator.
package dashboards

//go:generate go run ./gen -out .
