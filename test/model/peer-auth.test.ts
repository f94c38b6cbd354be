// PeerAuthentication: checkObject reports bad input at its field path, the builder puts policies into the model (and
// keeps the same list while nothing changes), and `inboundMtls` applies Istio's nesting: workload over namespace over
// mesh (the root namespace), UNSET inheriting, PERMISSIVE by default, the oldest policy of a level winning, and
// port-level modes only on workload policies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel, checkObject, createModelBuilder, inboundMtls, type PeerAuthentication } from '../../src/model/index.ts';
import { source } from './fixtures.ts';

type Json = Record<string, unknown>;

function policy(namespace: string, name: string, spec: Json | undefined, metadata: Json = {}): Json {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace, ...metadata }, ...(spec ? { spec } : {}) };
}

function fields(object: Json): string[] {
  return checkObject(object, { source: 'files', file: 'pa.yaml' }).problems.filter((p) => p.severity === 'error').map((p) => p.origin.field ?? '');
}

function built(...objects: Json[]): readonly PeerAuthentication[] {
  return buildModel(objects.map((o) => source(o))).model.peerAuthentications;
}

test('checkObject accepts a full PeerAuthentication and an empty one', () => {
  const full = policy('pay', 'ledger', { selector: { matchLabels: { app: 'ledger' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } });
  assert.deepEqual(fields(full), []);
  assert.deepEqual(fields(policy('pay', 'default', undefined)), []);
});

test('checkObject names the field of every bad mode, port key, selector and version', () => {
  assert.deepEqual(fields(policy('pay', 'a', { mtls: { mode: 'strict' } })), ['spec.mtls.mode']);
  assert.deepEqual(fields(policy('pay', 'b', { selector: { matchLabels: { app: 7 } }, portLevelMtls: { http: { mode: 'STRICT' }, '70000': { mode: 'STRICT' }, '80': 'STRICT' } })).sort(), [
    'spec.portLevelMtls.70000',
    'spec.portLevelMtls.80',
    'spec.portLevelMtls.http',
    'spec.selector.matchLabels.app',
  ]);
  assert.deepEqual(fields({ ...policy('pay', 'c', {}), apiVersion: 'networking.istio.io/v1' }), ['apiVersion']);
});

test('port-level modes without a selector are kept but warned about, as Istio ignores them', () => {
  const problems = checkObject(policy('pay', 'd', { portLevelMtls: { '80': { mode: 'STRICT' } } }), {}).problems;
  assert.deepEqual(problems.map((p) => [p.severity, p.origin.field]), [['warning', 'spec.portLevelMtls']]);
});

test('the model holds every policy, sorted, with selector, mode and port modes read', () => {
  const policies = built(
    policy('pay', 'ledger', { selector: { matchLabels: { app: 'ledger' } }, portLevelMtls: { '8443': { mode: 'STRICT' } } }),
    policy('istio-system', 'default', { mtls: { mode: 'STRICT' } }),
    policy('pay', 'empty-selector', { selector: { matchLabels: {} }, mtls: { mode: 'DISABLE' } }),
  );
  assert.deepEqual(
    policies.map((p) => [p.namespace, p.name, p.selector, p.mode, p.portModes]),
    [
      ['istio-system', 'default', undefined, 'STRICT', {}],
      ['pay', 'empty-selector', undefined, 'DISABLE', {}],
      ['pay', 'ledger', { app: 'ledger' }, 'UNSET', { '8443': 'STRICT' }],
    ],
  );
});

test('an incremental update keeps the same policy list while the policies stay the same, and a new one when they change', () => {
  const builder = createModelBuilder();
  const objects = [source(policy('pay', 'default', { mtls: { mode: 'STRICT' } }))];
  const first = builder.update(objects).model;
  const again = builder.update([source(policy('pay', 'default', { mtls: { mode: 'STRICT' } }))]).model;
  assert.equal(again.peerAuthentications, first.peerAuthentications);
  const changed = builder.update([source(policy('pay', 'default', { mtls: { mode: 'PERMISSIVE' } }))]).model;
  assert.equal(changed.peerAuthentications[0]?.mode, 'PERMISSIVE');
  assert.deepEqual(changed, buildModel([source(policy('pay', 'default', { mtls: { mode: 'PERMISSIVE' } }))]).model);
});

test('with no policy the mode is PERMISSIVE', () => {
  assert.deepEqual(inboundMtls([], 'istio-system', 'pay', {}), { mode: 'PERMISSIVE', ports: [] });
});

test('workload over namespace over mesh, UNSET inheriting from the level above', () => {
  const policies = built(
    policy('istio-system', 'default', { mtls: { mode: 'STRICT' } }),
    policy('pay', 'default', { mtls: { mode: 'DISABLE' } }),
    policy('pay', 'ledger', { selector: { matchLabels: { app: 'ledger' } }, mtls: { mode: 'PERMISSIVE' } }),
    policy('pay', 'unset', { selector: { matchLabels: { app: 'archive' } }, mtls: { mode: 'UNSET' } }),
  );
  assert.equal(inboundMtls(policies, 'istio-system', 'shop', { app: 'ledger' }).mode, 'STRICT', 'mesh-wide only, in another namespace');
  assert.equal(inboundMtls(policies, 'istio-system', 'pay', { app: 'web' }).mode, 'DISABLE', 'the namespace policy');
  assert.equal(inboundMtls(policies, 'istio-system', 'pay', { app: 'ledger' }).mode, 'PERMISSIVE', 'the workload policy');
  assert.equal(inboundMtls(policies, 'istio-system', 'pay', { app: 'archive' }).mode, 'DISABLE', 'UNSET inherits the namespace');
  assert.equal(inboundMtls(policies, 'mesh-root', 'shop', {}).mode, 'PERMISSIVE', 'another root namespace: no mesh policy');
});

test('a selector policy in the root namespace is a workload policy there, never mesh-wide', () => {
  const policies = built(policy('istio-system', 'gw', { selector: { matchLabels: { app: 'gw' } }, mtls: { mode: 'STRICT' } }));
  assert.equal(inboundMtls(policies, 'istio-system', 'pay', { app: 'gw' }).mode, 'PERMISSIVE');
  assert.equal(inboundMtls(policies, 'istio-system', 'istio-system', { app: 'gw' }).mode, 'STRICT');
});

test('among policies of one level the oldest wins, then the first by name', () => {
  const policies = built(
    policy('pay', 'b-new', { mtls: { mode: 'STRICT' } }, { creationTimestamp: '2026-01-02T00:00:00Z' }),
    policy('pay', 'c-old', { mtls: { mode: 'DISABLE' } }, { creationTimestamp: '2026-01-01T00:00:00Z' }),
    policy('pay', 'a-undated', { mtls: { mode: 'PERMISSIVE' } }),
  );
  assert.equal(inboundMtls(policies, 'istio-system', 'pay', {}).mode, 'DISABLE');
});

test('port-level modes apply on workload policies, only where they differ from the workload mode', () => {
  const policies = built(
    policy('istio-system', 'default', { mtls: { mode: 'STRICT' } }),
    policy('pay', 'ledger', { selector: { matchLabels: { app: 'ledger' } }, portLevelMtls: { '8080': { mode: 'PERMISSIVE' }, '9090': { mode: 'STRICT' }, '9100': { mode: 'UNSET' } } }),
    policy('pay', 'default', { portLevelMtls: { '7000': { mode: 'DISABLE' } } }),
  );
  assert.deepEqual(inboundMtls(policies, 'istio-system', 'pay', { app: 'ledger' }), { mode: 'STRICT', ports: [{ port: 8080, mode: 'PERMISSIVE' }] });
  assert.deepEqual(inboundMtls(policies, 'istio-system', 'pay', { app: 'web' }), { mode: 'STRICT', ports: [] }, 'namespace port modes are ignored');
});
