package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExampleConfig: deploy/etc/jianguan/recorder.yml with recorder-web.yml
// passes the recorder's own validation (the credential path swapped for a
// temporary file), so the example cannot drift from the schema.
func TestExampleConfig(t *testing.T) {
	b, err := os.ReadFile("../../deploy/etc/jianguan/recorder.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "proxy-secret")
	if err := os.WriteFile(secret, []byte(strings.Repeat("s", 40)), 0o600); err != nil {
		t.Fatal(err)
	}
	const cred = "/run/credentials/jianguan-recorder.service/proxy-secret"
	if !strings.Contains(string(b), cred) {
		t.Fatalf("example no longer reads %s", cred)
	}
	// The files it names relative to itself.
	for _, f := range []string{"calendar.yml", "inspection-remote.yml", "inspection-onsite.yml"} {
		b, err := os.ReadFile("../../deploy/etc/jianguan/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "recorder.yml")
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), cred, secret, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(p, "../../deploy/etc/jianguan/recorder-web.yml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Database.Backend != "sqlite" || len(c.Auth.Users) != 4 || c.Webhook.DedupWindow.Minutes() != 2 {
		t.Errorf("unexpected example: %+v", c)
	}
	if c.cal == nil || c.Inspections.Remote.check == nil || c.Inspections.Onsite.check == nil || len(c.Inspections.Remote.slots) != 2 {
		t.Errorf("example: calendar, checklists or times not loaded")
	}
}
