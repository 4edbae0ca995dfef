package main

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/records"
)

// TestOpenAPIRefsResolve: every $ref in openapi.yaml points at a component.
func TestOpenAPIRefsResolve(t *testing.T) {
	var doc map[string]any
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if k == "$ref" {
					n++
					ref, _ := c.(string)
					var cur any = doc
					for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
						m, _ := cur.(map[string]any)
						cur = m[part]
					}
					if !strings.HasPrefix(ref, "#/") || cur == nil {
						t.Errorf("unresolved $ref %q", ref)
					}
					continue
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	if n < 20 {
		t.Errorf("only %d $refs", n)
	}
}

// TestOpenAPISchemasMatchJSON: the JSON the API writes has exactly the
// properties openapi.yaml documents for it (so the document cannot drift).
func TestOpenAPISchemasMatchJSON(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	id := int64(1)
	who := "admin"
	for _, c := range []struct {
		schema string
		v      any
	}{
		{"Alert", records.Alert{NotifiedAt: &now, Acks: []records.Ack{{}}}},
		{"Ack", records.Ack{}},
		{"Record", records.Record{AlertID: &id, AmendsID: &id, SignedOffBy: &who, SignedOffAt: &now, Body: json.RawMessage(`{}`), Slot: &now, ParentID: &id, Ref: &who}},
		{"Incident", records.Incident{End: &now, Cause: "x", Impact: "x", Handler: "x", Timeline: []records.TimelineStep{{}}, Measures: "x", Owner: "x", Deadline: "x"}},
		{"RemoteItem", records.RemoteItem{Unit: "s"}},
		{"RemoteInspection", records.RemoteInspection{EvaluatedAt: &now, Reason: "x"}},
		{"OnsiteInspection", records.OnsiteInspection{Notes: "x"}},
		{"Repair", records.RepairView{Record: records.Record{AlertID: &id, AmendsID: &id, SignedOffBy: &who, SignedOffAt: &now, Body: json.RawMessage(`{}`), Slot: &now, ParentID: &id, Ref: &who},
			Repair: records.Repair{Description: "x", ReinstalledAt: &now, Note: "x"}}},
		{"Webhook", records.Notification{ReceivedAt: now, ReceivedBy: "x"}},
	} {
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		props := doc.Components.Schemas[c.schema].Properties
		var got, want []string
		for k := range m {
			got = append(got, k)
		}
		for k := range props {
			want = append(want, k)
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: JSON has %v, openapi.yaml documents %v", c.schema, got, want)
		}
	}
}
