package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefect16_ReportsConfig: the identification block comes from the
// reports configuration; a file without a required field, a file that does
// not exist and an unknown --lang are errors naming the file, line and
// field, before any query; the shipped example loads.
func TestDefect16_ReportsConfig(t *testing.T) {
	example, err := os.ReadFile("../../deploy/etc/jianguan/reports.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	noContract := filepath.Join(dir, "no-contract.yml")
	var kept []string
	for _, l := range strings.Split(string(example), "\n") {
		if !strings.HasPrefix(l, "contract_no:") {
			kept = append(kept, l)
		}
	}
	if err := os.WriteFile(noContract, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--reports.config=" + noContract}, []string{"--reports.config", noContract, "contract_no", "required", "合同编号"}},
		{[]string{"--reports.config=" + filepath.Join(dir, "absent.yml")}, []string{"--reports.config", "absent.yml", "no such file"}},
		{[]string{"--lang=fr"}, []string{"--lang", `"fr"`, "zh-CN or en"}},
	} {
		// Prometheus at a closed port: the configuration must fail first.
		err := run(append([]string{"--prometheus.url=http://127.0.0.1:1", "--kind=lines", "--month=2026-10", "-o", filepath.Join(dir, "r.html")}, c.args...))
		if err == nil {
			t.Fatalf("%v: no error", c.args)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %v (want %q)", c.args, err, w)
			}
		}
	}
	id, err := loadReportsConfig("../../deploy/etc/jianguan/reports.yml")
	if err != nil || id == nil || id.ContractNo != "DSJ-2025-034" {
		t.Fatalf("shipped example: %v %+v", err, id)
	}
}
