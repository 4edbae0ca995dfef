package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/records"
)

// Defaults and hard limits; docs/records.md lists them.
const (
	defaultMaxBody       = 1 << 20 // 1 MiB: Alertmanager's largest group (max_alerts 0) with 1000 alerts fits in ~1 MiB
	maxMaxBody           = 16 << 20
	defaultDedupWindow   = 2 * time.Minute
	maxDedupWindow       = time.Hour
	defaultSpoolBytes    = 64 << 20
	defaultSpoolFiles    = 10000
	defaultReplayEvery   = 5 * time.Second
	storeTimeout         = 5 * time.Second // one store call; then the webhook is spooled
	proxySecretMinLength = 32
)

// Config is the recorder's YAML configuration.
type Config struct {
	Database struct {
		Backend string `yaml:"backend"`  // sqlite (default) or postgres
		Path    string `yaml:"path"`     // sqlite file
		DSNFile string `yaml:"dsn_file"` // postgres: file holding the DSN (it carries the password)
		dsn     config.Secret
	} `yaml:"database"`
	Spool struct {
		Dir            string        `yaml:"dir"`
		MaxBytes       int64         `yaml:"max_bytes"`
		MaxFiles       int           `yaml:"max_files"`
		ReplayInterval time.Duration `yaml:"replay_interval"`
	} `yaml:"spool"`
	Webhook struct {
		MaxBodyBytes int64         `yaml:"max_body_bytes"`
		DedupWindow  time.Duration `yaml:"dedup_window"`
	} `yaml:"webhook"`
	Auth struct {
		// Users maps basic-auth users (their passwords are checked by the
		// exporter-toolkit --web.config.file) to a role.
		Users map[string]string `yaml:"users"`
		// AnonymousRole is the role of requests without credentials; "" refuses them.
		AnonymousRole string `yaml:"anonymous_role"`
		// TrustedHeader: the Grafana plugin's calls (see docs/records.md).
		TrustedHeader struct {
			SecretFile string `yaml:"secret_file"`
			secret     config.Secret
		} `yaml:"trusted_header"`
	} `yaml:"auth"`
	// CalendarFile: the jianguan calendar (working days for repair deadlines); "" = repairs disabled.
	CalendarFile string `yaml:"calendar_file"`
	cal          *calendar.Calendar
	Inspections  struct {
		Remote struct {
			Times         []string      `yaml:"times"` // "HH:MM", Asia/Shanghai
			ChecklistFile string        `yaml:"checklist_file"`
			Grace         time.Duration `yaml:"grace"` // recorded as missed when not completed within grace of its slot
			Prometheus    struct {
				URL            string        `yaml:"url"`
				Timeout        time.Duration `yaml:"timeout"` // one whole inspection
				Username       string        `yaml:"username"`
				PasswordFile   string        `yaml:"password_file"`
				MaxAnswerBytes int64         `yaml:"max_answer_bytes"`
				password       config.Secret
			} `yaml:"prometheus"`
			check *records.RemoteChecklist
			slots []clock
		} `yaml:"remote"`
		Onsite struct {
			ChecklistFile string `yaml:"checklist_file"`
			check         *records.OnsiteChecklist
		} `yaml:"onsite"`
	} `yaml:"inspections"`
}

// clock is a time of day in Asia/Shanghai.
type clock struct{ h, m int }

func validRole(r string) bool {
	return r == records.RoleViewer || r == records.RoleEditor || r == records.RoleAdmin
}

// loadConfig reads and validates the file; webConfig is --web.config.file
// ("" = none), used to check that every configured user has a password.
func loadConfig(path, webConfig string) (*Config, error) {
	var c Config
	doc, err := config.Load(path, &c)
	if err != nil {
		return nil, err
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(path), p)
	}
	switch c.Database.Backend {
	case "", records.SQLite:
		c.Database.Backend = records.SQLite
		if c.Database.Path == "" {
			return nil, doc.Errorf("database.path", "required for the sqlite backend")
		}
		if c.Database.DSNFile != "" {
			return nil, doc.Errorf("database.dsn_file", "only for the postgres backend")
		}
		c.Database.Path = rel(c.Database.Path)
	case records.Postgres:
		if c.Database.DSNFile == "" {
			return nil, doc.Errorf("database.dsn_file", "required for the postgres backend (the DSN carries the password, so it is read from a file)")
		}
		if c.Database.Path != "" {
			return nil, doc.Errorf("database.path", "only for the sqlite backend")
		}
		c.Database.DSNFile = rel(c.Database.DSNFile)
		b, err := os.ReadFile(c.Database.DSNFile)
		if err != nil {
			return nil, doc.Errorf("database.dsn_file", "%v", err)
		}
		c.Database.dsn = config.Secret(strings.TrimSpace(string(b)))
		if c.Database.dsn == "" {
			return nil, doc.Errorf("database.dsn_file", "%s is empty", c.Database.DSNFile)
		}
	default:
		return nil, doc.Errorf("database.backend", "%q: want sqlite or postgres", c.Database.Backend)
	}
	if c.Spool.Dir == "" {
		return nil, doc.Errorf("spool.dir", "required: webhooks go there while the database is unavailable")
	}
	c.Spool.Dir = rel(c.Spool.Dir)
	if c.Spool.MaxBytes == 0 {
		c.Spool.MaxBytes = defaultSpoolBytes
	}
	if c.Spool.MaxBytes < 1<<20 || c.Spool.MaxBytes > 1<<34 {
		return nil, doc.Errorf("spool.max_bytes", "%d: want 1 MiB … 16 GiB", c.Spool.MaxBytes)
	}
	if c.Spool.MaxFiles == 0 {
		c.Spool.MaxFiles = defaultSpoolFiles
	}
	if c.Spool.MaxFiles < 1 || c.Spool.MaxFiles > 1_000_000 {
		return nil, doc.Errorf("spool.max_files", "%d: want 1 … 1000000", c.Spool.MaxFiles)
	}
	if c.Spool.ReplayInterval == 0 {
		c.Spool.ReplayInterval = defaultReplayEvery
	}
	if c.Spool.ReplayInterval < 100*time.Millisecond || c.Spool.ReplayInterval > 10*time.Minute {
		return nil, doc.Errorf("spool.replay_interval", "%s: want 100ms … 10m", c.Spool.ReplayInterval)
	}
	if c.Webhook.MaxBodyBytes == 0 {
		c.Webhook.MaxBodyBytes = defaultMaxBody
	}
	if c.Webhook.MaxBodyBytes < 4<<10 || c.Webhook.MaxBodyBytes > maxMaxBody {
		return nil, doc.Errorf("webhook.max_body_bytes", "%d: want 4 KiB … 16 MiB", c.Webhook.MaxBodyBytes)
	}
	if c.Webhook.DedupWindow == 0 {
		c.Webhook.DedupWindow = defaultDedupWindow
	}
	if c.Webhook.DedupWindow < time.Second || c.Webhook.DedupWindow > maxDedupWindow {
		return nil, doc.Errorf("webhook.dedup_window", "%s: want 1s … 1h (longer than the peers' delay, shorter than repeat_interval)", c.Webhook.DedupWindow)
	}
	for u, r := range c.Auth.Users {
		if !validRole(r) {
			return nil, doc.Errorf("auth.users."+u, "role %q: want Viewer, Editor or Admin", r)
		}
	}
	if c.Auth.AnonymousRole != "" && !validRole(c.Auth.AnonymousRole) {
		return nil, doc.Errorf("auth.anonymous_role", "role %q: want Viewer, Editor, Admin or empty", c.Auth.AnonymousRole)
	}
	if f := c.Auth.TrustedHeader.SecretFile; f != "" {
		c.Auth.TrustedHeader.SecretFile = rel(f)
		b, err := os.ReadFile(c.Auth.TrustedHeader.SecretFile)
		if err != nil {
			return nil, doc.Errorf("auth.trusted_header.secret_file", "%v", err)
		}
		c.Auth.TrustedHeader.secret = config.Secret(strings.TrimSpace(string(b)))
		if len(c.Auth.TrustedHeader.secret) < proxySecretMinLength {
			return nil, doc.Errorf("auth.trusted_header.secret_file", "the secret has %d characters: at least %d", len(c.Auth.TrustedHeader.secret), proxySecretMinLength)
		}
	}
	if len(c.Auth.Users) > 0 {
		if err := checkWebUsers(webConfig, c.Auth.Users); err != nil {
			return nil, doc.Errorf("auth.users", "%v", err)
		}
	}
	if err := c.loadOps(doc, rel); err != nil {
		return nil, err
	}
	return &c, nil
}

// Bounds of the inspection settings (docs/records.md).
const (
	defaultGrace         = 30 * time.Minute
	maxGrace             = 6 * time.Hour
	defaultInspectTime   = 60 * time.Second
	maxInspectTime       = 5 * time.Minute
	defaultPromAnswer    = 8 << 20
	maxRemoteSlotsPerDay = 24
)

// loadOps reads the calendar and the checklists the configuration names.
func (c *Config) loadOps(doc *config.Doc, rel func(string) string) error {
	if c.CalendarFile != "" {
		c.CalendarFile = rel(c.CalendarFile)
		cal, err := calendar.Load(c.CalendarFile)
		if err != nil {
			return err
		}
		c.cal = cal
	}
	r := &c.Inspections.Remote
	if r.ChecklistFile != "" || len(r.Times) > 0 || r.Prometheus.URL != "" {
		if r.ChecklistFile == "" || len(r.Times) == 0 || r.Prometheus.URL == "" {
			return doc.Errorf("inspections.remote", "checklist_file, times and prometheus.url go together")
		}
		if len(r.Times) > maxRemoteSlotsPerDay {
			return doc.Errorf("inspections.remote.times", "%d times: at most %d a day", len(r.Times), maxRemoteSlotsPerDay)
		}
		seen := map[clock]bool{}
		for i, s := range r.Times {
			t, err := time.Parse("15:04", s)
			if err != nil {
				return doc.Errorf(fmt.Sprintf("inspections.remote.times[%d]", i), "%q: want HH:MM (Asia/Shanghai)", s)
			}
			k := clock{t.Hour(), t.Minute()}
			if seen[k] {
				return doc.Errorf(fmt.Sprintf("inspections.remote.times[%d]", i), "%s given twice", s)
			}
			seen[k] = true
			r.slots = append(r.slots, k)
		}
		if r.Grace == 0 {
			r.Grace = defaultGrace
		}
		if r.Grace < time.Minute || r.Grace > maxGrace {
			return doc.Errorf("inspections.remote.grace", "%s: want 1m … %s", r.Grace, maxGrace)
		}
		if r.Prometheus.Timeout == 0 {
			r.Prometheus.Timeout = defaultInspectTime
		}
		if r.Prometheus.Timeout < time.Second || r.Prometheus.Timeout > maxInspectTime {
			return doc.Errorf("inspections.remote.prometheus.timeout", "%s: want 1s … %s", r.Prometheus.Timeout, maxInspectTime)
		}
		if !strings.HasPrefix(r.Prometheus.URL, "http://") && !strings.HasPrefix(r.Prometheus.URL, "https://") {
			return doc.Errorf("inspections.remote.prometheus.url", "want http:// or https:// (no credentials in the URL: use username and password_file)")
		}
		if strings.Contains(r.Prometheus.URL, "@") {
			return doc.Errorf("inspections.remote.prometheus.url", "credentials do not go in the URL: use username and password_file")
		}
		if r.Prometheus.MaxAnswerBytes == 0 {
			r.Prometheus.MaxAnswerBytes = defaultPromAnswer
		}
		if r.Prometheus.MaxAnswerBytes < 4<<10 || r.Prometheus.MaxAnswerBytes > 64<<20 {
			return doc.Errorf("inspections.remote.prometheus.max_answer_bytes", "%d: want 4 KiB … 64 MiB", r.Prometheus.MaxAnswerBytes)
		}
		if f := r.Prometheus.PasswordFile; f != "" {
			r.Prometheus.PasswordFile = rel(f)
			b, err := os.ReadFile(r.Prometheus.PasswordFile)
			if err != nil {
				return doc.Errorf("inspections.remote.prometheus.password_file", "%v", err)
			}
			r.Prometheus.password = config.Secret(strings.TrimSpace(string(b)))
		}
		r.ChecklistFile = rel(r.ChecklistFile)
		check, err := records.LoadRemoteChecklist(r.ChecklistFile)
		if err != nil {
			return err
		}
		r.check = check
	}
	if f := c.Inspections.Onsite.ChecklistFile; f != "" {
		c.Inspections.Onsite.ChecklistFile = rel(f)
		check, err := records.LoadOnsiteChecklist(c.Inspections.Onsite.ChecklistFile)
		if err != nil {
			return err
		}
		c.Inspections.Onsite.check = check
	}
	return nil
}

// checkWebUsers: a role map only means something when the exporter-toolkit
// web config checks the passwords of exactly those users; otherwise anyone
// could claim to be an Admin by sending a user name.
func checkWebUsers(webConfig string, users map[string]string) error {
	if webConfig == "" {
		return fmt.Errorf("users are configured but --web.config.file is not set: nobody would check their passwords")
	}
	b, err := os.ReadFile(webConfig)
	if err != nil {
		return err
	}
	var wc struct {
		BasicAuthUsers map[string]string `yaml:"basic_auth_users"`
	}
	if err := yaml.Unmarshal(b, &wc); err != nil {
		return fmt.Errorf("%s: %v", webConfig, err)
	}
	if len(wc.BasicAuthUsers) == 0 {
		return fmt.Errorf("%s has no basic_auth_users: nobody would check the users' passwords", webConfig)
	}
	for u := range users {
		if _, ok := wc.BasicAuthUsers[u]; !ok {
			return fmt.Errorf("user %q has a role but no password in %s basic_auth_users", u, webConfig)
		}
	}
	return nil
}
