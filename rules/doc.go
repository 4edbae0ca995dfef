// Package rules holds jianguan's Prometheus recording and alerting rules
// (*.yml), their runbook and the tests that run them through the real
// promtool, vmalert and Prometheus 2.42 and 3.x. See README.md.
package rules
