package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// sink is the demo's stand-in for WeCom / e-mail / webhook receivers: it
// accepts Alertmanager webhook posts on any path (the path names the
// receiver) and keeps them.
type sink struct {
	srv  *http.Server
	mu   sync.Mutex
	msgs []sinkMsg
}

type sinkMsg struct {
	At       time.Time
	Receiver string
	Status   string
	Alerts   []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

func startSink(addr string, echo func(string)) (*sink, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &sink{}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		var m sinkMsg
		_ = json.Unmarshal(body, &m)
		m.At = time.Now()
		m.Receiver = r.URL.Path
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		s.mu.Unlock()
		if echo != nil {
			for _, a := range m.Alerts {
				echo(fmt.Sprintf("notification %s → %s: %s %s site=%s", m.Status, r.URL.Path, a.Labels["alertname"], a.Labels["severity"], a.Labels["site"]))
			}
		}
		w.WriteHeader(http.StatusOK)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// received returns the receivers paths that got a firing alert named name.
func (s *sink) received(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.msgs {
		for _, a := range m.Alerts {
			if a.Labels["alertname"] == name && a.Status == "firing" {
				out = append(out, m.Receiver)
			}
		}
	}
	return out
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

func (s *sink) close() { _ = s.srv.Close() }
