// The go-control-plane peer of `npm run bench -- --peer go-control-plane`: loads the snapshots biplane's bench wrote,
// serves them over ADS (SotW and delta) from go-control-plane's own SnapshotCache and server, and on stdin commands
// applies one step's snapshots to every node and reports when all of them ACKed, or its own heap.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
)

func emit(event map[string]any) {
	line, _ := json.Marshal(event)
	fmt.Println(string(line))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "go-control-plane peer: %v\n", err)
	os.Exit(1)
}

// peer holds the loaded steps, the cache and what each node currently has.
type peer struct {
	steps   []map[string]*cache.Snapshot
	cache   cache.SnapshotCache
	tracker *tracker
	current map[string]*cache.Snapshot
}

// step sets step i's snapshot on every node and waits until each node ACKed every type whose version changed.
func (p *peer) step(i int, timeout time.Duration) map[string]any {
	if i < 0 || i >= len(p.steps) {
		return map[string]any{"evt": "error", "message": fmt.Sprintf("no step %d", i)}
	}
	owed := map[string]map[string]string{}
	for node, snap := range p.steps[i] {
		if diff := changedTypes(snap, p.current[node]); len(diff) > 0 {
			owed[node] = diff
		}
	}
	affected := len(owed) // the tracker deletes from owed as ACKs arrive
	done := p.tracker.expect(owed)
	ctx := context.Background()
	for node, snap := range p.steps[i] {
		if err := p.cache.SetSnapshot(ctx, node, snap); err != nil {
			return map[string]any{"evt": "error", "message": err.Error()}
		}
		p.current[node] = snap
	}
	select {
	case <-done:
	case <-time.After(timeout):
		return map[string]any{"evt": "error", "message": fmt.Sprintf("step %d: %d nodes had not ACKed after %s", i, p.tracker.owing(), timeout)}
	}
	latencies, total := p.tracker.result()
	return map[string]any{"evt": "step", "step": i, "affected": affected, "ms": total, "latencies": latencies}
}

// reset forgets every node's snapshot and status, so the next step 0 is a full push again.
func (p *peer) reset() {
	for node := range p.current {
		p.cache.ClearSnapshot(node)
	}
	p.current = map[string]*cache.Snapshot{}
}

// heap reports the Go heap after two full collections.
func heap() map[string]any {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return map[string]any{"evt": "heap", "heapAlloc": m.HeapAlloc, "heapInuse": m.HeapInuse, "sys": m.Sys, "goroutines": runtime.NumGoroutine()}
}

func (p *peer) command(line string) map[string]any {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return nil
	}
	switch fields[0] {
	case "ready":
		return map[string]any{"evt": "ready", "streams": p.tracker.ready()}
	case "step":
		i, err := strconv.Atoi(fields[len(fields)-1])
		if err != nil || len(fields) != 2 {
			return map[string]any{"evt": "error", "message": "usage: step N"}
		}
		return p.step(i, 10*time.Minute)
	case "reset":
		p.reset()
		return map[string]any{"evt": "reset"}
	case "heap":
		return heap()
	}
	return map[string]any{"evt": "error", "message": "unknown command " + fields[0]}
}

func main() {
	file := flag.String("snapshots", "", "the snapshot file the bench wrote (JSON lines)")
	listen := flag.String("listen", "127.0.0.1:0", "address to serve ADS on")
	flag.Parse()
	steps, resources, err := load(*file)
	if err != nil {
		fail(err)
	}
	t := newTracker()
	p := &peer{steps: steps, cache: cache.NewSnapshotCache(true, cache.IDHash{}, nil), tracker: t, current: map[string]*cache.Snapshot{}}
	grpcServer := grpc.NewServer(grpc.MaxRecvMsgSize(16 << 20))
	discovery.RegisterAggregatedDiscoveryServiceServer(grpcServer, server.NewServer(context.Background(), p.cache, t.callbacks()))
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		fail(err)
	}
	go func() { _ = grpcServer.Serve(lis) }()
	emit(map[string]any{"evt": "listening", "port": lis.Addr().(*net.TCPAddr).Port, "steps": len(steps), "resources": resources})
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if out := p.command(in.Text()); out != nil {
			emit(out)
		}
	}
	grpcServer.Stop()
}
