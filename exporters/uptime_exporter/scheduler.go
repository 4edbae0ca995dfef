package main

import (
	"container/heap"
	"sync"
	"time"
)

// event is one scheduled action. The scheduler is a single goroutine
// driving a time-ordered heap: there is no goroutine per target or per
// probe. fire must not block (it sends an ICMP request, or hands work to a
// bounded worker pool).
type event struct {
	at    time.Time
	fire  func(at time.Time)
	index int // heap index, -1 when not queued
}

type eventHeap []*event

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h eventHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *eventHeap) Push(x any) {
	e := x.(*event)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *eventHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	e.index = -1
	*h = old[:n-1]
	return e
}

// scheduler runs events at their time.
type scheduler struct {
	mu   sync.Mutex
	h    eventHeap
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	now  func() time.Time
}

func newScheduler() *scheduler {
	s := &scheduler{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), now: time.Now}
	go s.run()
	return s
}

// schedule queues e at time at (or moves it if already queued).
func (s *scheduler) schedule(e *event, at time.Time) {
	s.mu.Lock()
	e.at = at
	first := false
	if e.index >= 0 && e.index < len(s.h) && s.h[e.index] == e {
		heap.Fix(&s.h, e.index)
	} else {
		heap.Push(&s.h, e)
	}
	first = s.h[0] == e
	s.mu.Unlock()
	if first {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// cancel removes e if queued.
func (s *scheduler) cancel(e *event) {
	s.mu.Lock()
	if e.index >= 0 && e.index < len(s.h) && s.h[e.index] == e {
		heap.Remove(&s.h, e.index)
	}
	s.mu.Unlock()
}

func (s *scheduler) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.h)
}

// slack: events due within this much are fired together, so that 10 000
// targets spread over 10 s cost ~200 wake-ups per second, not 1 000.
const slack = 5 * time.Millisecond

func (s *scheduler) run() {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	var due []*event
	for {
		s.mu.Lock()
		var wait time.Duration = time.Hour
		now := s.now()
		due = due[:0]
		for len(s.h) > 0 && len(due) < 1024 {
			d := s.h[0].at.Sub(now)
			if d > slack {
				wait = d - slack/2
				break
			}
			due = append(due, heap.Pop(&s.h).(*event))
		}
		s.mu.Unlock()
		if len(due) > 0 {
			for i, e := range due {
				e.fire(e.at)
				due[i] = nil
			}
			continue
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-s.wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		case <-s.stop:
			timer.Stop()
			return
		}
	}
}

func (s *scheduler) close() {
	close(s.stop)
	<-s.done
}

// pool is a bounded set of workers for blocking work (HTTP, TCP connect).
type pool struct {
	jobs chan func()
	wg   sync.WaitGroup
}

func newPool(workers, queue int) *pool {
	p := &pool{jobs: make(chan func(), queue)}
	for i := 0; i < workers; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for f := range p.jobs {
				f()
			}
		}()
	}
	return p
}

// try queues f without blocking; false when the queue is full.
func (p *pool) try(f func()) bool {
	select {
	case p.jobs <- f:
		return true
	default:
		return false
	}
}

func (p *pool) close() {
	close(p.jobs)
	p.wg.Wait()
}
