// Workload identities (SPIFFE IDs as Istio spells them) and the contract every authenticator keeps: the xDS server,
// the workload CA and the admin server ask "who is calling?" through one `Authenticator` and get an identity or a
// refusal that carries its gRPC status.
import { status as GrpcStatus } from '@grpc/grpc-js';

/** The trust domain when none is configured, as in Istio. */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

/** A workload's identity: `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
export interface WorkloadIdentity {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** What a call presents: its bearer token (gRPC metadata `authorization: Bearer ...`) and its client certificate's URI SANs. */
export interface CallCredentials {
  readonly bearerToken?: string;
  /** URI SANs of a verified client certificate; empty without one. */
  readonly peerUris: readonly string[];
}

/** A refused call: UNAUTHENTICATED (no or bad credentials) or PERMISSION_DENIED (an identity, but not this one's). */
export class AuthError extends Error {
  constructor(
    readonly code: GrpcStatus.UNAUTHENTICATED | GrpcStatus.PERMISSION_DENIED,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** Turns a call's credentials into an identity, or rejects with an `AuthError`. */
export interface Authenticator {
  authenticate(credentials: CallCredentials): Promise<WorkloadIdentity>;
}

/** The SPIFFE URI of an identity. */
export function spiffeUri(id: WorkloadIdentity): string {
  return `spiffe://${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** Reads `spiffe://<td>/ns/<ns>/sa/<sa>`; undefined for anything else (other paths, extra segments, empty parts). */
export function parseSpiffeUri(uri: string): WorkloadIdentity | undefined {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(uri);
  if (!m) return undefined;
  return { trustDomain: m[1]!, namespace: m[2]!, serviceAccount: m[3]! };
}

/** A workload's certificate as a sidecar uses it: leaf first in the chain, its key, and the root to trust peers by. */
export interface WorkloadCertificate {
  readonly certChainPem: string;
  readonly privateKeyPem: string;
  readonly rootCertPem: string;
  readonly notAfter: Date;
}

/** Where the agent's SDS server reads the pod's certificate from; the CA client and test PKIs both implement it. */
export interface CertificateSource {
  /** undefined until the first certificate is there. */
  current(): WorkloadCertificate | undefined;
  /** Called with every new certificate (first issue and each renewal); returns the unsubscribe. */
  onChange(listener: (cert: WorkloadCertificate) => void): () => void;
}
