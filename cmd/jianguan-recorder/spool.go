package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jianguan/jianguan/internal/records"
)

// errSpoolFull: the spool is at its bound; the webhook gets 503 and
// Alertmanager retries it.
var errSpoolFull = errors.New("spool full")

// spool keeps webhooks on disk while the database cannot take them. Each
// notification is one file, written to a temporary name, fsynced, renamed
// and the directory fsynced before the webhook is answered 200, so a crash
// (kill -9, power loss) after the 200 loses nothing. Bounded by maxBytes and
// maxFiles.
type spool struct {
	dir      string
	maxBytes int64
	maxFiles int

	mu    sync.Mutex
	bytes int64
	files int
	seq   int
}

const spoolExt = ".json"

func openSpool(dir string, maxBytes int64, maxFiles int) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &spool{dir: dir, maxBytes: maxBytes, maxFiles: maxFiles}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") { // a crash mid-write: never answered 200
			_ = os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		if !strings.HasSuffix(e.Name(), spoolExt) {
			continue
		}
		if fi, err := e.Info(); err == nil {
			s.bytes += fi.Size()
			s.files++
		}
	}
	return s, nil
}

func (s *spool) put(n *records.Notification) error {
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files+1 > s.maxFiles || s.bytes+int64(len(b)) > s.maxBytes {
		return fmt.Errorf("%w: %d files, %d bytes (bounds %d files, %d bytes)", errSpoolFull, s.files, s.bytes, s.maxFiles, s.maxBytes)
	}
	s.seq++
	name := fmt.Sprintf("%020d-%06d%s", n.ReceivedAt.UnixNano(), s.seq%1000000, spoolExt)
	tmp := filepath.Join(s.dir, ".tmp-"+name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.dir, name))
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	s.bytes += int64(len(b))
	s.files++
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// list returns the spooled files, oldest first.
func (s *spool) list() ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), spoolExt) && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s *spool) read(name string) (*records.Notification, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		return nil, err
	}
	var n records.Notification
	if err := json.Unmarshal(b, &n); err != nil {
		return nil, err
	}
	return &n, nil
}

// remove deletes a replayed file; reject keeps an unusable one aside
// (name.rejected) for an operator, outside the bounds' accounting.
func (s *spool) remove(name string, reject bool) error {
	p := filepath.Join(s.dir, name)
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if reject {
		err = os.Rename(p, p+".rejected")
	} else {
		err = os.Remove(p)
	}
	if err != nil {
		return err
	}
	_ = syncDir(s.dir)
	s.mu.Lock()
	s.bytes -= fi.Size()
	s.files--
	s.mu.Unlock()
	return nil
}

func (s *spool) usage() (files int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files, s.bytes
}

// nowMS is the receive time, at the store's resolution (milliseconds).
func nowMS() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
