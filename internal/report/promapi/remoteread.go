package promapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/jianguan/jianguan/internal/report"
)

// Prometheus' remote-read API (/api/v1/read) with the streamed response
// (STREAMED_XOR_CHUNKS, Prometheus ≥ 2.13): the server sends the stored
// chunks as they are, so reading raw samples costs it neither PromQL
// evaluation nor JSON, and the answer is ~1.3 bytes a sample instead of
// ~25 (issue 24: the bench's raw reads and the lines' P95).

// remoteReadFrameLimit bounds one frame of the streamed answer (Prometheus
// sends ≤ 1 MiB frames by default, --storage.remote.read-max-bytes-in-frame);
// a frame is also never larger than the client's MaxAnswerBytes.
const remoteReadFrameLimit = 64 << 20

// streamedContentType is the Content-Type of a streamed remote-read answer.
const streamedContentType = "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"

// sampledContentType is the Content-Type of a sampled remote-read answer
// (snappy-compressed: Content-Encoding snappy).
const sampledContentType = "application/x-protobuf"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errNoRemoteRead: the backend does not offer the streamed remote read;
// errRemoteReadBusy: it answered this read with a server error or 429.
var (
	errNoRemoteRead   = errors.New("no streamed remote read")
	errRemoteReadBusy = errors.New("remote read refused for now")
)

// RemoteRead reads, through the remote-read API, the raw samples of the
// series that selector (a PromQL series selector, e.g.
// `{__name__=~"a|b",site="dc1"}`) matches, from whole stored chunks that
// overlap [from, to]: samples outside it come too, and the caller keeps
// what it wants by timestamp. Staleness markers are dropped, as PromQL's
// range selectors drop them, so the samples are a range selector's over
// the same window. series is called once per series (labels with
// __name__), in the server's label order, and returns where that series'
// samples go: chunk by chunk, their timestamps (unix ms) and values in
// time order, in slices that are the reader's again after the call (one
// call per chunk spares a call per sample: the lines' year P95 hands over
// 86 M samples). It returns the number of series.
//
// read is false, with no error, when the backend offers no streamed remote
// read (VictoriaMetrics, a proxy that allows only the query API, any answer
// that is not a streamed one: the client remembers it), or answers this
// read with a server error or 429 (this read only): the caller takes the
// query API, dropping what series received. Answers over
// MaxAnswerBytes and timeouts are errors, as for Query.
func (c *Client) RemoteRead(ctx context.Context, selector string, from, to time.Time, series func(labels map[string]string) func(ts []int64, vs []float64)) (n int, read bool, err error) {
	return c.remoteRead(ctx, []report.RawRead{{Selector: selector, From: from, To: to}}, false, func(_ int, l map[string]string) func([]int64, []float64) { return series(l) })
}

// RemoteReadBatch is RemoteRead of several reads in one request (the
// remote-read protocol's queries: Prometheus answers them one after the
// other in one stream, each series' frames marked with its query's index):
// series gets the index in reads of the read each series answers. It spares
// a request per read — its HTTP exchange on both sides and Prometheus'
// handling of it: the incident reconstruction's ~1 200 short reads of a
// providers month (tools/bench/report/batchread). The answer is bounded as
// one: MaxAnswerBytes for all the reads together. read is false as for
// RemoteRead, for all the reads.
func (c *Client) RemoteReadBatch(ctx context.Context, reads []report.RawRead, series func(i int, labels map[string]string) func(ts []int64, vs []float64)) (read bool, err error) {
	_, read, err = c.remoteRead(ctx, reads, false, series)
	return read, err
}

// RemoteReadStale is RemoteRead with the staleness markers kept (values
// that are value.StaleNaN, in time order among the samples): what PromQL's
// instant lookback needs to tell a series that ended (its last sample a
// marker) from one that did not, which a range selector cannot
// (report's edge reads: edgeread.go). It asks for the sampled answer
// (SAMPLES: one snappy-compressed ReadResponse holding only the samples
// in [from, to]), meant for short windows over many series such as an
// edge's: Prometheus then decodes the few samples it sends instead of
// sending whole chunks with a frame and a flush per series, and the
// client decodes ~25 samples a series instead of ~240. On the bench's
// year, an edge's read of the hosts' 4 500 series costs Prometheus 2.42
// 16 % less CPU and the answer is 5 times smaller
// (tools/bench/report/edgeanswer), and the engine's CPU for a year's
// providers report falls by a third (tools/bench/report/ab). A server that answers with the
// streamed frames anyway is read as RemoteRead's; one that refuses the
// sampled read as too large (Prometheus' --storage.remote.read-sample-limit:
// 400) is "refused for now", this read only.
func (c *Client) RemoteReadStale(ctx context.Context, selector string, from, to time.Time, series func(labels map[string]string) func(ts []int64, vs []float64)) (n int, read bool, err error) {
	return c.remoteRead(ctx, []report.RawRead{{Selector: selector, From: from, To: to}}, true, func(_ int, l map[string]string) func([]int64, []float64) { return series(l) })
}

func (c *Client) remoteRead(ctx context.Context, reads []report.RawRead, sampled bool, series func(i int, labels map[string]string) func(ts []int64, vs []float64)) (n int, read bool, err error) {
	keepStale := sampled
	if c.NoRemoteRead || c.noRemoteRead.Load() {
		return 0, false, nil
	}
	if len(reads) == 0 {
		return 0, true, nil // nothing asked, nothing sent
	}
	if sampled && len(reads) != 1 {
		return 0, false, report.Errorf(report.ErrBadRequest, "remote read: a sampled read is one query, not %d", len(reads))
	}
	req := &prompb.ReadRequest{AcceptedResponseTypes: []prompb.ReadRequest_ResponseType{prompb.ReadRequest_STREAMED_XOR_CHUNKS}}
	if sampled {
		req.AcceptedResponseTypes = []prompb.ReadRequest_ResponseType{prompb.ReadRequest_SAMPLES}
	}
	for _, rd := range reads {
		q, err := readQuery(rd)
		if err != nil {
			return 0, false, err
		}
		req.Queries = append(req.Queries, q)
	}
	selector := reads[0].Selector // errors name the first (with how many more)
	if len(reads) > 1 {
		selector += fmt.Sprintf(" (and %d more reads)", len(reads)-1)
	}
	raw, err := req.Marshal()
	if err != nil {
		return 0, false, report.Errorf(report.ErrBadRequest, "remote read: encoding the request: %v", err)
	}
	header := http.Header{
		"Content-Type":                     {"application/x-protobuf"},
		"Content-Encoding":                 {"snappy"},
		"X-Prometheus-Remote-Read-Version": {"0.1.0"},
	}
	err = c.post(ctx, "/api/v1/read", snappy.Encode(nil, raw), header, func(ctx context.Context, resp *http.Response) error {
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || sampled && resp.StatusCode == http.StatusBadRequest {
			return errRemoteReadBusy // this read only: the query API answers it
		}
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode != http.StatusOK || ct != streamedContentType && (!sampled || ct != sampledContentType) {
			return errNoRemoteRead
		}
		lr := &limitedReader{r: resp.Body, left: c.maxAnswer()}
		var err error
		if ct == sampledContentType {
			n, err = readSampled(lr, c.maxAnswer(), func(l map[string]string) func([]int64, []float64) { return series(0, l) })
		} else {
			br := readers.Get().(*bufio.Reader)
			br.Reset(lr)
			n, err = readChunked(br, c.maxAnswer(), keepStale, len(reads), series)
			br.Reset(nil)
			readers.Put(br)
		}
		switch {
		case lr.over || errors.Is(err, errOver):
			return report.Errorf(report.ErrTooLarge, "查询结果过大 / query answer too large: Prometheus at %s answered the remote read of %q with more than %s; the limit is %s per answer (raise it, or narrow the report with a filter)",
				c.redactedBase(), trimRunes(selector, 200), byteSize(c.maxAnswer()), byteSize(c.maxAnswer()))
		case err != nil && ctx.Err() != nil:
			return c.readError(ctx)
		case err != nil:
			return report.Errorf(report.ErrUnavailable, "Prometheus at %s: remote read of %q: %v", c.redactedBase(), trimRunes(selector, 200), err)
		}
		return nil
	})
	if errors.Is(err, errNoRemoteRead) {
		c.noRemoteRead.Store(true)
		return 0, false, nil
	}
	if errors.Is(err, errRemoteReadBusy) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return n, true, nil
}

// readQuery is a remote-read query of rd: its selector's matchers over
// [From, To] (the answer's samples are then cut to what the caller keeps).
func readQuery(rd report.RawRead) (*prompb.Query, error) {
	ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector(rd.Selector)
	if err != nil {
		return nil, report.Errorf(report.ErrBadRequest, "remote read: selector %q: %v", rd.Selector, err)
	}
	q := &prompb.Query{StartTimestampMs: rd.From.UnixMilli(), EndTimestampMs: rd.To.UnixMilli()}
	for _, m := range ms {
		pm := prompb.LabelMatcher{Name: m.Name, Value: m.Value}
		switch m.Type {
		case labels.MatchEqual:
			pm.Type = prompb.LabelMatcher_EQ
		case labels.MatchNotEqual:
			pm.Type = prompb.LabelMatcher_NEQ
		case labels.MatchRegexp:
			pm.Type = prompb.LabelMatcher_RE
		case labels.MatchNotRegexp:
			pm.Type = prompb.LabelMatcher_NRE
		}
		q.Matchers = append(q.Matchers, &pm)
	}
	return q, nil
}

// readers are the 64 KiB buffers of streamed answers, reused: a build
// makes ~1 500 reads.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// readChunked decodes a streamed remote-read answer: frames of
// uvarint(size), CRC-32C (big endian) and a ChunkedReadResponse; a series
// whose chunks span frames comes in consecutive frames with the same
// labels. keepStale: staleness markers are handed over too.
func readChunked(r *bufio.Reader, answerLimit int64, keepStale bool, queries int, series func(int, map[string]string) func([]int64, []float64)) (int, error) {
	var (
		n       int
		lastQ   int64      // the current series' query
		last    []rawLabel // the current series' labels, owned
		add     func([]int64, []float64)
		ts      []int64
		vs      []float64
		buf     []byte
		it      chunkenc.Iterator
		lastMax int64
		walk    frameWalker
	)
	walk.series = func(ls []rawLabel) {
		if add != nil && lastQ == walk.query && sameLabels(last, ls) {
			return
		}
		l := make(map[string]string, len(ls))
		last = last[:0]
		for _, lb := range ls {
			name, value := string(lb.name), string(lb.value)
			l[name] = value
			last = append(last, rawLabel{[]byte(name), []byte(value)})
		}
		lastQ = walk.query
		add = series(int(walk.query), l)
		lastMax = minInt64
		n++
	}
	walk.queries = queries
	walk.chunk = func(typ uint64, data []byte) error {
		if typ != uint64(prompb.Chunk_XOR) {
			return fmt.Errorf("series %s: chunk encoding %v (only float samples are read)", labelsText(last), prompb.Chunk_Encoding(typ))
		}
		c, err := chunkenc.FromData(chunkenc.EncXOR, data)
		if err != nil {
			return fmt.Errorf("series %s: %w", labelsText(last), err)
		}
		it = c.Iterator(it)
		ts, vs = ts[:0], vs[:0]
		for it.Next() == chunkenc.ValFloat {
			t, v := it.At()
			if !keepStale && value.IsStaleNaN(v) {
				continue
			}
			if t <= lastMax { // overlapping chunks: time order is the contract
				return fmt.Errorf("series %s: sample at %d after %d", labelsText(last), t, lastMax)
			}
			lastMax = t
			ts, vs = append(ts, t), append(vs, v)
		}
		if err := it.Err(); err != nil {
			return fmt.Errorf("series %s: %w", labelsText(last), err)
		}
		if len(ts) > 0 {
			add(ts, vs)
		}
		return nil
	}
	for {
		size, err := binary.ReadUvarint(r)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("frame header: %w", err)
		}
		// Checked before the frame is allocated: a hostile size costs nothing.
		if size > uint64(answerLimit) {
			return n, fmt.Errorf("frame of %d bytes: %w", size, errOver)
		}
		if size > remoteReadFrameLimit {
			return n, fmt.Errorf("frame of %d bytes, over the limit of %d", size, remoteReadFrameLimit)
		}
		var sum [4]byte
		if _, err := io.ReadFull(r, sum[:]); err != nil {
			return n, fmt.Errorf("frame checksum: %w", err)
		}
		if uint64(cap(buf)) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(r, buf); err != nil {
			return n, fmt.Errorf("frame: %w", err)
		}
		if crc32.Checksum(buf, castagnoli) != binary.BigEndian.Uint32(sum[:]) {
			return n, errors.New("frame checksum mismatch")
		}
		if err := walk.frame(buf); err != nil {
			return n, fmt.Errorf("frame: %w", err)
		}
	}
}

// readSampled decodes a sampled remote-read answer: one snappy-compressed
// ReadResponse of one query's series with their samples in time order,
// staleness markers included. The compressed answer is bounded by the
// reader, the decompressed by answerLimit, checked before it is allocated.
func readSampled(r io.Reader, answerLimit int64, series func(map[string]string) func([]int64, []float64)) (int, error) {
	compressed, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	size, err := snappy.DecodedLen(compressed)
	if err != nil {
		return 0, fmt.Errorf("sampled answer: %w", err)
	}
	if int64(size) > answerLimit {
		return 0, fmt.Errorf("sampled answer of %d bytes decompressed: %w", size, errOver)
	}
	raw, err := snappy.Decode(nil, compressed)
	if err != nil {
		return 0, fmt.Errorf("sampled answer: %w", err)
	}
	// Walked in place (protowire), as the streamed frames are: no
	// prompb.Sample per sample, no label strings but the map's.
	var (
		n, results int
		ts         []int64
		vs         []float64
		labels     []rawLabel
	)
	err = fields(raw, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != fieldResults || typ != protowire.BytesType {
			return nil
		}
		if results++; results > 1 {
			return fmt.Errorf("%d results for one query", results)
		}
		return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
			if num != fieldTimeseries || typ != protowire.BytesType {
				return nil
			}
			labels, ts, vs = labels[:0], ts[:0], vs[:0]
			err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				switch {
				case num == fieldLabels && typ == protowire.BytesType:
					l, err := label(v)
					labels = append(labels, l)
					return err
				case num == fieldSamples && typ == protowire.BytesType:
					var t int64
					var x float64
					if err := fields(v, func(num protowire.Number, typ protowire.Type, _ []byte, u uint64) error {
						switch {
						case num == fieldSampleValue && typ == protowire.Fixed64Type:
							x = math.Float64frombits(u)
						case num == fieldSampleTimestamp && typ == protowire.VarintType:
							t = int64(u)
						}
						return nil
					}); err != nil {
						return err
					}
					if len(ts) > 0 && t <= ts[len(ts)-1] {
						return fmt.Errorf("series %s: sample at %d after %d", labelsText(labels), t, ts[len(ts)-1])
					}
					ts, vs = append(ts, t), append(vs, x)
				}
				return nil
			})
			if err != nil {
				return err
			}
			l := make(map[string]string, len(labels))
			for _, lb := range labels {
				l[string(lb.name)] = string(lb.value)
			}
			n++
			add := series(l)
			if len(ts) > 0 {
				add(ts, vs)
			}
			return nil
		})
	})
	if err != nil {
		return n, fmt.Errorf("sampled answer: %w", err)
	}
	if results != 1 {
		return n, fmt.Errorf("sampled answer: %d results for one query", results)
	}
	return n, nil
}

// label decodes a prompb Label in place.
func label(b []byte) (rawLabel, error) {
	var l rawLabel
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == fieldLabelName && typ == protowire.BytesType:
			l.name = v
		case num == fieldLabelValue && typ == protowire.BytesType:
			l.value = v
		}
		return nil
	})
	return l, err
}

// frameWalker reads one frame (a ChunkedReadResponse) in place, with
// protowire: series gets each ChunkedSeries' labels and chunk each of its
// chunks' encoding and data, slices into the frame that are valid during
// the call. Unlike prompb's Unmarshal it copies no chunk and allocates
// nothing per chunk: the lines' year P95 reads ~720 k chunks, and the
// copies and their garbage cost more CPU than decoding them.
// TestFrameWalker holds it to prompb's Unmarshal.
type frameWalker struct {
	series func([]rawLabel)
	chunk  func(typ uint64, data []byte) error
	labels []rawLabel
	// query is the frame's query index (ChunkedReadResponse.query_index),
	// known when series is called; queries bounds it (0: not checked).
	query   int64
	queries int
}

// rawLabel is a label's name and value as the frame has them.
type rawLabel struct{ name, value []byte }

// protobuf field numbers of prompb's ChunkedReadResponse, ChunkedSeries,
// Label and Chunk.
const (
	fieldChunkedSeries = 1 // ChunkedReadResponse.chunked_series
	fieldQueryIndex    = 2 // ChunkedReadResponse.query_index
	fieldLabels        = 1 // ChunkedSeries.labels
	fieldChunks        = 2 // ChunkedSeries.chunks
	fieldLabelName     = 1 // Label.name
	fieldLabelValue    = 2 // Label.value
	fieldChunkType     = 3 // Chunk.type
	fieldChunkData     = 4 // Chunk.data
	// ReadResponse, QueryResult, TimeSeries and Sample (the sampled answer).
	fieldResults         = 1 // ReadResponse.results
	fieldTimeseries      = 1 // QueryResult.timeseries
	fieldSamples         = 2 // TimeSeries.samples
	fieldSampleValue     = 1 // Sample.value (double)
	fieldSampleTimestamp = 2 // Sample.timestamp (int64)
)

func (w *frameWalker) frame(b []byte) error {
	// The index follows the series in prompb's encoding: found first.
	w.query = 0
	err := fields(b, func(num protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
		if num == fieldQueryIndex && typ == protowire.VarintType {
			w.query = int64(x)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if w.queries > 0 && (w.query < 0 || w.query >= int64(w.queries)) {
		return fmt.Errorf("query index %d of %d queries", w.query, w.queries)
	}
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != fieldChunkedSeries || typ != protowire.BytesType {
			return nil
		}
		return w.chunkedSeries(v)
	})
}

// chunkedSeries hands over the labels, then the chunks: prompb writes the
// labels first, but protobuf allows any order, so the chunks are found in
// a second pass.
func (w *frameWalker) chunkedSeries(b []byte) error {
	w.labels = w.labels[:0]
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != fieldLabels || typ != protowire.BytesType {
			return nil
		}
		l, err := label(v)
		w.labels = append(w.labels, l)
		return err
	})
	if err != nil {
		return err
	}
	w.series(w.labels)
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != fieldChunks || typ != protowire.BytesType {
			return nil
		}
		var ct uint64
		var data []byte
		err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
			switch {
			case num == fieldChunkType && typ == protowire.VarintType:
				ct = x
			case num == fieldChunkData && typ == protowire.BytesType:
				data = v
			}
			return nil
		})
		if err != nil {
			return err
		}
		return w.chunk(ct, data)
	})
}

// fields calls each for every field of the message b, in order, with its
// bytes (length-delimited fields) or its value (varints, and fixed64s as
// their bits); a field that
// occurs more than once is handed over each time, so a caller that
// assigns it keeps the last, as protobuf's own decoding does.
func fields(b []byte, each func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := each(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

const minInt64 = -1 << 63

func sameLabels(a, b []rawLabel) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].name, b[i].name) || !bytes.Equal(a[i].value, b[i].value) {
			return false
		}
	}
	return true
}

// labelsText is a series' labels for an error message.
func labelsText(ls []rawLabel) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", l.name, l.value)
	}
	b.WriteByte('}')
	return b.String()
}

func trimRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
