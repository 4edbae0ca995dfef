package main

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/records"
)

// TestFindRecordsRoute: GET /api/v1/records/find answers what the store's
// FindRecords answers for the same filter — same records, same order
// (newest slot first), each filter applied — so a document built from the
// API (the Grafana plugin's records source) is the one built from the
// store. Role Viewer; malformed parameters are 400 naming the parameter.
func TestFindRecordsRoute(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	ctx := context.Background()
	day := func(d int) *time.Time { x := time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC); return &x }
	ref := "host@2026-11-02T00:00:00Z"
	var parents []int64
	for d := 1; d <= 3; d++ {
		in, kids, err := e.store.CreateRecords(ctx, "ops", records.Record{Kind: records.KindOnsiteInspection, Title: "现场巡检", Body: json.RawMessage(`{"n":` + strconv.Itoa(d) + `}`), Slot: day(d)},
			[]records.Record{{Kind: records.KindFinding, Title: "发现", Body: json.RawMessage(`{"source":"onsite","label":"灭火器"}`)}})
		if err != nil || len(kids) != 1 {
			t.Fatalf("create: %v %v", err, kids)
		}
		parents = append(parents, in.ID)
	}
	if _, err := e.store.CreateRecord(ctx, "ops", records.Record{Kind: records.KindIncident, Title: "事件", Body: json.RawMessage(`{}`), Ref: &ref}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		query string
		f     records.RecordFilter
		n     int
	}{
		{"kind=" + records.KindOnsiteInspection, records.RecordFilter{Kind: records.KindOnsiteInspection}, 3},
		{"kind=" + records.KindOnsiteInspection + "&slotSince=" + url.QueryEscape("2026-11-02T08:00:00+08:00") + "&slotUntil=2026-11-03T00:00:00Z",
			records.RecordFilter{Kind: records.KindOnsiteInspection, SlotSince: *day(2), SlotUntil: *day(3)}, 1},
		{"kind=" + records.KindFinding + "&parentId=" + strconv.FormatInt(parents[1], 10), records.RecordFilter{Kind: records.KindFinding, ParentID: parents[1]}, 1},
		{"kind=" + records.KindIncident + "&ref=" + url.QueryEscape(ref), records.RecordFilter{Kind: records.KindIncident, Ref: ref}, 1},
		{"limit=2", records.RecordFilter{Limit: 2}, 2},
	} {
		code, b := e.do("GET", "/api/v1/records/find?"+c.query, records.RoleViewer, nil)
		if code != 200 {
			t.Fatalf("%s: %d %s", c.query, code, b)
		}
		var got struct{ Records []records.Record }
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		want, err := e.store.FindRecords(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Records) != c.n || len(want) != c.n {
			t.Errorf("%s: %d records from the API, %d from the store, want %d", c.query, len(got.Records), len(want), c.n)
			continue
		}
		for i := range want {
			g, w := got.Records[i], want[i]
			if g.ID != w.ID || compactJSON(t, g.Body) != compactJSON(t, w.Body) || !reflect.DeepEqual(g.Slot, w.Slot) && !g.Slot.Equal(*w.Slot) {
				t.Errorf("%s: record %d: API %+v, store %+v", c.query, i, g, w)
			}
		}
	}
	for q, want := range map[string]string{
		"parentId=x":           "parentId",
		"parentId=-1":          "parentId",
		"slotSince=yesterday":  "slotSince",
		"slotUntil=2026-13-01": "slotUntil",
		"limit=100000":         "limit",
	} {
		if code, b := e.do("GET", "/api/v1/records/find?"+q, records.RoleViewer, nil); code != 400 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %s (want 400 naming %s)", q, code, b, want)
		}
	}
}

func compactJSON(t *testing.T, b json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
