package main

import (
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watcher watches the directories of the config file and the target files
// (editors and CMDB exports replace files by rename, so the directory is
// watched, not the file) and calls onChange once changes have settled.
type watcher struct {
	w        *fsnotify.Watcher
	log      *slog.Logger
	onChange func()
	debounce time.Duration

	mu       sync.Mutex
	path     string
	patterns []string
	files    map[string]bool
	dirs     map[string]bool
	done     chan struct{}
}

func newWatcher(log *slog.Logger, onChange func()) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &watcher{w: fw, log: log, onChange: onChange, debounce: 300 * time.Millisecond, dirs: map[string]bool{}, done: make(chan struct{})}
	go w.run()
	return w, nil
}

// set replaces what is watched.
func (w *watcher) set(cfg *Config) {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	files := map[string]bool{abs(cfg.path): true}
	dirs := map[string]bool{filepath.Dir(abs(cfg.path)): true}
	for _, f := range cfg.files {
		files[abs(f)] = true
		dirs[filepath.Dir(abs(f))] = true
	}
	var pats []string
	for _, p := range cfg.patterns {
		pats = append(pats, abs(p))
		dirs[filepath.Dir(abs(p))] = true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.path, w.patterns, w.files = abs(cfg.path), pats, files
	for d := range w.dirs {
		if !dirs[d] {
			_ = w.w.Remove(d)
			delete(w.dirs, d)
		}
	}
	for d := range dirs {
		if !w.dirs[d] {
			if err := w.w.Add(d); err != nil {
				w.log.Warn("cannot watch directory; reload with SIGHUP or POST /-/reload", "dir", d, "err", err)
				continue
			}
			w.dirs[d] = true
		}
	}
}

func (w *watcher) relevant(name string) bool {
	name, _ = filepath.Abs(name)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.files[name] {
		return true
	}
	for _, p := range w.patterns {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}

func (w *watcher) run() {
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case ev, ok := <-w.w.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod || !w.relevant(ev.Name) {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(w.debounce)
			} else {
				timer.Reset(w.debounce)
			}
			fire = timer.C
		case err, ok := <-w.w.Errors:
			if !ok {
				return
			}
			w.log.Warn("file watcher error", "err", err)
		case <-fire:
			fire = nil
			w.log.Info("target or config file changed, reloading")
			w.onChange()
		case <-w.done:
			if timer != nil {
				timer.Stop()
			}
			return
		}
	}
}

func (w *watcher) close() {
	close(w.done)
	w.w.Close()
}
