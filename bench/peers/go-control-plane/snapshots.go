package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"

	// The four resource types the bench serves, registered so their type URLs resolve.
	_ "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// record is one line of the snapshot file: a resource, a snapshot (resource ids per type), or a step (node → snapshot).
type record struct {
	Kind    string            `json:"kind"`
	ID      string            `json:"id"`
	TypeURL string            `json:"typeUrl"`
	Name    string            `json:"name"`
	Bytes   []byte            `json:"bytes"`
	Types   []snapshotType    `json:"types"`
	Step    int               `json:"step"`
	Nodes   map[string]string `json:"nodes"`
}

type snapshotType struct {
	TypeURL   string   `json:"typeUrl"`
	Version   string   `json:"version"`
	Resources []string `json:"resources"`
}

// decode unmarshals resource bytes into the Go message its type URL names.
func decode(typeURL string, bytes []byte) (types.Resource, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(typeURL)
	if err != nil {
		return nil, err
	}
	msg := mt.New().Interface()
	if err := proto.Unmarshal(bytes, msg); err != nil {
		return nil, err
	}
	return msg, nil
}

// buildSnapshot makes a go-control-plane snapshot with biplane's version per type.
func buildSnapshot(rec record, byID map[string]types.Resource) (*cache.Snapshot, error) {
	snap := &cache.Snapshot{}
	for _, t := range rec.Types {
		items := make([]types.Resource, 0, len(t.Resources))
		for _, id := range t.Resources {
			r, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("snapshot %s: no resource %s", rec.ID, id)
			}
			items = append(items, r)
		}
		index := cache.GetResponseType(t.TypeURL)
		if index == types.UnknownType {
			return nil, fmt.Errorf("snapshot %s: unknown type %s", rec.ID, t.TypeURL)
		}
		snap.Resources[index] = cache.NewResources(t.Version, items)
	}
	// Delta streams need each resource's hash; computed here, before any clock runs, as biplane hashes at encode time.
	if err := snap.ConstructVersionMap(); err != nil {
		return nil, err
	}
	return snap, nil
}

// load reads the snapshot file into one node → snapshot map per step; also returns the distinct resource count.
func load(path string) ([]map[string]*cache.Snapshot, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	byID := map[string]types.Resource{}
	snaps := map[string]*cache.Snapshot{}
	var steps []map[string]*cache.Snapshot
	in := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			var rec record
			if jerr := json.Unmarshal(line, &rec); jerr != nil {
				return nil, 0, fmt.Errorf("%s:%d: %w", path, n, jerr)
			}
			if lerr := apply(rec, byID, snaps, &steps); lerr != nil {
				return nil, 0, fmt.Errorf("%s:%d: %w", path, n, lerr)
			}
		}
		if err == io.EOF {
			return steps, len(byID), nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

func apply(rec record, byID map[string]types.Resource, snaps map[string]*cache.Snapshot, steps *[]map[string]*cache.Snapshot) error {
	switch rec.Kind {
	case "resource":
		msg, err := decode(rec.TypeURL, rec.Bytes)
		if err != nil {
			return fmt.Errorf("resource %s %q: %w", rec.TypeURL, rec.Name, err)
		}
		if got := cache.GetResourceName(msg); got != rec.Name {
			return fmt.Errorf("resource %s: named %q in the file, %q in its bytes", rec.TypeURL, rec.Name, got)
		}
		byID[rec.ID] = msg
	case "snapshot":
		snap, err := buildSnapshot(rec, byID)
		if err != nil {
			return err
		}
		snaps[rec.ID] = snap
	case "step":
		if rec.Step != len(*steps) {
			return fmt.Errorf("step %d out of order (expected %d)", rec.Step, len(*steps))
		}
		nodes := make(map[string]*cache.Snapshot, len(rec.Nodes))
		for node, id := range rec.Nodes {
			snap, ok := snaps[id]
			if !ok {
				return fmt.Errorf("step %d: node %s names unknown snapshot %s", rec.Step, node, id)
			}
			nodes[node] = snap
		}
		*steps = append(*steps, nodes)
	default:
		return fmt.Errorf("unknown record kind %q", rec.Kind)
	}
	return nil
}

// changedTypes is type URL → version of every type of next whose version differs from before's.
func changedTypes(next, before *cache.Snapshot) map[string]string {
	out := map[string]string{}
	for i, res := range next.Resources {
		url, err := cache.GetResponseTypeURL(types.ResponseType(i))
		if err != nil || (res.Version == "" && len(res.Items) == 0) {
			continue
		}
		if before == nil || before.Resources[i].Version != res.Version {
			out[url] = res.Version
		}
	}
	return out
}
