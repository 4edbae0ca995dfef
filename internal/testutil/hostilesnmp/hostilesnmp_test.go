package hostilesnmp

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
)

// TestAgentAgainstNetSNMP: the parts of the answers that are meant to be
// valid are valid SNMP for net-snmp's own tools, and the hostile parts are
// what they claim (net-snmp reports them as errors).
func TestAgentAgainstNetSNMP(t *testing.T) {
	bulkwalk := testutil.Need(t, "snmpbulkwalk")
	walk := testutil.Need(t, "snmpwalk")
	get := testutil.Need(t, "snmpget")
	const root = "1.3.6.1.4.1.99999.7.1"
	for _, c := range []struct {
		mode    Mode
		tool    string
		args    []string
		wantOK  bool
		want    []string // in the output
		wantNot []string
	}{
		{BigTable, bulkwalk, []string{"-v2c", "-Cr10"}, true, []string{root + ".1 = STRING: \"row-1-", root + ".5 = STRING"}, []string{root + ".6 "}},
		{BigTable, walk, []string{"-v1"}, true, []string{root + ".5 = STRING"}, []string{root + ".6 "}},
		{NonIncreasing, walk, []string{"-v2c"}, false, []string{"OID not increasing"}, nil},
		{WrongTypes, get, []string{"-v2c"}, true, []string{"STRING"}, []string{"INTEGER"}},
		{WrongRequestID, get, []string{"-v2c", "-t", "0.3", "-r", "0"}, false, []string{"Timeout"}, nil},
		// net-snmp drops most of it; the corrupted copy may pass as "Error in packet"
		{GarbageBER, get, []string{"-v2c", "-t", "0.3", "-r", "0"}, false, nil, []string{"INTEGER: 1"}},
		{Silent, get, []string{"-v2c", "-t", "0.3", "-r", "0"}, false, []string{"Timeout"}, nil},
		{Flood, get, []string{"-v2c"}, true, []string{"INTEGER: 1"}, nil},
		{Endless, bulkwalk, []string{"-v2c", "-Cr25", "-t", "2"}, false, nil, nil}, // stopped by the context below
	} {
		t.Run(c.mode.String()+"/"+c.tool[strings.LastIndexByte(c.tool, '/')+1:], func(t *testing.T) {
			a := Start(t, c.mode, Options{Roots: []string{root}, Rows: 5, Flood: 10})
			oid := root
			if c.tool == get {
				oid = "1.3.6.1.2.1.33.1.2.1.0"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			args := append(append([]string{"-On", "-c", "public"}, c.args...), a.Addr, oid)
			out, err := exec.CommandContext(ctx, c.tool, args...).CombinedOutput()
			text := string(out)
			if c.mode == Endless {
				if a.MaxRow() < 1000 {
					t.Errorf("endless walk stopped at row %d within 3 s", a.MaxRow())
				}
				return
			}
			if (err == nil) != c.wantOK {
				t.Errorf("%s %v: err %v\n%s", c.tool, args, err, text)
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
			for _, w := range c.wantNot {
				if strings.Contains(text, w) {
					t.Errorf("output has %q:\n%s", w, text)
				}
			}
			if c.mode == Flood && a.Sent() < 20 {
				t.Errorf("flood sent %d datagrams for one request", a.Sent())
			}
		})
	}
}
