package records

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // "sqlite" driver
)

//go:embed migrations
var migrations embed.FS

// Backends.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// SQLiteBusyTimeout is how long a SQLite writer waits for the lock before
// the write fails (and the recorder spools the webhook).
const SQLiteBusyTimeout = 5 * time.Second

// PGWriteLock is the advisory lock key that serialises writers on
// PostgreSQL (also jianguan-recorder purge's).
const PGWriteLock = 0x6a69616e67756e // "jianguan"

type sqlStore struct {
	db      *sql.DB
	dialect string
}

// SQLiteDSN is the DSN the store uses for a SQLite file: WAL, busy_timeout,
// synchronous=FULL (a committed write survives power loss, not only a crash),
// foreign keys on, and BEGIN IMMEDIATE so writers queue at BEGIN.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", SQLiteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Open opens (and migrates to the newest version) a store. backend is
// SQLite (target: a file path) or Postgres (target: a pgx DSN/URL).
func Open(ctx context.Context, backend, target string) (Store, error) {
	var (
		db      *sql.DB
		err     error
		dialect goose.Dialect
	)
	switch backend {
	case SQLite:
		if target == "" {
			return nil, fmt.Errorf("sqlite: empty path")
		}
		db, err = sql.Open("sqlite", SQLiteDSN(target))
		dialect = goose.DialectSQLite3
		if err == nil {
			db.SetMaxOpenConns(4)
		}
	case Postgres:
		db, err = sql.Open("pgx", target)
		dialect = goose.DialectPostgres
		if err == nil {
			db.SetMaxOpenConns(8)
			db.SetConnMaxIdleTime(5 * time.Minute)
		}
	default:
		return nil, fmt.Errorf("unknown backend %q: want %s or %s", backend, SQLite, Postgres)
	}
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db, backend, dialect); err != nil {
		db.Close()
		return nil, err
	}
	return &sqlStore{db: db, dialect: backend}, nil
}

// Migrate applies the embedded migrations of one backend.
func Migrate(ctx context.Context, db *sql.DB, backend string, dialect goose.Dialect) error {
	sub, err := fs.Sub(migrations, "migrations/"+backend)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, db, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", backend, err)
	}
	return nil
}

func (s *sqlStore) Close() error                   { return s.db.Close() }
func (s *sqlStore) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// q rewrites ? placeholders to $n for PostgreSQL.
func (s *sqlStore) q(query string) string {
	if s.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// write runs fn in a write transaction (serialised, see package comment).
func (s *sqlStore) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if s.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(PGWriteLock)); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqlStore) history(ctx context.Context, tx *sql.Tx, entity string, id int64, action, actor string, at time.Time, before, after any) error {
	enc := func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	b, err := enc(before)
	if err != nil {
		return err
	}
	a, err := enc(after)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO history (entity, entity_id, action, actor, at, before_json, after_json) VALUES (?,?,?,?,?,?,?)`),
		entity, id, action, actor, ms(at), b, a)
	return err
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func msOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNull(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func jsonMap(m map[string]string) string {
	if m == nil {
		m = map[string]string{}
	}
	b, _ := json.Marshal(m) // a map[string]string always marshals
	return string(b)
}

func parseMap(s string) map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(s), &m) // written by jsonMap
	return m
}

// ---------------------------------------------------------------- notifications and alerts

func (s *sqlStore) Ingest(ctx context.Context, n *Notification, window time.Duration) (IngestResult, error) {
	if err := n.Validate(); err != nil {
		return IngestResult{}, err
	}
	if n.ReceivedAt.IsZero() {
		return IngestResult{}, fmt.Errorf("%w: receivedAt not set", ErrInvalid)
	}
	key := DedupKey(n)
	at := n.ReceivedAt
	var res IngestResult
	err := s.write(ctx, func(tx *sql.Tx) error {
		res = IngestResult{}
		var prev, prevAt int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT id, received_at FROM notifications WHERE dedup_key = ? AND received_at >= ? AND received_at <= ? ORDER BY received_at LIMIT 1`),
			key, ms(at.Add(-window)), ms(at.Add(window))).Scan(&prev, &prevAt)
		switch {
		case err == nil:
			res.NotificationID, res.Duplicate = prev, true
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE notifications SET duplicates = duplicates + 1 WHERE id = ?`), prev); err != nil {
				return err
			}
			if err := s.history(ctx, tx, "notification", prev, "duplicate", n.ReceivedBy, at, nil,
				map[string]any{"externalURL": n.ExternalURL, "receivedAt": at}); err != nil {
				return err
			}
			if ms(at) < prevAt {
				// The copy that arrived first was stored second (it waited in
				// the spool): its time is the alerts' first-seen time.
				for _, a := range n.Alerts {
					id, err := s.upsertAlert(ctx, tx, n, a)
					if err != nil {
						return err
					}
					res.AlertIDs = append(res.AlertIDs, id)
				}
			}
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO notifications (dedup_key, group_key, status, receiver, external_url, group_labels, common_labels,
			common_annotations, truncated_alerts, received_at, received_by) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`),
			key, n.GroupKey, n.Status, n.Receiver, n.ExternalURL, jsonMap(n.GroupLabels), jsonMap(n.CommonLabels),
			jsonMap(n.CommonAnnotations), n.TruncatedAlerts, ms(at), n.ReceivedBy).Scan(&res.NotificationID); err != nil {
			return err
		}
		stored := *n
		stored.ID = res.NotificationID
		if err := s.history(ctx, tx, "notification", res.NotificationID, "create", n.ReceivedBy, at, nil, stored); err != nil {
			return err
		}
		for _, a := range n.Alerts {
			id, err := s.upsertAlert(ctx, tx, n, a)
			if err != nil {
				return err
			}
			res.AlertIDs = append(res.AlertIDs, id)
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO notification_alerts (notification_id, alert_id, fingerprint, status, labels, annotations, starts_at, ends_at)
				VALUES (?,?,?,?,?,?,?,?)`), res.NotificationID, id, a.Fingerprint, a.Status, jsonMap(a.Labels), jsonMap(a.Annotations),
				ms(a.StartsAt), msOrNil(a.EndsAt)); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

const alertCols = `id, fingerprint, starts_at, alertname, labels, annotations, generator_url, status, notified_at, acknowledged_at, ends_at, resolved_notified_at, last_notified_at`

func scanAlert(sc interface{ Scan(...any) error }) (Alert, error) {
	var (
		a                                  Alert
		starts, last                       int64
		labels, annotations                string
		notified, acked, ends, resNotified sql.NullInt64
	)
	if err := sc.Scan(&a.ID, &a.Fingerprint, &starts, &a.Alertname, &labels, &annotations, &a.GeneratorURL, &a.Status,
		&notified, &acked, &ends, &resNotified, &last); err != nil {
		return a, err
	}
	a.DetectedAt, a.LastNotifiedAt = fromMS(starts), fromMS(last)
	a.Labels, a.Annotations = parseMap(labels), parseMap(annotations)
	a.NotifiedAt, a.AcknowledgedAt, a.ResolvedAt, a.ResolvedNotifiedAt = fromNull(notified), fromNull(acked), fromNull(ends), fromNull(resNotified)
	since := func(t *time.Time) *float64 {
		if t == nil {
			return nil
		}
		v := t.Sub(a.DetectedAt).Seconds()
		return &v
	}
	a.TimeToNotify, a.TimeToAck, a.TimeToResolve = since(a.NotifiedAt), since(a.AcknowledgedAt), since(a.ResolvedAt)
	return a, nil
}

// alertState is what history keeps of an alert row.
type alertState struct {
	Status             string            `json:"status"`
	NotifiedAt         *time.Time        `json:"notifiedAt"`
	AcknowledgedAt     *time.Time        `json:"acknowledgedAt"`
	ResolvedAt         *time.Time        `json:"resolvedAt"`
	ResolvedNotifiedAt *time.Time        `json:"resolvedNotifiedAt"`
	LastNotifiedAt     time.Time         `json:"lastNotifiedAt"`
	Labels             map[string]string `json:"labels"`
	Annotations        map[string]string `json:"annotations"`
}

func stateOf(a Alert) alertState {
	return alertState{a.Status, a.NotifiedAt, a.AcknowledgedAt, a.ResolvedAt, a.ResolvedNotifiedAt, a.LastNotifiedAt, a.Labels, a.Annotations}
}

func (s *sqlStore) upsertAlert(ctx context.Context, tx *sql.Tx, n *Notification, wa WebhookAlert) (int64, error) {
	at := n.ReceivedAt
	old, err := scanAlert(tx.QueryRowContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE fingerprint = ? AND starts_at = ?`), wa.Fingerprint, ms(wa.StartsAt)))
	if errors.Is(err, sql.ErrNoRows) {
		var notified, ends, resNotified any
		if wa.Status == "firing" {
			notified = ms(at)
		} else {
			ends, resNotified = ms(wa.EndsAt), ms(at)
		}
		var id int64
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO alerts (fingerprint, starts_at, alertname, labels, annotations, generator_url, status,
			notified_at, ends_at, resolved_notified_at, last_notified_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`),
			wa.Fingerprint, ms(wa.StartsAt), wa.Labels["alertname"], jsonMap(wa.Labels), jsonMap(wa.Annotations), wa.GeneratorURL, wa.Status,
			notified, ends, resNotified, ms(at)).Scan(&id); err != nil {
			return 0, err
		}
		created, err := scanAlert(tx.QueryRowContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE id = ?`), id))
		if err != nil {
			return 0, err
		}
		return id, s.history(ctx, tx, "alert", id, "create", n.ReceivedBy, at, nil, stateOf(created))
	}
	if err != nil {
		return 0, err
	}
	// Later notifications win for status, labels and annotations, except that a
	// notification received out of order (older than the last) changes nothing
	// but the first-seen times.
	newer := !at.Before(old.LastNotifiedAt)
	status, last := old.Status, old.LastNotifiedAt
	labels, annotations := old.Labels, old.Annotations
	if newer {
		status, last, labels, annotations = wa.Status, at, wa.Labels, wa.Annotations
	}
	notified := old.NotifiedAt
	if wa.Status == "firing" && (notified == nil || at.Before(*notified)) {
		notified = &at
	}
	ends, resNotified := old.ResolvedAt, old.ResolvedNotifiedAt
	if wa.Status == "resolved" && (resNotified == nil || at.Before(*resNotified)) {
		e := wa.EndsAt.UTC()
		ends, resNotified = &e, &at
	}
	if newer && wa.Status == "firing" {
		// Re-fired with the same startsAt (flapping inside Alertmanager's resolve
		// timeout): the earlier resolution no longer holds.
		ends, resNotified = nil, nil
	}
	ptr := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return ms(*t)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE alerts SET status = ?, labels = ?, annotations = ?, notified_at = ?, ends_at = ?, resolved_notified_at = ?, last_notified_at = ? WHERE id = ?`),
		status, jsonMap(labels), jsonMap(annotations), ptr(notified), ptr(ends), ptr(resNotified), ms(last), old.ID); err != nil {
		return 0, err
	}
	updated, err := scanAlert(tx.QueryRowContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE id = ?`), old.ID))
	if err != nil {
		return 0, err
	}
	return old.ID, s.history(ctx, tx, "alert", old.ID, "notify", n.ReceivedBy, at, stateOf(old), stateOf(updated))
}

func clampLimit(n int) int {
	if n <= 0 {
		return 100
	}
	if n > MaxListLimit {
		return MaxListLimit
	}
	return n
}

func (s *sqlStore) ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	where, args := []string{"1=1"}, []any{}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "starts_at >= ?"), append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "starts_at < ?"), append(args, ms(f.Until))
	}
	args = append(args, clampLimit(f.Limit))
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE `+strings.Join(where, " AND ")+` ORDER BY starts_at DESC, id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *sqlStore) GetAlert(ctx context.Context, id int64) (Alert, error) {
	a, err := scanAlert(s.db.QueryRowContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("alert %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return a, err
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, alert_id, who, note, at FROM acknowledgements WHERE alert_id = ? ORDER BY at, id`), id)
	if err != nil {
		return a, err
	}
	defer rows.Close()
	for rows.Next() {
		var k Ack
		var at int64
		if err := rows.Scan(&k.ID, &k.AlertID, &k.Who, &k.Note, &at); err != nil {
			return a, err
		}
		k.At = fromMS(at)
		a.Acks = append(a.Acks, k)
	}
	return a, rows.Err()
}

func (s *sqlStore) Acknowledge(ctx context.Context, alertID int64, who, note string, at time.Time) (Ack, error) {
	if who == "" {
		return Ack{}, fmt.Errorf("%w: who is empty", ErrInvalid)
	}
	for _, t := range []string{who, note} {
		if err := checkText(t); err != nil {
			return Ack{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	k := Ack{AlertID: alertID, Who: who, Note: note, At: at.UTC().Truncate(time.Millisecond)}
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, err := scanAlert(tx.QueryRowContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE id = ?`), alertID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("alert %d: %w", alertID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO acknowledgements (alert_id, who, note, at) VALUES (?,?,?,?) RETURNING id`),
			alertID, who, note, ms(k.At)).Scan(&k.ID); err != nil {
			return err
		}
		if err := s.history(ctx, tx, "acknowledgement", k.ID, "create", who, k.At, nil, k); err != nil {
			return err
		}
		if old.AcknowledgedAt != nil {
			return nil // the first acknowledgement is the alert's time; later ones are notes
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE alerts SET acknowledged_at = ? WHERE id = ?`), ms(k.At), alertID); err != nil {
			return err
		}
		upd := old
		upd.AcknowledgedAt = &k.At
		return s.history(ctx, tx, "alert", alertID, "acknowledge", who, k.At, stateOf(old), stateOf(upd))
	})
	return k, err
}

func (s *sqlStore) ListNotifications(ctx context.Context, limit int) ([]Notification, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, group_key, status, receiver, external_url, group_labels, common_labels, common_annotations,
		truncated_alerts, received_at, received_by FROM notifications ORDER BY received_at DESC, id DESC LIMIT ?`), clampLimit(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var (
			n          Notification
			gl, cl, ca string
			at         int64
		)
		if err := rows.Scan(&n.ID, &n.GroupKey, &n.Status, &n.Receiver, &n.ExternalURL, &gl, &cl, &ca, &n.TruncatedAlerts, &at, &n.ReceivedBy); err != nil {
			return nil, err
		}
		n.Version = "4"
		n.GroupLabels, n.CommonLabels, n.CommonAnnotations, n.ReceivedAt = parseMap(gl), parseMap(cl), parseMap(ca), fromMS(at)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		ar, err := s.db.QueryContext(ctx, s.q(`SELECT fingerprint, status, labels, annotations, starts_at, ends_at FROM notification_alerts WHERE notification_id = ? ORDER BY fingerprint`), out[i].ID)
		if err != nil {
			return nil, err
		}
		for ar.Next() {
			var (
				a     WebhookAlert
				l, an string
				st    int64
				ends  sql.NullInt64
			)
			if err := ar.Scan(&a.Fingerprint, &a.Status, &l, &an, &st, &ends); err != nil {
				ar.Close()
				return nil, err
			}
			a.Labels, a.Annotations, a.StartsAt = parseMap(l), parseMap(an), fromMS(st)
			if ends.Valid {
				a.EndsAt = fromMS(ends.Int64)
			}
			out[i].Alerts = append(out[i].Alerts, a)
		}
		ar.Close()
		if err := ar.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *sqlStore) CountNotifications(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications`).Scan(&n)
	return n, err
}

// ---------------------------------------------------------------- records

const recordCols = `id, kind, alert_id, title, body, created_by, created_at, updated_by, updated_at, signed_off_by, signed_off_at, amends_id, slot_at, parent_id, ref`

func scanRecord(sc interface{ Scan(...any) error }) (Record, error) {
	var (
		r                Record
		alert, amends    sql.NullInt64
		body             string
		created, updated int64
		signedBy         sql.NullString
		signedAt         sql.NullInt64
		slot, parent     sql.NullInt64
		ref              sql.NullString
	)
	if err := sc.Scan(&r.ID, &r.Kind, &alert, &r.Title, &body, &r.CreatedBy, &created, &r.UpdatedBy, &updated, &signedBy, &signedAt, &amends, &slot, &parent, &ref); err != nil {
		return r, err
	}
	if ref.Valid {
		r.Ref = &ref.String
	}
	r.Slot = fromNull(slot)
	if parent.Valid {
		r.ParentID = &parent.Int64
	}
	r.Body = json.RawMessage(body)
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	if alert.Valid {
		r.AlertID = &alert.Int64
	}
	if amends.Valid {
		r.AmendsID = &amends.Int64
	}
	if signedBy.Valid {
		r.SignedOffBy = &signedBy.String
	}
	r.SignedOffAt = fromNull(signedAt)
	return r, nil
}

func validRecord(kind, title string, body json.RawMessage) error {
	if kind == "" || len(kind) > 64 {
		return fmt.Errorf("%w: kind must be 1–64 characters", ErrInvalid)
	}
	if err := checkText(kind); err != nil {
		return fmt.Errorf("%w: kind: %v", ErrInvalid, err)
	}
	if err := checkText(title); err != nil {
		return fmt.Errorf("%w: title: %v", ErrInvalid, err)
	}
	if len(body) > MaxRecordBodyBytes {
		return fmt.Errorf("%w: body of %d bytes: at most %d", ErrInvalid, len(body), MaxRecordBodyBytes)
	}
	if len(body) == 0 || !json.Valid(body) {
		return fmt.Errorf("%w: body must be valid JSON", ErrInvalid)
	}
	return nil
}

func (s *sqlStore) getRecordTx(ctx context.Context, tx *sql.Tx, id int64) (Record, error) {
	r, err := scanRecord(tx.QueryRowContext(ctx, s.q(`SELECT `+recordCols+` FROM records WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("record %d: %w", id, ErrNotFound)
	}
	return r, err
}

func (s *sqlStore) insertRecord(ctx context.Context, tx *sql.Tx, actor string, r Record, amends *int64, action string) (Record, error) {
	if err := validRecord(r.Kind, r.Title, r.Body); err != nil {
		return r, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if r.AlertID != nil {
		var one int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM alerts WHERE id = ?`), *r.AlertID).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return r, fmt.Errorf("%w: alert %d does not exist", ErrInvalid, *r.AlertID)
			}
			return r, err
		}
	}
	var slot any
	if r.Slot != nil && amends == nil { // an amendment never takes its original's slot
		slot = ms(*r.Slot)
		var other int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM records WHERE kind = ? AND slot_at = ?`), r.Kind, slot).Scan(&other)
		if err == nil {
			return r, fmt.Errorf("%s for %s: %w (record %d)", r.Kind, r.Slot.Format(time.RFC3339), ErrExists, other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return r, err
		}
	}
	var ref any
	if r.Ref != nil && amends == nil {
		if *r.Ref == "" || len(*r.Ref) > 512 {
			return r, fmt.Errorf("%w: ref must be 1–512 bytes", ErrInvalid)
		}
		ref = *r.Ref
		var other int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM records WHERE kind = ? AND ref = ?`), r.Kind, ref).Scan(&other)
		if err == nil {
			return r, fmt.Errorf("%s %s: %w (record %d)", r.Kind, *r.Ref, ErrExists, other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return r, err
		}
	}
	if r.ParentID != nil {
		var one int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM records WHERE id = ?`), *r.ParentID).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return r, fmt.Errorf("%w: parent record %d does not exist", ErrInvalid, *r.ParentID)
			}
			return r, err
		}
	}
	var id int64
	if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO records (kind, alert_id, title, body, created_by, created_at, updated_by, updated_at, amends_id, slot_at, parent_id, ref)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`), r.Kind, r.AlertID, r.Title, string(r.Body), actor, ms(now), actor, ms(now), amends, slot, r.ParentID, ref).Scan(&id); err != nil {
		return r, err
	}
	out, err := s.getRecordTx(ctx, tx, id)
	if err != nil {
		return out, err
	}
	return out, s.history(ctx, tx, "record", id, action, actor, now, nil, out)
}

func (s *sqlStore) CreateRecord(ctx context.Context, actor string, r Record) (Record, error) {
	var out Record
	err := s.write(ctx, func(tx *sql.Tx) (err error) {
		out, err = s.insertRecord(ctx, tx, actor, r, nil, "create")
		return err
	})
	return out, err
}

func (s *sqlStore) CreateRecords(ctx context.Context, actor string, r Record, children []Record) (Record, []Record, error) {
	if len(children) > MaxListLimit {
		return r, nil, fmt.Errorf("%w: %d child records: at most %d", ErrInvalid, len(children), MaxListLimit)
	}
	var (
		out  Record
		kids []Record
	)
	err := s.write(ctx, func(tx *sql.Tx) (err error) {
		kids = kids[:0]
		if out, err = s.insertRecord(ctx, tx, actor, r, nil, "create"); err != nil {
			return err
		}
		for _, c := range children {
			c.ParentID = &out.ID
			k, err := s.insertRecord(ctx, tx, actor, c, nil, "create")
			if err != nil {
				return err
			}
			kids = append(kids, k)
		}
		return nil
	})
	return out, kids, err
}

func (s *sqlStore) FindRecords(ctx context.Context, f RecordFilter) ([]Record, error) {
	where, args := []string{"1=1"}, []any{}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.ParentID != 0 {
		where, args = append(where, "parent_id = ?"), append(args, f.ParentID)
	}
	if !f.SlotSince.IsZero() {
		where, args = append(where, "slot_at >= ?"), append(args, ms(f.SlotSince))
	}
	if !f.SlotUntil.IsZero() {
		where, args = append(where, "slot_at < ?"), append(args, ms(f.SlotUntil))
	}
	if f.Ref != "" {
		where, args = append(where, "ref = ?"), append(args, f.Ref)
	}
	args = append(args, clampLimit(f.Limit))
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+recordCols+` FROM records WHERE `+strings.Join(where, " AND ")+
		` ORDER BY (slot_at IS NULL), slot_at DESC, created_at DESC, id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) GetRecord(ctx context.Context, id int64) (Record, error) {
	r, err := scanRecord(s.db.QueryRowContext(ctx, s.q(`SELECT `+recordCols+` FROM records WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("record %d: %w", id, ErrNotFound)
	}
	return r, err
}

func (s *sqlStore) ListRecords(ctx context.Context, kind string, limit int) ([]Record, error) {
	query, args := `SELECT `+recordCols+` FROM records`, []any{}
	if kind != "" {
		query, args = query+` WHERE kind = ?`, append(args, kind)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY created_at DESC, id DESC LIMIT ?`), append(args, clampLimit(limit))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) UpdateRecord(ctx context.Context, actor string, id int64, title string, body json.RawMessage) (Record, error) {
	var out Record
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, err := s.getRecordTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.SignedOffAt != nil {
			return fmt.Errorf("record %d: %w", id, ErrSignedOff)
		}
		if err := validRecord(old.Kind, title, body); err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		res, err := tx.ExecContext(ctx, s.q(`UPDATE records SET title = ?, body = ?, updated_by = ?, updated_at = ? WHERE id = ? AND signed_off_at IS NULL`),
			title, string(body), actor, ms(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("record %d: %w", id, ErrSignedOff)
		}
		if out, err = s.getRecordTx(ctx, tx, id); err != nil {
			return err
		}
		return s.history(ctx, tx, "record", id, "update", actor, now, old, out)
	})
	return out, err
}

func (s *sqlStore) SignOff(ctx context.Context, actor string, id int64, at time.Time) (Record, error) {
	var out Record
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, err := s.getRecordTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.SignedOffAt != nil {
			return fmt.Errorf("record %d: %w", id, ErrSignedOff)
		}
		at := at.UTC().Truncate(time.Millisecond)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE records SET signed_off_by = ?, signed_off_at = ? WHERE id = ? AND signed_off_at IS NULL`), actor, ms(at), id); err != nil {
			return err
		}
		if out, err = s.getRecordTx(ctx, tx, id); err != nil {
			return err
		}
		return s.history(ctx, tx, "record", id, "sign-off", actor, at, old, out)
	})
	return out, err
}

func (s *sqlStore) Amend(ctx context.Context, actor string, id int64, r Record) (Record, error) {
	var out Record
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, err := s.getRecordTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.SignedOffAt == nil {
			return fmt.Errorf("%w: record %d is not signed off: edit it instead of amending it", ErrInvalid, id)
		}
		r.Kind = old.Kind
		if r.AlertID == nil {
			r.AlertID = old.AlertID
		}
		out, err = s.insertRecord(ctx, tx, actor, r, &id, "amend")
		return err
	})
	return out, err
}

func (s *sqlStore) History(ctx context.Context, entity string, id int64) ([]HistoryEntry, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, entity, entity_id, action, actor, at, before_json, after_json FROM history WHERE entity = ? AND entity_id = ? ORDER BY id`), entity, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []HistoryEntry{}
	for rows.Next() {
		var (
			h             HistoryEntry
			at            int64
			before, after sql.NullString
		)
		if err := rows.Scan(&h.ID, &h.Entity, &h.EntityID, &h.Action, &h.Actor, &at, &before, &after); err != nil {
			return nil, err
		}
		h.At = fromMS(at)
		if before.Valid {
			h.Before = json.RawMessage(before.String)
		}
		if after.Valid {
			h.After = json.RawMessage(after.String)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
