package amconfig

import (
	"strings"
	"testing"
)

func TestSpliceExtract(t *testing.T) {
	cfg := "route: {}\n" + BeginMarker + "old: 1\n" + EndMarker + "\n"
	out, err := Splice([]byte(cfg), []byte("time_intervals: []"))
	if err != nil {
		t.Fatal(err)
	}
	want := "route: {}\n" + BeginMarker + "time_intervals: []\n" + EndMarker + "\n"
	if string(out) != want {
		t.Fatalf("got %q want %q", out, want)
	}
	got, err := Extract(out)
	if err != nil || string(got) != "time_intervals: []\n" {
		t.Fatalf("extract: %q %v", got, err)
	}
	// idempotent
	again, _ := Splice(out, []byte("time_intervals: []\n"))
	if string(again) != want {
		t.Fatal("splice not idempotent")
	}
	for _, bad := range []string{"route: {}\n", EndMarker + "\n" + BeginMarker} {
		if _, err := Splice([]byte(bad), nil); err == nil || !strings.Contains(err.Error(), "markers") {
			t.Errorf("Splice(%q): err %v", bad, err)
		}
		if _, err := Extract([]byte(bad)); err == nil {
			t.Errorf("Extract(%q): no error", bad)
		}
	}
}
