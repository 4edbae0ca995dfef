package main

// End-of-service handover (issue 18 item 9, docs/records.md "Handover:
// export and purge"; not the duty handover 交接班 of handover.go): `export` writes everything the recorder holds — every
// table, history included, as JSON lines — with the frozen report snapshots
// and a Prometheus TSDB snapshot, and a manifest with the SHA-256 of every
// file; `purge --confirm <token>` deletes every row, VACUUMs and verifies.
//
// The token binds the purge to the exported content: it is a hash of every
// table's rows, recomputed by purge inside its write transaction, so a row
// written after the export (a recorder still running) makes purge refuse
// rather than destroy something nobody exported.
//
// Purge is the only code that bypasses the append-only rule of history and
// the immutability of signed-off records: the confidentiality agreement
// requires that nothing of the service's data remains at the end of the
// service, and that is only true once history is gone too. It is a separate
// command with no HTTP route, run by an operator with the database's
// credentials, after an export whose token it must be given.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/jianguan/jianguan/internal/records"
)

// Bounds of the export and purge commands (docs/records.md).
const (
	exportTimeout     = 6 * time.Hour    // one export or purge, all of it
	promAnswerLimit   = 64 << 10         // the snapshot API's answer
	promSnapshotWait  = 10 * time.Minute // Prometheus writing its snapshot
	canaryKind        = "purge-canary"
	schemaVersionsTbl = "goose_db_version" // migration versions: kept, holds no records
)

// runExportPurge runs `export` or `purge`.
func runExportPurge(ctx context.Context, cmd string, args []string) int {
	kp := kingpin.New(name+" "+cmd, "")
	configFile := kp.Flag("config.file", "Path to the recorder's configuration file (its database).").Default("/etc/jianguan/recorder.yml").String()
	webConfig := kp.Flag("web.config.file", "The recorder's web config (only to validate auth.users in the configuration).").Default("").String()
	var to, reports, promURL, promData, confirm *string
	switch cmd {
	case "export":
		kp.Help = "Export every table (history included) as JSON lines, the frozen report snapshots and a Prometheus TSDB snapshot, with a SHA-256 manifest; prints the token purge needs."
		to = kp.Flag("to", "Directory to write (must not exist or be empty).").Required().String()
		reports = kp.Flag("reports.dir", "Frozen report snapshots directory to include (the Grafana app's reports.snapshot_dir).").Default("").String()
		promURL = kp.Flag("prometheus.url", "Take a TSDB snapshot through this Prometheus' admin API (needs --web.enable-admin-api).").Default("").String()
		promData = kp.Flag("prometheus.data-dir", "That Prometheus' --storage.tsdb.path, when local: the snapshot is copied into the export.").Default("").String()
	case "purge":
		kp.Help = "Delete every row of every table (history included), VACUUM and verify. Stop the recorder first."
		confirm = kp.Flag("confirm", "The token printed by export (the content exported must still be the content purged).").Required().String()
	}
	kp.HelpFlag.Short('h')
	if _, err := kp.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", name, cmd, err)
		return 2
	}
	cfg, err := loadConfig(*configFile, *webConfig)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: invalid configuration: %v\n", name, cmd, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, exportTimeout)
	defer cancel()
	db, err := openRaw(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", name, cmd, err)
		return 1
	}
	defer db.Close()
	switch cmd {
	case "export":
		err = export(ctx, db, cfg.Database.Backend, exportOptions{Dir: *to, Reports: *reports, PromURL: *promURL, PromDataDir: *promData}, os.Stdout)
	default:
		err = purge(ctx, db, cfg.Database.Backend, cfg.Database.Path, *confirm, os.Stdout)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", name, cmd, err)
		return 1
	}
	return 0
}

// openRaw opens the configured database (migrated, so that the tables exist)
// for whole-table reads and the purge.
func openRaw(ctx context.Context, cfg *Config) (*sql.DB, error) {
	target := cfg.Database.Path
	if cfg.Database.Backend == records.Postgres {
		target = cfg.Database.dsn.Value()
	} else if _, err := os.Stat(target); err != nil { // never create an empty database to export
		return nil, err
	}
	st, err := records.Open(ctx, cfg.Database.Backend, target) // applies the migrations, then closed
	if err != nil {
		return nil, err
	}
	_ = st.Close()
	if cfg.Database.Backend == records.Postgres {
		return sql.Open("pgx", target)
	}
	db, err := sql.Open("sqlite", records.SQLiteDSN(target))
	if err == nil {
		db.SetMaxOpenConns(1) // one connection: PRAGMAs and the transaction share it
	}
	return db, err
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// tables lists the database's tables, sorted, without SQLite's internal ones.
func tables(ctx context.Context, q queryer, backend string) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if backend == records.Postgres {
		query = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, rows.Err()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// dumpTable writes every row of table as one JSON object per line (columns
// in table order, rows ordered by every column) and returns the row count.
// Rows of the purge canary are skipped (skipCanary), so that export and
// purge hash the same content.
func dumpTable(ctx context.Context, q queryer, table string, w io.Writer, skipCanary bool) (int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT * FROM "+quoteIdent(table)+" WHERE 1=0")
	if err != nil {
		return 0, err
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		return 0, err
	}
	order := make([]string, len(cols))
	for i := range cols {
		order[i] = fmt.Sprint(i + 1)
	}
	rows, err = q.QueryContext(ctx, "SELECT * FROM "+quoteIdent(table)+" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	bw := bufio.NewWriter(w)
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		var line bytes.Buffer
		line.WriteByte('{')
		canary := false
		for i, c := range cols {
			v := vals[i]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if table == "records" && c == "kind" && v == canaryKind {
				canary = true
			}
			k, _ := json.Marshal(c)
			j, err := json.Marshal(v)
			if err != nil {
				return n, fmt.Errorf("%s.%s: %v", table, c, err)
			}
			if i > 0 {
				line.WriteByte(',')
			}
			line.Write(k)
			line.WriteByte(':')
			line.Write(j)
		}
		line.WriteString("}\n")
		if canary && skipCanary {
			continue
		}
		if _, err := bw.Write(line.Bytes()); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// contentToken hashes every table (name, rows, SHA-256 of its JSON lines):
// what export prints and purge recomputes.
func contentToken(ctx context.Context, q queryer, backend string, each func(table string, rows int64, sum []byte)) (string, error) {
	ts, err := tables(ctx, q, backend)
	if err != nil {
		return "", err
	}
	tok := sha256.New()
	for _, t := range ts {
		h := sha256.New()
		n, err := dumpTable(ctx, q, t, h, true)
		if err != nil {
			return "", fmt.Errorf("table %s: %w", t, err)
		}
		sum := h.Sum(nil)
		fmt.Fprintf(tok, "%s\x00%d\x00%x\n", t, n, sum)
		if each != nil {
			each(t, n, sum)
		}
	}
	return hex.EncodeToString(tok.Sum(nil))[:24], nil
}

type exportOptions struct {
	Dir, Reports, PromURL, PromDataDir string
	Client                             *http.Client
}

// manifestFile is one exported file.
type manifestFile struct {
	Path   string `json:"path"` // relative to the export directory, slash-separated
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Manifest is manifest.json of an export.
type Manifest struct {
	Created            time.Time        `json:"created"`
	Backend            string           `json:"backend"`
	Token              string           `json:"token"`
	Tables             map[string]int64 `json:"tables"` // rows per table
	PrometheusSnapshot string           `json:"prometheusSnapshot,omitempty"`
	Note               string           `json:"note,omitempty"`
	Files              []manifestFile   `json:"files"`
}

func export(ctx context.Context, db *sql.DB, backend string, o exportOptions, out io.Writer) error {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return err
	}
	if ents, err := os.ReadDir(o.Dir); err != nil || len(ents) > 0 {
		if err == nil {
			err = fmt.Errorf("%s is not empty: export into a new directory", o.Dir)
		}
		return err
	}
	m := Manifest{Created: time.Now().UTC(), Backend: backend, Tables: map[string]int64{}}
	// One read transaction: the tables are exported as of one instant.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: backend == records.Postgres, Isolation: isolation(backend)})
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	ts, err := tables(ctx, tx, backend)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, "records"), 0o700); err != nil {
		return err
	}
	for _, t := range ts {
		f, err := os.OpenFile(filepath.Join(o.Dir, "records", t+".jsonl"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		n, err := dumpTable(ctx, tx, t, f, true)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("table %s: %w", t, err)
		}
		m.Tables[t] = n
	}
	if m.Token, err = contentToken(ctx, tx, backend, nil); err != nil {
		return err
	}
	_ = tx.Rollback()
	if o.Reports != "" {
		if err := copyTree(o.Reports, filepath.Join(o.Dir, "reports")); err != nil {
			return fmt.Errorf("reports: %w", err)
		}
	}
	if o.PromURL != "" {
		name, err := promSnapshot(ctx, o.Client, o.PromURL)
		if err != nil {
			return err
		}
		m.PrometheusSnapshot = name
		if o.PromDataDir != "" {
			if err := copyTree(filepath.Join(o.PromDataDir, "snapshots", name), filepath.Join(o.Dir, "prometheus", name)); err != nil {
				return fmt.Errorf("prometheus snapshot: %w", err)
			}
		} else {
			m.Note = fmt.Sprintf("the TSDB snapshot %s is on the Prometheus server under <--storage.tsdb.path>/snapshots/%s: copy it next to this export", name, name)
		}
	}
	err = filepath.WalkDir(o.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(o.Dir, p)
		sum, size, err := fileSHA256(p)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, manifestFile{Path: filepath.ToSlash(rel), Bytes: size, SHA256: sum})
		return nil
	})
	if err != nil {
		return err
	}
	var sums bytes.Buffer
	for _, f := range m.Files {
		fmt.Fprintf(&sums, "%s  %s\n", f.SHA256, f.Path)
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	for name, data := range map[string][]byte{"manifest.json": append(b, '\n'), "SHA256SUMS": sums.Bytes()} {
		if err := writeSynced(filepath.Join(o.Dir, name), data); err != nil {
			return err
		}
	}
	var total int64
	for _, n := range m.Tables {
		total += n
	}
	fmt.Fprintf(out, "exported %d rows from %d tables and %d files to %s (manifest.json, SHA256SUMS: sha256sum -c SHA256SUMS)\n", total, len(m.Tables), len(m.Files), o.Dir)
	if m.PrometheusSnapshot != "" {
		fmt.Fprintf(out, "Prometheus TSDB snapshot %s\n", m.PrometheusSnapshot)
	}
	if m.Note != "" {
		fmt.Fprintln(out, "NOTE:", m.Note)
	}
	fmt.Fprintf(out, "purge token: %s\n", m.Token)
	return nil
}

func isolation(backend string) sql.IsolationLevel {
	if backend == records.Postgres {
		return sql.LevelRepeatableRead // one snapshot for every table
	}
	return sql.LevelDefault // SQLite: a read transaction sees one snapshot (WAL)
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// copyTree copies the regular files under src to dst (streamed; symbolic
// links and other special files are refused: an export holds data only).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o700)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", p)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		outF, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(outF, in); err != nil {
			outF.Close()
			return err
		}
		if err := outF.Sync(); err != nil {
			outF.Close()
			return err
		}
		return outF.Close()
	})
}

// promSnapshot asks Prometheus for a TSDB snapshot (POST
// /api/v1/admin/tsdb/snapshot); the admin API is off unless Prometheus runs
// with --web.enable-admin-api, which the error says.
func promSnapshot(ctx context.Context, c *http.Client, base string) (string, error) {
	if c == nil {
		c = &http.Client{Timeout: promSnapshotWait}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/api/v1/admin/tsdb/snapshot", nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("prometheus snapshot: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, promAnswerLimit))
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Name string `json:"name"`
		} `json:"data"`
	}
	_ = json.Unmarshal(b, &r)
	if strings.Contains(r.Error, "admin APIs disabled") || resp.StatusCode == http.StatusNotFound {
		return "", fmt.Errorf("prometheus snapshot: %s answers %s (%s): its admin API is disabled — run Prometheus with --web.enable-admin-api for the handover, or pass no --prometheus.url and snapshot the TSDB another way",
			base, resp.Status, strings.TrimSpace(r.Error))
	}
	if resp.StatusCode != http.StatusOK || r.Status != "success" || r.Data.Name == "" || strings.ContainsAny(r.Data.Name, `/\`) || r.Data.Name == ".." {
		return "", fmt.Errorf("prometheus snapshot: %s answers %s: %s", base, resp.Status, bytes.TrimSpace(b))
	}
	return r.Data.Name, nil
}

// ---------------------------------------------------------------- purge

func purge(ctx context.Context, db *sql.DB, backend, sqlitePath, token string, out io.Writer) error {
	canary := make([]byte, 16)
	if _, err := rand.Read(canary); err != nil {
		return err
	}
	mark := "jianguan-purge-canary-" + hex.EncodeToString(canary)
	// 1. Check the token and write the canary, in one write transaction.
	err := writeTx(ctx, db, backend, func(tx *sql.Tx) error {
		got, err := contentToken(ctx, tx, backend, nil)
		if err != nil {
			return err
		}
		if got != token {
			return fmt.Errorf("--confirm %q does not match the database's content (token %s): rows were written or changed since that export (is the recorder still running? stop it), or it is another database — export again and purge with the new token", token, got)
		}
		now := time.Now().UnixMilli()
		insert := `INSERT INTO records (kind, title, body, created_by, created_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
		if backend == records.Postgres {
			insert = `INSERT INTO records (kind, title, body, created_by, created_at, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`
		}
		_, err = tx.ExecContext(ctx, insert,
			canaryKind, mark, `{"canary":"`+mark+`"}`, systemActor, now, systemActor, now)
		return err
	})
	if err != nil {
		return err
	}
	var files []string
	if backend == records.SQLite {
		files = []string{sqlitePath, sqlitePath + "-wal"}
		if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return err
		}
		found, err := scanFiles(files, mark)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return fmt.Errorf("the canary written before the purge is not in %s: the file scan would prove nothing; nothing deleted", sqlitePath)
		}
	}
	// 2. Delete every row of every table but the schema versions, again
	// checking nothing but the canary changed since the token.
	ts, err := tables(ctx, db, backend)
	if err != nil {
		return err
	}
	var data []string
	for _, t := range ts {
		if t != schemaVersionsTbl {
			data = append(data, t)
		}
	}
	err = writeTx(ctx, db, backend, func(tx *sql.Tx) error {
		got, err := contentToken(ctx, tx, backend, nil)
		if err != nil {
			return err
		}
		if got != token {
			return fmt.Errorf("rows were written between the token check and the purge (is the recorder still running? stop it): nothing deleted")
		}
		if backend == records.Postgres {
			// TRUNCATE fires no row triggers: history's append-only trigger
			// is for everyone else.
			quoted := make([]string, len(data))
			for i, t := range data {
				quoted[i] = quoteIdent(t)
			}
			_, err := tx.ExecContext(ctx, "TRUNCATE "+strings.Join(quoted, ", ")+" RESTART IDENTITY")
			return err
		}
		return sqliteDeleteAll(ctx, tx, data)
	})
	if err != nil {
		return err
	}
	// 3. VACUUM: deleted pages are rewritten, not only marked free.
	if backend == records.SQLite {
		for _, s := range []string{"VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"} {
			if _, err := db.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
	} else {
		for _, t := range data {
			if _, err := db.ExecContext(ctx, "VACUUM FULL "+quoteIdent(t)); err != nil {
				return fmt.Errorf("VACUUM FULL %s: %w", t, err)
			}
		}
	}
	return verifyPurge(ctx, db, backend, data, files, mark, out)
}

// verifyPurge counts the rows of every table through a new connection and,
// for SQLite, scans the database files for the canary.
func verifyPurge(ctx context.Context, db *sql.DB, backend string, data, files []string, mark string, out io.Writer) error {
	db.SetMaxIdleConns(0) // the next query opens a new connection: nothing cached
	var bad []string
	fmt.Fprintln(out, "purge verification:")
	for _, t := range data {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(t)).Scan(&n); err != nil {
			return fmt.Errorf("verifying %s: %w", t, err)
		}
		fmt.Fprintf(out, "  table %-22s %d rows\n", t, n)
		if n != 0 {
			bad = append(bad, fmt.Sprintf("%s has %d rows", t, n))
		}
	}
	fmt.Fprintf(out, "  table %-22s kept (migration versions only, no records)\n", schemaVersionsTbl)
	if backend == records.SQLite {
		found, err := scanFiles(files, mark)
		if err != nil {
			return err
		}
		for _, f := range files {
			state := "absent"
			if fi, err := os.Stat(f); err == nil {
				state = fmt.Sprintf("%d bytes, canary not found", fi.Size())
				if slices.Contains(found, f) {
					state = fmt.Sprintf("%d bytes, CANARY FOUND", fi.Size())
				}
			}
			fmt.Fprintf(out, "  file  %s: %s\n", f, state)
		}
		if len(found) > 0 {
			bad = append(bad, "the canary is still in "+strings.Join(found, ", "))
		}
	} else {
		fmt.Fprintln(out, "  PostgreSQL: tables truncated and rewritten (VACUUM FULL); the server's files and WAL archive are the DBA's to scrub")
	}
	if len(bad) > 0 {
		return fmt.Errorf("purge NOT verified: %s", strings.Join(bad, "; "))
	}
	fmt.Fprintln(out, "purge verified: every table is empty")
	return nil
}

// sqliteDeleteAll deletes every row; history's no-delete trigger is dropped
// and recreated (same SQL) inside the transaction, so it is never absent for
// another writer.
func sqliteDeleteAll(ctx context.Context, tx *sql.Tx, data []string) error {
	var trig []string
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'history'`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n, s string
		if err := rows.Scan(&n, &s); err != nil {
			rows.Close()
			return err
		}
		names, trig = append(names, n), append(trig, s)
	}
	rows.Close()
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, "DROP TRIGGER "+quoteIdent(n)); err != nil {
			return err
		}
	}
	// Children first (foreign keys), then the rest.
	first := []string{"acknowledgements", "notification_alerts", "records"}
	order := slices.Clone(first)
	for _, t := range data {
		if !slices.Contains(first, t) {
			order = append(order, t)
		}
	}
	for _, t := range order {
		if !slices.Contains(data, t) {
			continue
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+quoteIdent(t)); err != nil {
			return fmt.Errorf("DELETE FROM %s: %w", t, err)
		}
	}
	for _, s := range trig {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func writeTx(ctx context.Context, db *sql.DB, backend string, fn func(*sql.Tx) error) error {
	if backend == records.SQLite {
		if _, err := db.ExecContext(ctx, "PRAGMA secure_delete = ON"); err != nil {
			return err
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit a no-op
	if backend == records.Postgres {
		// The recorder's writers' lock: no recorder replica writes while
		// the purge holds it.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(records.PGWriteLock)); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// scanFiles returns the files (that exist) containing mark, streamed in 1 MiB
// chunks with an overlap so a mark across two chunks is found.
func scanFiles(files []string, mark string) ([]string, error) {
	var found []string
	for _, p := range files {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ok, err := containsStream(f, []byte(mark))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("scanning %s: %w", p, err)
		}
		if ok {
			found = append(found, p)
		}
	}
	return found, nil
}

func containsStream(r io.Reader, mark []byte) (bool, error) {
	buf := make([]byte, 0, 1<<20+len(mark))
	chunk := make([]byte, 1<<20)
	for {
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if bytes.Contains(buf, mark) {
			return true, nil
		}
		if len(buf) > len(mark) {
			buf = append(buf[:0], buf[len(buf)-len(mark):]...)
		}
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}
