package report_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestReportJudgesRoomSensorsOnly (issue 21 item 4 / defect 7): the
// infrastructure report judged every temperature sensor against 21–27 °C,
// a CRAC's supply air (18.5 °C) and return air (34 °C) included. Only the
// roles room, inlet and cold_aisle (and series from before the role label)
// are judged: the other sensors are listed with "not judged" and are not
// drawn against the 27 °C line. Real Prometheus, backfilled month.
func TestReportJudgesRoomSensorsOnly(t *testing.T) {
	promtool := testutil.Need(t, "promtool")
	prom := testutil.Need(t, "prometheus")
	ms, me := simhistory.MonthBounds(e2eYear, e2eMonth)
	ps := ms.Add(-72 * time.Hour)
	temp := func(device, sensor, role string, v float64) simhistory.Gauge {
		l := map[string]string{"site": "dc1", "room": "A301", "device": device, "sensor": sensor, "rack": ""}
		if role != "" {
			l["role"] = role
		}
		return simhistory.Gauge{Name: "env_temperature_celsius", Labels: l, Value: func(time.Time) float64 { return v }}
	}
	sp := simhistory.Spec{From: ms.Add(-time.Hour), To: me.Add(time.Hour), Step: 300 * time.Second,
		Entities: []*simhistory.Entity{
			{NS: "env_condition", Labels: map[string]string{"site": "dc1", "room": "A301", "device": "th-1", "condition": "temperature_out_of_band"}, ProcessStart: ps,
				Outages: []simhistory.Window{{Start: ms.Add(48 * time.Hour), End: ms.Add(49 * time.Hour)}}},
		},
		Gauges: []simhistory.Gauge{
			temp("crac-1", "supply-air", "supply", 18.5),
			temp("crac-1", "return-air", "return", 34),
			temp("th-1", "row1", "cold_aisle", 24),
			temp("th-9", "hot", "hot_aisle", 38),
			temp("th-2", "legacy", "", 25), // a series from before the role label: judged
		}}
	dir := filepath.Join(t.TempDir(), "data")
	if err := simhistory.Backfill(context.Background(), promtool, sp, dir); err != nil {
		t.Fatal(err)
	}
	url := testenv.StartPrometheus(t, prom, dir)
	cfg := report.DefaultConfig()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	m, err := report.ParseMonth("2026-10", cfg.Location, now)
	if err != nil {
		t.Fatal(err)
	}
	d, err := report.Build(context.Background(), promapi.New(url), cfg, report.KindInfrastructure, m)
	if err != nil {
		t.Fatal(err)
	}
	var sensors *report.Table
	var chart *report.Chart
	for i := range d.Sections {
		for j := range d.Sections[i].Tables {
			if d.Sections[i].Tables[j].ID == "sensors" {
				sensors = &d.Sections[i].Tables[j]
			}
		}
		for j := range d.Sections[i].Charts {
			if d.Sections[i].Charts[j].Threshold == 27 {
				chart = &d.Sections[i].Charts[j]
			}
		}
	}
	if sensors == nil || chart == nil {
		t.Fatalf("no sensors table or 27 °C chart in the infrastructure report")
	}
	judged := map[string]bool{"row1": true, "legacy": true, "supply-air": false, "return-air": false, "hot": false}
	outCol := -1
	for i, c := range sensors.Columns {
		if c.TitleEN == "Out of 21–27 °C" {
			outCol = i
		}
	}
	if outCol < 0 {
		t.Fatalf("no \"Out of 21–27 °C\" column: %+v", sensors.Columns)
	}
	seen := map[string]bool{}
	for _, row := range sensors.Rows {
		s := row[1]
		seen[s] = true
		want, ok := judged[s]
		if !ok {
			t.Errorf("unexpected sensor row %v", row)
			continue
		}
		if notJudged := row[outCol] == "不评判"; notJudged == want {
			t.Errorf("%s: out-of-band cell %q, judged %v", s, row[outCol], want)
		}
		if inChart := slices.Contains(chart.Labels, "A301/"+s); inChart != want {
			t.Errorf("%s: in the 27 °C chart %v, want %v (labels %v)", s, inChart, want, chart.Labels)
		}
	}
	for s := range judged {
		if !seen[s] {
			t.Errorf("sensor %s not listed (every sensor is reported, judged or not)", s)
		}
	}
	for _, row := range sensors.Rows {
		if row[1] == "row1" && row[outCol] == "—" {
			t.Errorf("row1: its device's out-of-band time (1 h) not shown: %v", row)
		}
	}
}
