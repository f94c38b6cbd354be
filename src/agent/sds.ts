// The agent's SDS server: Envoy's SecretDiscoveryService on a Unix socket in the pod, as Istio's agent serves it. Two
// secrets, under Istio's names: `default` (the pod's certificate chain and key) and `ROOTCA` (the root peers are
// verified against), both read from a `CertificateSource` and pushed again whenever it renews. Envoy speaks
// state-of-the-world `StreamSecrets` for an SDS config source of `api_type: GRPC` (what the translator writes); each
// stream asks for the names it wants, ACKs by echoing the version and nonce, and gets every later version unasked.
// A name not served, or a certificate not there yet, is simply not answered until it is (Envoy keeps waiting).
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { CertificateSource, WorkloadCertificate } from '../trust/identity.ts';
import { decodeSotwRequest, encodeSotwResponse } from '../xds/codec.ts';
import { TypeUrl } from '../envoy-api/protos.ts';
import { makeResource, type Resource } from '../xds/resource.ts';
import { CERTIFICATE_SECRET, ROOT_SECRET } from '../translate/mtls.ts';

const SERVICE = '/envoy.service.secret.v3.SecretDiscoveryService/';
const identity = (b: Buffer): Buffer => b;

/** The SDS service with raw-bytes codecs (the ADS wire messages, decoded and encoded by `xds/codec.ts`). */
export const sdsServiceDefinition: grpc.ServiceDefinition = {
  StreamSecrets: {
    path: `${SERVICE}StreamSecrets`,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'StreamSecrets',
  },
};

/** The two secrets of one certificate, encoded once, by name. */
export function secretResources(cert: WorkloadCertificate): ReadonlyMap<string, Resource> {
  const bytes = (pem: string): Buffer => Buffer.from(pem, 'utf8');
  const tls = makeResource(TypeUrl.Secret, {
    name: CERTIFICATE_SECRET,
    tls_certificate: { certificate_chain: { inline_bytes: bytes(cert.certChainPem) }, private_key: { inline_bytes: bytes(cert.privateKeyPem) } },
  });
  const root = makeResource(TypeUrl.Secret, { name: ROOT_SECRET, validation_context: { trusted_ca: { inline_bytes: bytes(cert.rootCertPem) } } });
  return new Map([[tls.name, tls], [root.name, root]]);
}

/** One StreamSecrets call: the names it asked for, what it was last sent, and its nonce counter. */
interface SdsStream {
  readonly call: grpc.ServerDuplexStream<Buffer, Buffer>;
  names: readonly string[];
  sentVersion: string;
  nonce: number;
}

/** What the server reports: ACKs and NACKs (Envoy refused a secret), for logs and tests. */
export interface SdsEvents {
  onNack?(message: string): void;
  onAck?(version: string): void;
}

/** An SDS server over one CertificateSource; `listen` binds it, `close` ends every stream and unbinds. */
export class SdsServer {
  readonly #server = new grpc.Server();
  readonly #streams = new Set<SdsStream>();
  readonly #unsubscribe: () => void;
  #secrets: ReadonlyMap<string, Resource> = new Map();
  #version = 0;
  #socket: string | undefined;
  /** How many responses were sent, over all streams (tests and the agent's log read it). */
  pushes = 0;

  constructor(
    readonly source: CertificateSource,
    readonly events: SdsEvents = {},
  ) {
    const first = source.current();
    if (first) this.#update(first);
    this.#unsubscribe = source.onChange((cert) => {
      this.#update(cert);
      for (const stream of this.#streams) this.#send(stream);
    });
    this.#server.addService(sdsServiceDefinition, { StreamSecrets: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.#accept(call) });
  }

  /** Binds the Unix socket at `socketPath` (its folder made, a stale socket removed, open to the proxy's uid). */
  async listen(socketPath: string): Promise<void> {
    mkdirSync(path.dirname(socketPath), { recursive: true });
    rmSync(socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.#server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(new Error(`sds: cannot bind ${socketPath}: ${err.message}`)) : resolve()));
    });
    // Envoy runs as its own uid (1337); the socket's folder is what keeps other pods out.
    chmodSync(socketPath, 0o666);
    this.#socket = socketPath;
  }

  /** Ends every stream and stops serving; removes the socket file. */
  async close(): Promise<void> {
    this.#unsubscribe();
    for (const stream of this.#streams) stream.call.end();
    this.#streams.clear();
    // A graceful shutdown would wait for Envoy to close its connection; the streams are already ended.
    this.#server.forceShutdown();
    await Promise.resolve();
    if (this.#socket) rmSync(this.#socket, { force: true });
  }

  #update(cert: WorkloadCertificate): void {
    this.#secrets = secretResources(cert);
    this.#version += 1;
  }

  #accept(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    const stream: SdsStream = { call, names: [], sentVersion: '', nonce: 0 };
    this.#streams.add(stream);
    const drop = (): void => void this.#streams.delete(stream);
    call.on('data', (bytes: Buffer) => {
      try {
        this.#request(stream, bytes);
      } catch (err) {
        drop();
        call.destroy(Object.assign(new Error(`bad SDS request: ${(err as Error).message}`), { code: grpc.status.INVALID_ARGUMENT }));
      }
    });
    call.on('end', () => {
      drop();
      call.end();
    });
    call.on('error', drop);
    call.on('cancelled', drop);
  }

  /** A request: a NACK is reported and not answered; an ACK of the current version needs nothing; else send. */
  #request(stream: SdsStream, bytes: Buffer): void {
    const request = decodeSotwRequest(bytes);
    if (request.typeUrl !== '' && request.typeUrl !== TypeUrl.Secret) throw new Error(`type ${request.typeUrl} is not ${TypeUrl.Secret}`);
    const sameNames = request.resourceNames.length === stream.names.length && request.resourceNames.every((n, i) => n === stream.names[i]);
    stream.names = [...request.resourceNames];
    if (request.errorDetail) {
      this.events.onNack?.(request.errorDetail.message);
      if (sameNames) return;
    } else if (request.responseNonce !== '' && request.versionInfo !== '') {
      this.events.onAck?.(request.versionInfo);
    }
    if (sameNames && request.responseNonce !== '' && stream.sentVersion === String(this.#version)) return;
    this.#send(stream);
  }

  /** Sends the stream the current version of the secrets it names, when there is any. */
  #send(stream: SdsStream): void {
    const resources = stream.names.flatMap((n) => this.#secrets.get(n) ?? []);
    if (resources.length === 0) return;
    stream.nonce += 1;
    stream.sentVersion = String(this.#version);
    this.pushes += 1;
    stream.call.write(encodeSotwResponse({ versionInfo: stream.sentVersion, typeUrl: TypeUrl.Secret, nonce: String(stream.nonce), resources }));
  }
}
