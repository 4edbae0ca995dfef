package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/jianguan/jianguan/internal/records"
)

// errNotOpen: the database could not be opened (and migrated) yet.
var errNotOpen = errors.New("database not open yet")

// lazyStore lets the recorder start while its database is unreachable:
// until open succeeds every call fails with errNotOpen, so webhooks are
// spooled and reads answer 503. replayLoop calls ensure before each pass.
type lazyStore struct {
	open func(ctx context.Context) (records.Store, error)

	mu sync.RWMutex
	st records.Store
}

func (l *lazyStore) get() (records.Store, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.st == nil {
		return nil, errNotOpen
	}
	return l.st, nil
}

// ensure opens the store if it is not open; it reports whether it is.
func (l *lazyStore) ensure(ctx context.Context) error {
	if _, err := l.get(); err == nil {
		return nil
	}
	st, err := l.open(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != nil { // opened concurrently
		st.Close()
		return nil
	}
	l.st = st
	return nil
}

func (l *lazyStore) Ingest(ctx context.Context, n *records.Notification, w time.Duration) (records.IngestResult, error) {
	st, err := l.get()
	if err != nil {
		return records.IngestResult{}, err
	}
	return st.Ingest(ctx, n, w)
}

func (l *lazyStore) ListAlerts(ctx context.Context, f records.AlertFilter) ([]records.Alert, error) {
	st, err := l.get()
	if err != nil {
		return nil, err
	}
	return st.ListAlerts(ctx, f)
}

func (l *lazyStore) GetAlert(ctx context.Context, id int64) (records.Alert, error) {
	st, err := l.get()
	if err != nil {
		return records.Alert{}, err
	}
	return st.GetAlert(ctx, id)
}

func (l *lazyStore) Acknowledge(ctx context.Context, id int64, who, note string, at time.Time) (records.Ack, error) {
	st, err := l.get()
	if err != nil {
		return records.Ack{}, err
	}
	return st.Acknowledge(ctx, id, who, note, at)
}

func (l *lazyStore) ListNotifications(ctx context.Context, limit int) ([]records.Notification, error) {
	st, err := l.get()
	if err != nil {
		return nil, err
	}
	return st.ListNotifications(ctx, limit)
}

func (l *lazyStore) CountNotifications(ctx context.Context) (int, error) {
	st, err := l.get()
	if err != nil {
		return 0, err
	}
	return st.CountNotifications(ctx)
}

func (l *lazyStore) CreateRecord(ctx context.Context, actor string, r records.Record) (records.Record, error) {
	st, err := l.get()
	if err != nil {
		return records.Record{}, err
	}
	return st.CreateRecord(ctx, actor, r)
}

func (l *lazyStore) GetRecord(ctx context.Context, id int64) (records.Record, error) {
	st, err := l.get()
	if err != nil {
		return records.Record{}, err
	}
	return st.GetRecord(ctx, id)
}

func (l *lazyStore) ListRecords(ctx context.Context, kind string, limit int) ([]records.Record, error) {
	st, err := l.get()
	if err != nil {
		return nil, err
	}
	return st.ListRecords(ctx, kind, limit)
}

func (l *lazyStore) UpdateRecord(ctx context.Context, actor string, id int64, title string, body json.RawMessage) (records.Record, error) {
	st, err := l.get()
	if err != nil {
		return records.Record{}, err
	}
	return st.UpdateRecord(ctx, actor, id, title, body)
}

func (l *lazyStore) SignOff(ctx context.Context, actor string, id int64, at time.Time) (records.Record, error) {
	st, err := l.get()
	if err != nil {
		return records.Record{}, err
	}
	return st.SignOff(ctx, actor, id, at)
}

func (l *lazyStore) Amend(ctx context.Context, actor string, id int64, r records.Record) (records.Record, error) {
	st, err := l.get()
	if err != nil {
		return records.Record{}, err
	}
	return st.Amend(ctx, actor, id, r)
}

func (l *lazyStore) CreateRecords(ctx context.Context, actor string, r records.Record, children []records.Record) (records.Record, []records.Record, error) {
	st, err := l.get()
	if err != nil {
		return records.Record{}, nil, err
	}
	return st.CreateRecords(ctx, actor, r, children)
}

func (l *lazyStore) FindRecords(ctx context.Context, f records.RecordFilter) ([]records.Record, error) {
	st, err := l.get()
	if err != nil {
		return nil, err
	}
	return st.FindRecords(ctx, f)
}

func (l *lazyStore) History(ctx context.Context, entity string, id int64) ([]records.HistoryEntry, error) {
	st, err := l.get()
	if err != nil {
		return nil, err
	}
	return st.History(ctx, entity, id)
}

func (l *lazyStore) Ping(ctx context.Context) error {
	st, err := l.get()
	if err != nil {
		return err
	}
	return st.Ping(ctx)
}

func (l *lazyStore) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st == nil {
		return nil
	}
	return l.st.Close()
}
