package promapi

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/tsdb/chunkenc"

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
// samples go (unix ms, value) in time order. It returns the number of
// series.
//
// read is false, with no error, when the backend offers no streamed remote
// read (VictoriaMetrics, a proxy that allows only the query API, any answer
// that is not a streamed one: the client remembers it), or answers this
// read with a server error or 429 (this read only): the caller takes the
// query API, dropping what series received. Answers over
// MaxAnswerBytes and timeouts are errors, as for Query.
func (c *Client) RemoteRead(ctx context.Context, selector string, from, to time.Time, series func(labels map[string]string) func(t int64, v float64)) (n int, read bool, err error) {
	if c.NoRemoteRead || c.noRemoteRead.Load() {
		return 0, false, nil
	}
	ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector(selector)
	if err != nil {
		return 0, false, report.Errorf(report.ErrBadRequest, "remote read: selector %q: %v", selector, err)
	}
	q := &prompb.Query{StartTimestampMs: from.UnixMilli(), EndTimestampMs: to.UnixMilli()}
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
	req := &prompb.ReadRequest{Queries: []*prompb.Query{q}, AcceptedResponseTypes: []prompb.ReadRequest_ResponseType{prompb.ReadRequest_STREAMED_XOR_CHUNKS}}
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
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return errRemoteReadBusy // this read only: the query API answers it
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != streamedContentType {
			return errNoRemoteRead
		}
		lr := &limitedReader{r: resp.Body, left: c.maxAnswer()}
		var err error
		n, err = readChunked(bufio.NewReaderSize(lr, 64<<10), c.maxAnswer(), series)
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

// readChunked decodes a streamed remote-read answer: frames of
// uvarint(size), CRC-32C (big endian) and a ChunkedReadResponse; a series
// whose chunks span frames comes in consecutive frames with the same
// labels.
func readChunked(r *bufio.Reader, answerLimit int64, series func(map[string]string) func(int64, float64)) (int, error) {
	var (
		n       int
		last    []prompb.Label
		add     func(int64, float64)
		buf     []byte
		it      chunkenc.Iterator
		resp    prompb.ChunkedReadResponse
		lastMax int64
	)
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
		resp.Reset()
		if err := resp.Unmarshal(buf); err != nil {
			return n, fmt.Errorf("frame: %w", err)
		}
		for _, s := range resp.ChunkedSeries {
			if add == nil || !sameLabels(last, s.Labels) {
				l := make(map[string]string, len(s.Labels))
				for _, lb := range s.Labels {
					l[lb.Name] = lb.Value
				}
				add = series(l)
				last = append(last[:0], s.Labels...)
				lastMax = minInt64
				n++
			}
			for _, ch := range s.Chunks {
				if ch.Type != prompb.Chunk_XOR {
					return n, fmt.Errorf("series %v: chunk encoding %v (only float samples are read)", s.Labels, ch.Type)
				}
				c, err := chunkenc.FromData(chunkenc.EncXOR, ch.Data)
				if err != nil {
					return n, fmt.Errorf("series %v: %w", s.Labels, err)
				}
				it = c.Iterator(it)
				for it.Next() == chunkenc.ValFloat {
					t, v := it.At()
					if value.IsStaleNaN(v) {
						continue
					}
					if t <= lastMax { // overlapping chunks: time order is the contract
						return n, fmt.Errorf("series %v: sample at %d after %d", s.Labels, t, lastMax)
					}
					lastMax = t
					add(t, v)
				}
				if err := it.Err(); err != nil {
					return n, fmt.Errorf("series %v: %w", s.Labels, err)
				}
			}
		}
	}
}

const minInt64 = -1 << 63

func sameLabels(a, b []prompb.Label) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Value != b[i].Value {
			return false
		}
	}
	return true
}

func trimRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
