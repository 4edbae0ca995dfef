package promapi

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// xorChunk encodes samples as one stored chunk.
func xorChunk(t *testing.T, samples [][2]float64) prompb.Chunk {
	c := chunkenc.NewXORChunk()
	app, err := c.Appender()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		app.Append(0, int64(s[0]), s[1]) // no start timestamp
	}
	return prompb.Chunk{MinTimeMs: int64(samples[0][0]), MaxTimeMs: int64(samples[len(samples)-1][0]), Type: prompb.Chunk_XOR, Data: c.Bytes()}
}

// frame is one frame of a streamed answer: uvarint size, CRC-32C, message.
func frame(t *testing.T, series ...*prompb.ChunkedSeries) []byte {
	b, err := (&prompb.ChunkedReadResponse{ChunkedSeries: series}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	out = binary.AppendUvarint(out, uint64(len(b)))
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	return append(out, b...)
}

func lbls(kv ...string) []prompb.Label {
	var l []prompb.Label
	for i := 0; i < len(kv); i += 2 {
		l = append(l, prompb.Label{Name: kv[i], Value: kv[i+1]})
	}
	return l
}

type readSeries struct {
	labels map[string]string
	t      []int64
	v      []float64
}

func remoteRead(c *Client, sel string) ([]readSeries, int, bool, error) {
	var out []readSeries
	n, read, err := c.RemoteRead(context.Background(), sel, time.UnixMilli(0), time.UnixMilli(1e6), func(l map[string]string) func([]int64, []float64) {
		out = append(out, readSeries{labels: l})
		i := len(out) - 1
		return func(ts []int64, vs []float64) {
			out[i].t = append(out[i].t, ts...)
			out[i].v = append(out[i].v, vs...)
		}
	})
	return out, n, read, err
}

// TestRemoteReadProtocol: the streamed answer's frames decoded (a series
// across frames handed over once, staleness markers dropped, or kept by
// RemoteReadStale; the request the server gets), the backends without it
// left to the query API and not asked again, and hostile answers refused
// with a clear error.
func TestRemoteReadProtocol(t *testing.T) {
	a1 := xorChunk(t, [][2]float64{{1000, 1}, {16000, 2}, {31000, math.Float64frombits(value.StaleNaN)}})
	a2 := xorChunk(t, [][2]float64{{46000, 4}, {61000, math.NaN()}})
	b1 := xorChunk(t, [][2]float64{{1000, 10}})
	good := append(frame(t, &prompb.ChunkedSeries{Labels: lbls("__name__", "line_up", "line", "a"), Chunks: []prompb.Chunk{a1}}),
		frame(t, &prompb.ChunkedSeries{Labels: lbls("__name__", "line_up", "line", "a"), Chunks: []prompb.Chunk{a2}},
			&prompb.ChunkedSeries{Labels: lbls("__name__", "line_up", "line", "b"), Chunks: []prompb.Chunk{b1}})...)
	bad := frame(t, &prompb.ChunkedSeries{Labels: lbls("line", "a"), Chunks: []prompb.Chunk{a1}})
	bad[len(bad)-1] ^= 0xff
	hist := frame(t, &prompb.ChunkedSeries{Labels: lbls("line", "a"), Chunks: []prompb.Chunk{{Type: prompb.Chunk_HISTOGRAM, Data: []byte{0, 0}}}})
	backwards := frame(t, &prompb.ChunkedSeries{Labels: lbls("line", "a"), Chunks: []prompb.Chunk{a2, a1}})
	huge := binary.AppendUvarint(nil, 1<<40)
	bigFrame := binary.AppendUvarint(nil, remoteReadFrameLimit+1)
	cases := []struct {
		name        string
		status      int
		contentType string
		body        []byte
		maxBytes    int64
		read        bool
		err         string // part of the error, "" for none
		kind        report.ErrorKind
	}{
		{name: "streamed", status: 200, contentType: streamedContentType, body: good, read: true},
		{name: "empty", status: 200, contentType: streamedContentType, read: true},
		{name: "no remote read (VictoriaMetrics, a proxy)", status: 404, body: []byte("unsupported path")},
		{name: "sampled answer only", status: 200, contentType: "application/x-protobuf", body: []byte{1}},
		{name: "server error: this read only", status: 503, body: []byte("overloaded")},
		{name: "bad checksum", status: 200, contentType: streamedContentType, body: bad, err: "checksum mismatch", kind: report.ErrUnavailable},
		{name: "cut short", status: 200, contentType: streamedContentType, body: good[:len(good)-3], err: "frame", kind: report.ErrUnavailable},
		{name: "frame over the limit", status: 200, contentType: streamedContentType, body: bigFrame, maxBytes: 1 << 30, err: "over the limit", kind: report.ErrUnavailable},
		{name: "frame over MaxAnswerBytes, not allocated", status: 200, contentType: streamedContentType, body: huge, err: "查询结果过大", kind: report.ErrTooLarge},
		{name: "answer over MaxAnswerBytes", status: 200, contentType: streamedContentType, body: good, maxBytes: 20, err: "查询结果过大", kind: report.ErrTooLarge},
		{name: "histogram chunk", status: 200, contentType: streamedContentType, body: hist, err: "only float samples", kind: report.ErrUnavailable},
		{name: "samples out of order", status: 200, contentType: streamedContentType, body: backwards, err: "after", kind: report.ErrUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			var got prompb.ReadRequest
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				raw, _ := io.ReadAll(r.Body)
				dec, err := snappy.Decode(nil, raw)
				if err != nil || r.URL.Path != "/api/v1/read" || r.Header.Get("Content-Encoding") != "snappy" || r.Header.Get("Authorization") != "Bearer s3cret" {
					http.Error(w, "bad request", http.StatusBadRequest)
					return
				}
				if err := got.Unmarshal(dec); err != nil {
					http.Error(w, "bad request", http.StatusBadRequest)
					return
				}
				if c.contentType != "" {
					w.Header().Set("Content-Type", c.contentType)
				}
				w.WriteHeader(c.status)
				_, _ = w.Write(c.body)
			}))
			defer srv.Close()
			cl := New(srv.URL)
			cl.BearerToken = "s3cret"
			if c.maxBytes > 0 {
				cl.MaxAnswerBytes = c.maxBytes
			}
			series, n, read, err := remoteRead(cl, `{__name__=~"line_up|line_unknown",line!="x"}`)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || report.KindOf(err) != c.kind):
				t.Fatalf("error %v (kind %v), want one with %q (kind %v)", err, report.KindOf(err), c.err, c.kind)
			case c.err != "":
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error carries the token: %v", err)
				}
				return
			}
			if read != c.read {
				t.Fatalf("read %v, want %v", read, c.read)
			}
			if len(got.Queries) != 1 || len(got.Queries[0].Matchers) != 2 || got.Queries[0].EndTimestampMs != 1e6 ||
				len(got.AcceptedResponseTypes) != 1 || got.AcceptedResponseTypes[0] != prompb.ReadRequest_STREAMED_XOR_CHUNKS {
				t.Errorf("request %+v", got)
			}
			if !read {
				// Not asked again (a server error: asked again): the next
				// read goes to the query API at once.
				want := int32(1)
				if c.status >= 500 {
					want = 2
				}
				if _, _, read, err := remoteRead(cl, `{__name__="line_up"}`); read || err != nil || calls.Load() != want {
					t.Errorf("second read: read %v, %v, %d requests (want %d)", read, err, calls.Load(), want)
				}
				return
			}
			if c.name != "streamed" {
				if n != 0 || len(series) != 0 {
					t.Errorf("%d series, want none", n)
				}
				return
			}
			if n != 2 || len(series) != 2 {
				t.Fatalf("%d series handed over (%d), want 2: %+v", len(series), n, series)
			}
			a, b := series[0], series[1]
			if a.labels["line"] != "a" || a.labels["__name__"] != "line_up" || b.labels["line"] != "b" {
				t.Errorf("labels %v, %v", a.labels, b.labels)
			}
			// a: its two frames as one series, the staleness marker dropped,
			// a plain NaN kept (PromQL keeps it too).
			if len(a.t) != 4 || a.t[0] != 1000 || a.t[2] != 46000 || a.v[1] != 2 || !math.IsNaN(a.v[3]) || len(b.t) != 1 || b.v[0] != 10 {
				t.Errorf("a %v %v, b %v %v", a.t, a.v, b.t, b.v)
			}
			// RemoteReadStale: the same, with the marker in its place.
			var st readSeries
			_, read, err = cl.RemoteReadStale(context.Background(), `{__name__="line_up"}`, time.UnixMilli(0), time.UnixMilli(1e6), func(l map[string]string) func([]int64, []float64) {
				return func(ts []int64, vs []float64) {
					if l["line"] == "a" {
						st.t, st.v = append(st.t, ts...), append(st.v, vs...)
					}
				}
			})
			if !read || err != nil || len(st.t) != 5 || st.t[2] != 31000 || !value.IsStaleNaN(st.v[2]) || st.v[1] != 2 || st.t[3] != 46000 {
				t.Errorf("with the markers: read %v, %v, a %v %v", read, err, st.t, st.v)
			}
		})
	}
	t.Run("NoRemoteRead", func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
		defer srv.Close()
		cl := New(srv.URL)
		cl.NoRemoteRead = true
		if _, _, read, err := remoteRead(cl, `{a="b"}`); read || err != nil || calls.Load() != 0 {
			t.Errorf("read %v, %v, %d requests", read, err, calls.Load())
		}
	})
	t.Run("bad selector", func(t *testing.T) {
		if _, _, _, err := remoteRead(New("http://127.0.0.1:1"), `{a=`); report.KindOf(err) != report.ErrBadRequest {
			t.Errorf("%v", err)
		}
	})
}

// TestRemoteReadMatchesQuery: on a real Prometheus (2.42, and 3.x where
// built), the remote read of a month's line_up and line_unknown gives,
// kept to the range selector's window (closed on 2.42, left-open on 3.x),
// the samples the query API's range selector gives: the same series,
// timestamps and values.
func TestRemoteReadMatchesQuery(t *testing.T) {
	promtool := testutil.Need(t, "promtool")
	ctx := context.Background()
	sp := simhistory.TestScenario(2026, time.October, 300*time.Second)
	data := filepath.Join(t.TempDir(), "data")
	if err := simhistory.CachedBackfill(ctx, promtool, sp, "test", data); err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 10, 9, 16, 0, 0, 0, time.UTC), time.Date(2026, 10, 12, 16, 0, 0, 0, time.UTC)
	for _, v := range []string{testenv.Prom242, testenv.Prom3} {
		t.Run(v, func(t *testing.T) {
			url := testenv.StartPrometheusVersion(t, v, data)
			c := New(url)
			sel := `{__name__=~"line_up|line_unknown"}`
			lo, hi := from.UnixMilli(), to.UnixMilli()
			var got []readSeries
			_, read, err := c.RemoteRead(ctx, sel, from, to, func(l map[string]string) func([]int64, []float64) {
				got = append(got, readSeries{labels: l})
				i := len(got) - 1
				return func(ts []int64, xs []float64) {
					for j, t := range ts {
						// 2.42's range selectors are closed ([t−d, t]), 3.x's left-open.
						if (t > lo || v == testenv.Prom242 && t == lo) && t <= hi {
							got[i].t = append(got[i].t, t)
							got[i].v = append(got[i].v, xs[j])
						}
					}
				}
			})
			if err != nil || !read {
				t.Fatalf("read %v, %v", read, err)
			}
			want, err := c.Query(ctx, sel+"[3d] @ "+strings.TrimSuffix(ts(to), ".000"), to)
			if err != nil {
				t.Fatal(err)
			}
			byKey := map[string]report.Series{}
			for _, s := range want {
				byKey[labelString(s.Labels)] = s
			}
			samples := 0
			for _, g := range got {
				w, ok := byKey[labelString(g.labels)]
				if !ok {
					if len(g.t) > 0 {
						t.Errorf("%v: %d samples read, none through the query API", g.labels, len(g.t))
					}
					continue
				}
				delete(byKey, labelString(g.labels))
				if len(w.Points) != len(g.t) {
					t.Errorf("%v: %d samples read, %d through the query API", g.labels, len(g.t), len(w.Points))
					continue
				}
				for i, p := range w.Points {
					if p.T.UnixMilli() != g.t[i] || math.Float64bits(p.V) != math.Float64bits(g.v[i]) {
						t.Errorf("%v sample %d: read (%d, %v), query API (%d, %v)", g.labels, i, g.t[i], g.v[i], p.T.UnixMilli(), p.V)
						break
					}
				}
				samples += len(g.t)
			}
			if len(byKey) > 0 || samples == 0 {
				t.Errorf("%d series only through the query API; %d samples compared", len(byKey), samples)
			}
		})
	}
}

func labelString(l map[string]string) string {
	keys := slices.Sorted(maps.Keys(l))
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(k + "=" + l[k] + ",")
	}
	return b.String()
}
