package promapi

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/prompb"
	"google.golang.org/protobuf/encoding/protowire"
)

// walked is what frameWalker hands over of a frame, in prompb's shape.
func walked(b []byte) ([]prompb.ChunkedSeries, error) {
	var out []prompb.ChunkedSeries
	w := frameWalker{
		series: func(ls []rawLabel) {
			s := prompb.ChunkedSeries{}
			for _, l := range ls {
				s.Labels = append(s.Labels, prompb.Label{Name: string(l.name), Value: string(l.value)})
			}
			out = append(out, s)
		},
		chunk: func(typ uint64, data []byte) error {
			s := &out[len(out)-1]
			s.Chunks = append(s.Chunks, prompb.Chunk{Type: prompb.Chunk_Encoding(typ), Data: append([]byte{}, data...)})
			return nil
		},
	}
	return out, w.frame(b)
}

// unmarshalled is prompb's decoding of a frame, without what frameWalker
// does not read (the chunks' time range, the query index, the unknown
// fields gogo keeps).
func unmarshalled(b []byte) ([]prompb.ChunkedSeries, error) {
	var r prompb.ChunkedReadResponse
	if err := r.Unmarshal(b); err != nil {
		return nil, err
	}
	out := []prompb.ChunkedSeries{}
	for _, s := range r.ChunkedSeries {
		c := prompb.ChunkedSeries{}
		for _, l := range s.Labels {
			c.Labels = append(c.Labels, prompb.Label{Name: l.Name, Value: l.Value})
		}
		for _, ch := range s.Chunks {
			if ch.Data == nil {
				ch.Data = []byte{}
			}
			c.Chunks = append(c.Chunks, prompb.Chunk{Type: ch.Type, Data: ch.Data})
		}
		out = append(out, c)
	}
	return out, nil
}

// sameWalk: where prompb reads a frame, the walker reads the same or
// refuses it with protowire's error (it is strict where gogo's skipper of
// unknown fields is lenient: field numbers out of range, overlong
// varints, unmatched group ends; Prometheus writes none of them). strict:
// the frame is well-formed, the walker must read it.
func sameWalk(t *testing.T, b []byte, strict bool) {
	t.Helper()
	want, err := unmarshalled(b)
	if err != nil {
		return // prompb refuses it: the walker may read or refuse it
	}
	got, err := walked(b)
	// "proto:" then a space or, as the protobuf module randomly picks per
	// binary to keep callers from matching its messages, a no-break space.
	if err != nil && !strict && strings.HasPrefix(err.Error(), "proto:") {
		return
	}
	if err != nil {
		t.Fatalf("walker: %v; prompb read %v", err, want)
	}
	if got == nil {
		got = []prompb.ChunkedSeries{}
	}
	for i := range got {
		for j := range got[i].Chunks {
			if got[i].Chunks[j].Data == nil {
				got[i].Chunks[j].Data = []byte{}
			}
		}
	}
	if !reflect.DeepEqual(fmt.Sprint(got), fmt.Sprint(want)) {
		t.Errorf("walker %v\nprompb %v", got, want)
	}
}

// frameSeeds are frames as Prometheus writes them and as protobuf allows
// them: fields in another order, repeated scalar fields (the last wins),
// unknown fields of every wire type.
func frameSeeds(t testing.TB) [][]byte {
	marshal := func(r *prompb.ChunkedReadResponse) []byte {
		b, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	two := &prompb.ChunkedReadResponse{QueryIndex: 3, ChunkedSeries: []*prompb.ChunkedSeries{
		{Labels: lbls("__name__", "line_up", "line", "line-001"), Chunks: []prompb.Chunk{
			{MinTimeMs: 1, MaxTimeMs: 2, Type: prompb.Chunk_XOR, Data: []byte{0, 1, 2}},
			{MinTimeMs: 3, MaxTimeMs: 4, Type: prompb.Chunk_XOR, Data: []byte{3}},
		}},
		{Labels: lbls("__name__", "line_up", "line", "line-002")},
		{Chunks: []prompb.Chunk{{Type: prompb.Chunk_HISTOGRAM, Data: []byte{9}}}},
	}}
	var label, chunk, series, reordered []byte
	label = protowire.AppendTag(label, fieldLabelValue, protowire.BytesType)
	label = protowire.AppendString(label, "v")
	label = protowire.AppendTag(label, fieldLabelName, protowire.BytesType)
	label = protowire.AppendString(label, "n")
	label = protowire.AppendTag(label, fieldLabelName, protowire.BytesType)
	label = protowire.AppendString(label, "name") // the last wins
	chunk = protowire.AppendTag(chunk, fieldChunkData, protowire.BytesType)
	chunk = protowire.AppendBytes(chunk, []byte{7, 7})
	chunk = protowire.AppendTag(chunk, 9, protowire.Fixed32Type) // unknown
	chunk = protowire.AppendFixed32(chunk, 5)
	chunk = protowire.AppendTag(chunk, fieldChunkType, protowire.VarintType)
	chunk = protowire.AppendVarint(chunk, uint64(prompb.Chunk_XOR))
	chunk = protowire.AppendTag(chunk, 10, protowire.Fixed64Type) // unknown
	chunk = protowire.AppendFixed64(chunk, 5)
	series = protowire.AppendTag(series, fieldChunks, protowire.BytesType) // chunks before labels
	series = protowire.AppendBytes(series, chunk)
	series = protowire.AppendTag(series, fieldLabels, protowire.BytesType)
	series = protowire.AppendBytes(series, label)
	series = protowire.AppendTag(series, 7, protowire.BytesType) // unknown
	series = protowire.AppendString(series, "x")
	reordered = protowire.AppendTag(reordered, 2, protowire.VarintType) // query index first
	reordered = protowire.AppendVarint(reordered, 1)
	reordered = protowire.AppendTag(reordered, fieldChunkedSeries, protowire.BytesType)
	reordered = protowire.AppendBytes(reordered, series)
	return [][]byte{nil, marshal(two), reordered, marshal(&prompb.ChunkedReadResponse{})}
}

// TestFrameWalker: frameWalker reads every frame as prompb's Unmarshal
// does (labels, chunk encodings and data, series by series), and refuses
// a truncated one.
func TestFrameWalker(t *testing.T) {
	for i, b := range frameSeeds(t) {
		t.Run(strconv.Itoa(i), func(t *testing.T) { sameWalk(t, b, true) })
	}
	b := frameSeeds(t)[1]
	for _, n := range []int{1, 5, len(b) - 1} {
		if _, err := walked(b[:n]); err == nil {
			t.Errorf("frame cut at %d of %d bytes read without an error", n, len(b))
		}
	}
}

// FuzzFrameWalker: on any frame prompb's Unmarshal reads, frameWalker
// reads the same or refuses it as malformed (sameWalk).
func FuzzFrameWalker(f *testing.F) {
	for _, b := range frameSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { sameWalk(t, b, false) })
}
