package main

import (
	"context"
	"sort"
	"sync"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
)

// streamKey names a stream: SotW and delta streams are numbered separately by go-control-plane.
type streamKey struct {
	delta bool
	id    int64
}

type sent struct {
	typeURL string
	version string
}

// tracker follows every stream through go-control-plane's callbacks: which node it is, which types it asked for,
// which version each nonce carried, and so when a node has ACKed every version it is owed.
type tracker struct {
	mu        sync.Mutex
	nodeOf    map[streamKey]string
	types     map[streamKey]map[string]bool
	nonces    map[streamKey]map[string]sent
	owed      map[string]map[string]string
	started   time.Time
	latencies []float64
	last      float64
	done      chan struct{}
}

func newTracker() *tracker {
	return &tracker{nodeOf: map[streamKey]string{}, types: map[streamKey]map[string]bool{}, nonces: map[streamKey]map[string]sent{}, owed: map[string]map[string]string{}}
}

// expect starts a step: the clock, and node → type URL → version still owed. The channel closes when nothing is owed.
func (t *tracker) expect(owed map[string]map[string]string) chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.owed, t.latencies, t.last, t.started = owed, nil, 0, time.Now()
	t.done = make(chan struct{})
	if len(owed) == 0 {
		close(t.done)
	}
	return t.done
}

func (t *tracker) owing() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.owed)
}

// result is each affected node's time to its last ACK (ms, sorted) and the time to the last one.
func (t *tracker) result() ([]float64, float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]float64(nil), t.latencies...)
	sort.Float64s(out)
	return out, t.last
}

// ready counts streams that know their node and asked for all four types.
func (t *tracker) ready() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for key, types := range t.types {
		if len(types) >= 4 && t.nodeOf[key] != "" {
			n++
		}
	}
	return n
}

func (t *tracker) request(key streamKey, node *core.Node, typeURL, nonce string, nacked bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if node.GetId() != "" {
		t.nodeOf[key] = node.GetId()
	}
	if t.types[key] == nil {
		t.types[key] = map[string]bool{}
	}
	t.types[key][typeURL] = true
	if nonce == "" {
		return
	}
	s, ok := t.nonces[key][nonce]
	if !ok {
		return
	}
	delete(t.nonces[key], nonce)
	id := t.nodeOf[key]
	owed := t.owed[id]
	if nacked || owed == nil || owed[s.typeURL] != s.version {
		return
	}
	delete(owed, s.typeURL)
	if len(owed) > 0 {
		return
	}
	delete(t.owed, id)
	ms := float64(time.Since(t.started).Microseconds()) / 1000
	t.latencies = append(t.latencies, ms)
	t.last = ms
	if len(t.owed) == 0 {
		close(t.done)
	}
}

func (t *tracker) response(key streamKey, nonce, typeURL, version string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.nonces[key] == nil {
		t.nonces[key] = map[string]sent{}
	}
	t.nonces[key][nonce] = sent{typeURL: typeURL, version: version}
}

func (t *tracker) closed(key streamKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.nodeOf, key)
	delete(t.types, key)
	delete(t.nonces, key)
}

// callbacks wires the tracker into go-control-plane's server.
func (t *tracker) callbacks() server.Callbacks {
	return server.CallbackFuncs{
		StreamRequestFunc: func(id int64, r *discovery.DiscoveryRequest) error {
			t.request(streamKey{false, id}, r.GetNode(), r.GetTypeUrl(), r.GetResponseNonce(), r.GetErrorDetail() != nil)
			return nil
		},
		StreamResponseFunc: func(_ context.Context, id int64, _ *discovery.DiscoveryRequest, r *discovery.DiscoveryResponse) {
			t.response(streamKey{false, id}, r.GetNonce(), r.GetTypeUrl(), r.GetVersionInfo())
		},
		StreamClosedFunc: func(id int64, _ *core.Node) { t.closed(streamKey{false, id}) },
		StreamDeltaRequestFunc: func(id int64, r *discovery.DeltaDiscoveryRequest) error {
			t.request(streamKey{true, id}, r.GetNode(), r.GetTypeUrl(), r.GetResponseNonce(), r.GetErrorDetail() != nil)
			return nil
		},
		StreamDeltaResponseFunc: func(id int64, _ *discovery.DeltaDiscoveryRequest, r *discovery.DeltaDiscoveryResponse) {
			t.response(streamKey{true, id}, r.GetNonce(), r.GetTypeUrl(), r.GetSystemVersionInfo())
		},
		DeltaStreamClosedFunc: func(id int64, _ *core.Node) { t.closed(streamKey{true, id}) },
	}
}
