// Package tools is the home of developer programs that are not production
// binaries: benchmarks (tools/bench/…, run by make bench-*) and their
// checks. Its test asserts that no production binary links package testing.
package tools
