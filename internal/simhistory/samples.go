package simhistory

import "time"

// Samples is one series of the history and its samples in a window:
// timestamps in Unix milliseconds (whole seconds, as WriteOpenMetrics writes
// them) and values, oldest first.
type Samples struct {
	Name   string
	Labels map[string]string
	T      []int64
	V      []float64
}

// EachSeries calls fn once per series of the history with its samples at
// lo <= t < hi: exactly the samples WriteOpenMetricsRange writes for that
// window (same grid, same values, same gaps), for writers that do not go
// through OpenMetrics text (internal/simhistory/tsdbwrite). One simulation
// per entity gives all its availability series at once. s's slices are
// reused between calls: fn must copy what it keeps. Memory: one window's
// samples of one series (plus the entity's 11 series while it is walked).
func (sp Spec) EachSeries(lo, hi time.Time, fn func(s *Samples) error) error {
	first, last := sp.grid(lo, hi)
	n := 0
	if !last.Before(first) {
		n = int(last.Sub(first)/sp.Step) + 1
	}
	for _, e := range sp.Entities {
		fams := availFamilies(e.NS)
		out := make([]Samples, len(fams))
		for i, f := range fams {
			out[i] = Samples{Name: f.name, Labels: e.Labels, T: make([]int64, 0, n), V: make([]float64, 0, n)}
		}
		s := newSim(e)
		for t := first; !t.After(last); t = t.Add(sp.Step) {
			c := s.advance(t)
			if !c.running || !e.scraped(t) {
				continue
			}
			ms := t.Unix() * 1000
			for i, f := range fams {
				v, _ := f.get(c)
				out[i].T = append(out[i].T, ms)
				out[i].V = append(out[i].V, v)
			}
		}
		for i := range out {
			if len(out[i].T) == 0 {
				continue
			}
			if err := fn(&out[i]); err != nil {
				return err
			}
		}
	}
	grid, dense := sp.gaugeTimes(lo, hi, first, last)
	g := Samples{T: make([]int64, 0, len(dense)), V: make([]float64, 0, len(dense))}
	for _, gg := range sp.Gauges {
		g.Name, g.Labels, g.T, g.V = gg.Name, gg.Labels, g.T[:0], g.V[:0]
		ts := grid
		if gg.Dense {
			ts = dense
		}
		for _, t := range ts {
			if v, ok := gg.at(t); ok {
				g.T = append(g.T, t.Unix()*1000)
				g.V = append(g.V, v)
			}
		}
		if len(g.T) == 0 {
			continue
		}
		if err := fn(&g); err != nil {
			return err
		}
	}
	return nil
}
