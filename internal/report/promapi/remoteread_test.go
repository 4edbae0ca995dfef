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
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// cannedReads is a client of a remote-read server that keeps the request
// it gets in got, counts the requests in calls and answers every
// well-formed one (snappy, at /api/v1/read, with the client's bearer
// token) with status, contentType ("": none) and body; anything else with
// 400. maxBytes > 0: the client's MaxAnswerBytes.
func cannedReads(t *testing.T, got *prompb.ReadRequest, calls *atomic.Int32, status int, contentType string, body []byte, maxBytes int64) *Client {
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
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	cl := New(srv.URL)
	cl.BearerToken = "s3cret"
	if maxBytes > 0 {
		cl.MaxAnswerBytes = maxBytes
	}
	return cl
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
			cl := cannedReads(t, &got, &calls, c.status, c.contentType, c.body, c.maxBytes)
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
	t.Run("empty batch", func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
		defer srv.Close()
		read, err := New(srv.URL).RemoteReadBatch(context.Background(), nil, nil)
		if !read || err != nil || calls.Load() != 0 {
			t.Errorf("read %v, %v, %d requests", read, err, calls.Load())
		}
	})
	t.Run("bad selector", func(t *testing.T) {
		if _, _, _, err := remoteRead(New("http://127.0.0.1:1"), `{a=`); report.KindOf(err) != report.ErrBadRequest {
			t.Errorf("%v", err)
		}
	})
}

// sampledAnswer is a sampled remote-read answer (snappy-compressed
// ReadResponse) of one query with the given series.
func sampledAnswer(t testing.TB, series ...prompb.TimeSeries) []byte {
	t.Helper()
	resp := &prompb.ReadResponse{Results: []*prompb.QueryResult{{Timeseries: make([]*prompb.TimeSeries, len(series))}}}
	for i := range series {
		resp.Results[0].Timeseries[i] = &series[i]
	}
	raw, err := resp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, raw)
}

// TestRemoteReadSampled: RemoteReadStale asks for the sampled answer and
// reads it (staleness markers kept, series in order), reads a streamed
// answer too, takes a refusal as too large for this read only, and
// refuses hostile answers with a clear error before allocating them.
func TestRemoteReadSampled(t *testing.T) {
	stale := math.Float64frombits(value.StaleNaN)
	a := prompb.TimeSeries{Labels: lbls("__name__", "line_up", "line", "a"), Samples: []prompb.Sample{{Timestamp: 1000, Value: 1}, {Timestamp: 16000, Value: stale}, {Timestamp: 31000, Value: 3}}}
	b := prompb.TimeSeries{Labels: lbls("__name__", "line_up", "line", "b"), Samples: []prompb.Sample{{Timestamp: 1000, Value: 10}}}
	empty := prompb.TimeSeries{Labels: lbls("__name__", "line_up", "line", "c")}
	backwards := prompb.TimeSeries{Labels: lbls("line", "a"), Samples: []prompb.Sample{{Timestamp: 2000, Value: 1}, {Timestamp: 1000, Value: 2}}}
	good := sampledAnswer(t, a, b, empty)
	twoResults, _ := (&prompb.ReadResponse{Results: []*prompb.QueryResult{{}, {}}}).Marshal()
	// A snappy block that says it decompresses to 1 GiB.
	bomb := binary.AppendUvarint(nil, 1<<30)
	streamed := frame(t, &prompb.ChunkedSeries{Labels: lbls("__name__", "line_up", "line", "a"), Chunks: []prompb.Chunk{xorChunk(t, [][2]float64{{1000, 1}})}})
	cases := []struct {
		name        string
		status      int
		contentType string
		body        []byte
		maxBytes    int64
		read        bool
		series      int
		err         string
		kind        report.ErrorKind
	}{
		{name: "sampled", status: 200, contentType: sampledContentType, body: good, read: true, series: 3},
		{name: "streamed anyway", status: 200, contentType: streamedContentType, body: streamed, read: true, series: 1},
		{name: "sample limit: this read only", status: 400, body: []byte("exceeded sample limit")},
		{name: "no remote read", status: 404, body: []byte("unsupported path")},
		{name: "two results", status: 200, contentType: sampledContentType, body: snappy.Encode(nil, twoResults), err: "2 results", kind: report.ErrUnavailable},
		{name: "not snappy", status: 200, contentType: sampledContentType, body: []byte{0xff, 0xff, 0xff}, err: "sampled answer", kind: report.ErrUnavailable},
		{name: "decompressed over MaxAnswerBytes, not allocated", status: 200, contentType: sampledContentType, body: bomb, err: "查询结果过大", kind: report.ErrTooLarge},
		{name: "compressed over MaxAnswerBytes", status: 200, contentType: sampledContentType, body: good, maxBytes: 20, err: "查询结果过大", kind: report.ErrTooLarge},
		{name: "samples out of order", status: 200, contentType: sampledContentType, body: sampledAnswer(t, backwards), err: "after", kind: report.ErrUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got prompb.ReadRequest
			var calls atomic.Int32
			cl := cannedReads(t, &got, &calls, c.status, c.contentType, c.body, c.maxBytes)
			var series []readSeries
			read := func() (int, bool, error) {
				series = nil
				return cl.RemoteReadStale(context.Background(), `{__name__="line_up"}`, time.UnixMilli(0), time.UnixMilli(1e6), func(l map[string]string) func([]int64, []float64) {
					series = append(series, readSeries{labels: l})
					i := len(series) - 1
					return func(ts []int64, vs []float64) {
						series[i].t, series[i].v = append(series[i].t, ts...), append(series[i].v, vs...)
					}
				})
			}
			n, ok, err := read()
			if len(got.AcceptedResponseTypes) != 1 || got.AcceptedResponseTypes[0] != prompb.ReadRequest_SAMPLES || len(got.Queries) != 1 || got.Queries[0].EndTimestampMs != 1e6 {
				t.Errorf("request %+v", got)
			}
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || report.KindOf(err) != c.kind):
				t.Fatalf("error %v (kind %v), want one with %q (kind %v)", err, report.KindOf(err), c.err, c.kind)
			case c.err != "":
				return
			}
			if ok != c.read || n != c.series {
				t.Fatalf("read %v, %d series; want %v, %d", ok, n, c.read, c.series)
			}
			if !ok {
				// Refused as too large: asked again next time; no remote
				// read at all: not asked again.
				want := int32(1)
				if c.status == http.StatusBadRequest {
					want = 2
				}
				if _, ok, err := read(); ok || err != nil || calls.Load() != want {
					t.Errorf("second read: read %v, %v, %d requests (want %d)", ok, err, calls.Load(), want)
				}
				return
			}
			if c.name != "sampled" {
				return
			}
			if series[0].labels["line"] != "a" || series[1].labels["line"] != "b" || series[2].labels["line"] != "c" || len(series[2].t) != 0 {
				t.Errorf("series %+v", series)
			}
			if s := series[0]; len(s.t) != 3 || s.t[1] != 16000 || !value.IsStaleNaN(s.v[1]) || s.v[2] != 3 || len(series[1].t) != 1 || series[1].v[0] != 10 {
				t.Errorf("a %v %v, b %v", s.t, s.v, series[1])
			}
		})
	}
}

// FuzzReadSampled: on any answer prompb's Unmarshal reads, readSampled
// hands over the same series, labels and samples, or refuses it as
// malformed, or because it has not one result or a series' samples are
// not in time order.
func FuzzReadSampled(f *testing.F) {
	stale := math.Float64frombits(value.StaleNaN)
	for _, series := range [][]prompb.TimeSeries{
		{{Labels: lbls("__name__", "line_up", "line", "a"), Samples: []prompb.Sample{{Timestamp: 1000, Value: 1}, {Timestamp: 16000, Value: stale}}}},
		{{Labels: lbls("line", "a")}, {Labels: lbls("line", "b"), Samples: []prompb.Sample{{Timestamp: -5, Value: 2}}}},
		{},
	} {
		raw, err := snappy.Decode(nil, sampledAnswer(f, series...))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want prompb.ReadResponse
		if want.Unmarshal(raw) != nil {
			return
		}
		var got []prompb.TimeSeries
		_, err := readSampled(bytes.NewReader(snappy.Encode(nil, raw)), 1<<30, func(l map[string]string) func([]int64, []float64) {
			ls := make([]prompb.Label, 0, len(l))
			for k, v := range l {
				ls = append(ls, prompb.Label{Name: k, Value: v})
			}
			got = append(got, prompb.TimeSeries{Labels: ls})
			i := len(got) - 1
			return func(ts []int64, vs []float64) {
				for j := range ts {
					got[i].Samples = append(got[i].Samples, prompb.Sample{Timestamp: ts[j], Value: vs[j]})
				}
			}
		})
		// Refused as malformed by protowire, which is stricter than prompb
		// (e.g. a 10-byte varint over 64 bits): see sameWalk.
		if err != nil && strings.HasPrefix(strings.TrimPrefix(err.Error(), "sampled answer: "), "proto:") {
			return
		}
		if len(want.Results) != 1 {
			if err == nil {
				t.Fatalf("%d results read without an error", len(want.Results))
			}
			return
		}
		ordered := true
		for _, s := range want.Results[0].Timeseries {
			for j := 1; j < len(s.Samples); j++ {
				ordered = ordered && s.Samples[j].Timestamp > s.Samples[j-1].Timestamp
			}
		}
		if !ordered {
			if err == nil {
				t.Fatal("samples out of order read without an error")
			}
			return
		}
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		if len(got) != len(want.Results[0].Timeseries) {
			t.Fatalf("%d series, want %d", len(got), len(want.Results[0].Timeseries))
		}
		for i, w := range want.Results[0].Timeseries {
			wl := map[string]string{}
			for _, l := range w.Labels {
				wl[l.Name] = l.Value
			}
			gl := map[string]string{}
			for _, l := range got[i].Labels {
				gl[l.Name] = l.Value
			}
			if !maps.Equal(wl, gl) || len(w.Samples) != len(got[i].Samples) {
				t.Fatalf("series %d: %v %d samples, want %v %d", i, gl, len(got[i].Samples), wl, len(w.Samples))
			}
			for j, x := range w.Samples {
				if g := got[i].Samples[j]; g.Timestamp != x.Timestamp || math.Float64bits(g.Value) != math.Float64bits(x.Value) {
					t.Fatalf("series %d sample %d: %v, want %v", i, j, g, x)
				}
			}
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
			answers := &contentTypes{base: http.DefaultTransport}
			c.HTTP = &http.Client{Transport: answers}
			// RemoteRead (streamed), then RemoteReadStale (sampled; the
			// history has no staleness markers, so the same samples).
			for _, read := range []struct {
				name, contentType string
				fn                func(context.Context, string, time.Time, time.Time, func(map[string]string) func([]int64, []float64)) (int, bool, error)
			}{{"RemoteRead", streamedContentType, c.RemoteRead}, {"RemoteReadStale", sampledContentType, c.RemoteReadStale}} {
				t.Run(read.name, func(t *testing.T) {
					compareReadWithQuery(t, c, v, read.fn, from, to)
					if got := answers.last(); got != read.contentType {
						t.Errorf("answer %q, want %q", got, read.contentType)
					}
				})
			}
			// RemoteReadBatch: each read's series and samples are its own
			// read's, also where two reads answer the same series
			// (consecutive in the stream, told apart by the query index).
			t.Run("RemoteReadBatch", func(t *testing.T) {
				// One series in two windows: its frames of both reads
				// come one after the other with the same labels.
				ss, err := c.Series(ctx, "line_up", from, to)
				if err != nil || len(ss) == 0 {
					t.Fatalf("series %v, %v", ss, err)
				}
				var one []string
				for _, k := range slices.Sorted(maps.Keys(ss[0])) {
					one = append(one, k+"="+strconv.Quote(ss[0][k]))
				}
				single := "{" + strings.Join(one, ",") + "}"
				reads := []report.RawRead{
					{Selector: `{__name__=~"line_up|line_unknown"}`, From: from, To: to},
					{Selector: single, From: from, To: to},
					{Selector: single, From: to, To: to.Add(24 * time.Hour)},
					{Selector: `{__name__="host_up"}`, From: from.Add(6 * time.Hour), To: from.Add(9 * time.Hour)},
				}
				got := make([]map[string]readSeries, len(reads))
				for i := range got {
					got[i] = map[string]readSeries{}
				}
				collect := func(m map[string]readSeries, l map[string]string) func([]int64, []float64) {
					k := labelString(l)
					if _, dup := m[k]; dup {
						t.Errorf("%s handed over twice", k)
					}
					m[k] = readSeries{labels: l}
					return func(ts []int64, vs []float64) {
						s := m[k]
						s.t, s.v = append(s.t, ts...), append(s.v, vs...)
						m[k] = s
					}
				}
				ok, err := c.RemoteReadBatch(ctx, reads, func(i int, l map[string]string) func([]int64, []float64) { return collect(got[i], l) })
				if err != nil || !ok {
					t.Fatalf("batch %v, %v", ok, err)
				}
				for i, rd := range reads {
					want := map[string]readSeries{}
					if _, ok, err := c.RemoteRead(ctx, rd.Selector, rd.From, rd.To, func(l map[string]string) func([]int64, []float64) { return collect(want, l) }); err != nil || !ok {
						t.Fatalf("read %d alone: %v, %v", i, ok, err)
					}
					if len(want) == 0 || !reflect.DeepEqual(got[i], want) {
						t.Errorf("read %d: %d series in the batch, %d alone (or their samples differ)", i, len(got[i]), len(want))
					}
				}
			})
		})
	}
}

// contentTypes is a transport that keeps the Content-Type of the last
// remote-read answer.
type contentTypes struct {
	base http.RoundTripper
	mu   sync.Mutex
	ct   string
}

func (c *contentTypes) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err == nil && r.URL.Path == "/api/v1/read" {
		c.mu.Lock()
		c.ct = resp.Header.Get("Content-Type")
		c.mu.Unlock()
	}
	return resp, err
}

func (c *contentTypes) last() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ct
}

// compareReadWithQuery holds read's samples of line_up and line_unknown in
// [from, to] to the query API's range selector over the same window.
func compareReadWithQuery(t *testing.T, c *Client, v string, read func(context.Context, string, time.Time, time.Time, func(map[string]string) func([]int64, []float64)) (int, bool, error), from, to time.Time) {
	t.Helper()
	ctx := context.Background()
	sel := `{__name__=~"line_up|line_unknown"}`
	lo, hi := from.UnixMilli(), to.UnixMilli()
	var got []readSeries
	_, ok, err := read(ctx, sel, from, to, func(l map[string]string) func([]int64, []float64) {
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
	if err != nil || !ok {
		t.Fatalf("read %v, %v", ok, err)
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
}

func labelString(l map[string]string) string {
	keys := slices.Sorted(maps.Keys(l))
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(k + "=" + l[k] + ",")
	}
	return b.String()
}
