// Who may stream which node on the TLS port: the caller's identity (certificate or token, src/trust/authenticator.ts)
// must be the workload the node claims. Its namespace (every namespace the node names) must be the identity's, and
// when the model knows the pod, the pod's service account must be the identity's too. A refusal ends the stream with
// PERMISSION_DENIED before anything is built for the node, and an allowed stream is judged again on every new model.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { claimedWorkload } from '../model/index.ts';
import type { MeshModel, ProxyNode } from '../model/index.ts';
import { callCredentials } from '../trust/authenticator.ts';
import { AuthError, spiffeUri } from '../trust/identity.ts';
import type { Authenticator, WorkloadIdentity } from '../trust/identity.ts';
import type { AuthorizeHook, XdsServer } from '../xds/index.ts';

/** Why `identity` may not claim `node`, or undefined when it may. */
export function nodeDenial(identity: WorkloadIdentity, node: ProxyNode, model: MeshModel | undefined): string | undefined {
  const claimed = claimedWorkload(node);
  const who = spiffeUri(identity);
  const foreign = claimed.namespaces.find((ns) => ns !== identity.namespace);
  if (foreign !== undefined) return `${who} may not stream node ${JSON.stringify(node.id)}: it claims namespace ${foreign}, the identity is of namespace ${identity.namespace}`;
  const pod = claimed.pod ? model?.pods.find((p) => p.namespace === claimed.namespace && p.name === claimed.pod) : undefined;
  if (pod && pod.serviceAccount !== identity.serviceAccount) {
    return `${who} may not stream node ${JSON.stringify(node.id)}: pod ${pod.namespace}/${pod.name} runs as service account ${pod.serviceAccount}`;
  }
  return undefined;
}

/** The TLS port's authorize hook: authenticate the call, then check the node against the identity and the model. */
export function xdsAuthorizer(
  authenticator: Authenticator,
  model: () => MeshModel | undefined,
  log: (line: string) => void = () => undefined,
): AuthorizeHook {
  return async (node, call) => {
    let identity: WorkloadIdentity;
    try {
      identity = await authenticator.authenticate(callCredentials(call));
    } catch (err) {
      log(`xDS stream from ${call.getPeer()} for node ${JSON.stringify(node.id)} refused: ${(err as Error).message}`);
      throw err;
    }
    const current = model();
    // Without a model the pod's service account cannot be checked: the caller retries once the first build is done.
    if (current === undefined) throw new Error('the first model is not built yet; retry');
    const denial = nodeDenial(identity, node, current);
    if (denial !== undefined) {
      log(`xDS stream from ${call.getPeer()} refused: ${denial}`);
      throw new AuthError(GrpcStatus.PERMISSION_DENIED, denial);
    }
    return identity;
  };
}

/**
 * Judges every authorized stream again against a new model (a pod may have appeared, or changed service account, since
 * its stream was allowed) and ends the ones it now denies, before anything is built for them from that model.
 */
export function endDeniedStreams(xds: XdsServer, model: MeshModel, log: (line: string) => void = () => undefined): number {
  let ended = 0;
  for (const s of xds.streams()) {
    const identity = xds.principal(s.id) as WorkloadIdentity | undefined;
    if (!identity || !s.node) continue;
    const denial = nodeDenial(identity, s.node, model);
    if (denial === undefined) continue;
    log(`xDS stream ${s.id} from ${s.peer} ended: ${denial}`);
    xds.endStream(s.id, GrpcStatus.PERMISSION_DENIED, denial);
    ended += 1;
  }
  return ended;
}
