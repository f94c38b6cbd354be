// Every printed form is canonical proto3 JSON: an independent, conformant parser (@bufbuild/protobuf) reads each
// golden resource and each config dump back to the same bytes as our own encoding of the same resource.
// Our wire bytes may carry explicitly set defaults (protobufjs encodes them), which proto3 JSON cannot show; so our
// bytes are compared in bufbuild's canonical re-encoding, which drops exactly those.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { configDump, RESOURCE_TYPES } from '../../src/translate/render.ts';
import { encodeMessage, fromProto3Json, makeResource, makeSnapshot, snapshotConfigDump as serverDump, toProto3Json } from '../../src/xds/index.ts';
import { conformantBytes, conformantJson } from '../support/conformant-json.ts';
import { GOLDEN_ROOT as ROOT, goldenCases, translateCase } from './golden-cases.ts';

const DUMP = 'envoy.admin.v3.ConfigDump';
const KINDS = Object.keys(RESOURCE_TYPES) as (keyof typeof RESOURCE_TYPES)[];
const cases = goldenCases();

const resourcesOf = translateCase;

/** `json` read by bufbuild and by our parser gives the same bytes, and printing those gives `json` back. */
function assertCanonical(typeName: string, json: unknown, label: string): Uint8Array {
  const theirs = Buffer.from(conformantBytes(typeName, json));
  assert.deepEqual(Buffer.from(fromProto3Json(typeName, json as never)), theirs, `${label}: our parser and bufbuild's agree`);
  assert.deepEqual(toProto3Json(typeName, theirs), json, `${label}: printing bufbuild's bytes gives the same JSON`);
  return theirs;
}

for (const name of cases) {
  test(`every resource of golden ${name} is proto3 JSON that bufbuild reads back to our bytes`, async () => {
    const resources = await resourcesOf(name);
    let count = 0;
    for (const kind of KINDS) {
      const url = RESOURCE_TYPES[kind];
      const golden = JSON.parse(readFileSync(path.join(ROOT, name, `${kind}.json`), 'utf8')) as unknown[];
      assert.equal(golden.length, resources[kind].length, `${name}/${kind}.json has one entry per resource`);
      resources[kind].forEach((resource, i) => {
        const label = `${name}/${kind}.json[${i}]`;
        const ours = encodeMessage(url, resource);
        const canonicalOurs = Buffer.from(conformantBytes(url, conformantJson(url, ours)));
        assert.deepEqual(assertCanonical(url, golden[i], label), canonicalOurs, `${label}: bufbuild reads the golden to our bytes`);
        assert.deepEqual(golden[i], conformantJson(url, ours), `${label}: bufbuild prints our bytes as the golden`);
        count++;
      });
    }
    assert.ok(count > 0);
  });
}

test('translate --output config-dump is a ConfigDump bufbuild reads back, every resource inside it too', async () => {
  const resources = await resourcesOf('per-family-dual');
  const dump = configDump(resources) as { configs: Record<string, unknown>[] };
  assertCanonical(DUMP, dump, 'config dump');
  const listeners = dump.configs[1]?.['dynamic_listeners'] as { name: string; active_state: { listener: Record<string, unknown> } }[];
  assert.deepEqual(listeners.map((l) => l.name), resources.listeners.map((l) => l.name));
  listeners.forEach((l, i) => {
    const url = RESOURCE_TYPES.listeners;
    const { '@type': type, ...fields } = l.active_state.listener;
    assert.equal(type, url);
    assert.deepEqual(fields, conformantJson(url, encodeMessage(url, resources.listeners[i]!)));
  });
});

test('the server /debug/config_dump is a ConfigDump bufbuild reads back, with RFC 3339 update times', async () => {
  const resources = await resourcesOf('client-dual-ipv6-primary');
  const snapshot = makeSnapshot(KINDS.flatMap((k) => resources[k].map((r) => makeResource(RESOURCE_TYPES[k], r as never))));
  const at = new Date('2024-05-06T07:08:09.250Z');
  const dump = serverDump(snapshot, at);
  assertCanonical(DUMP, dump, 'server config dump');
  const clusters = dump.configs[0]?.['dynamic_active_clusters'] as { version_info: string; last_updated: string; cluster: object }[];
  assert.equal(clusters.length, resources.clusters.length);
  assert.equal(clusters[0]?.last_updated, '2024-05-06T07:08:09.250Z');
  assert.equal(clusters[0]?.version_info, snapshot.types.get(RESOURCE_TYPES.clusters)?.version);
  const endpoints = dump.configs[3]?.['dynamic_endpoint_configs'] as { endpoint_config: Record<string, unknown> }[];
  const sent = [...(snapshot.types.get(RESOURCE_TYPES.endpoints)?.resources.values() ?? [])];
  assert.equal(endpoints.length, sent.length);
  endpoints.forEach((e, i) => {
    const { '@type': _, ...fields } = e.endpoint_config;
    assert.deepEqual(fields, conformantJson(RESOURCE_TYPES.endpoints, sent[i]!.bytes), 'each resource is printed from the exact bytes sent');
  });
});
