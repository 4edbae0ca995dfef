package main

import (
	"testing"
)

// FuzzTargetCSV: any CSV input gives targets or a located error, never a
// panic.
func FuzzTargetCSV(f *testing.F) {
	f.Add([]byte("host,address,unit,tcp_ports\nh1,127.0.0.1,u,22 443\n"))
	f.Add([]byte("\ufeff主机,IP地址\n# c\nh,::1\n"))
	f.Add([]byte("url,valid_status,interval\nhttp://x/,200-299,30s\n"))
	f.Add([]byte("host,address\n\"h1,127.0.0.1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := &Config{}
		set := newTargetSet(cfg, t.TempDir())
		err := set.loadCSV("t.csv", data)
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}
