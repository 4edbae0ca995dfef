package report

import "github.com/jianguan/jianguan/internal/metricnames"

// inMaintenance is the family's NS_in_maintenance gauge (internal/metricnames).
func (f family) inMaintenance() string { return metricnames.Lookup(f.ns).InMaintenance() }
