// The TLS port (istiod's 15012): a grpc-js server of its own whose certificates follow their files, serving the same
// ADS streams as the plaintext port, each authorized before anything is sent (xds-auth.ts). Other gRPC services that
// belong on an authenticated port (the workload CA) are added through `extraServices`; they read the caller with
// `callCredentials(call)` and the same `authenticator` (both in src/trust/authenticator.ts).
import * as grpc from '@grpc/grpc-js';
import type { MeshModel } from '../model/index.ts';
import { FileCertificateProvider, fileServerCredentials } from '../trust/cert-files.ts';
import type { Authenticator } from '../trust/identity.ts';
import { bindAddresses } from '../xds/index.ts';
import type { XdsServer } from '../xds/index.ts';
import { xdsAuthorizer } from './xds-auth.ts';

/** istiod's TLS xDS port; `[::]` takes both families on a dual-stack host. */
export const DEFAULT_TLS_ADDRESSES: readonly string[] = ['[::]:15012'];

/** A gRPC service to serve on the TLS port beside ADS. */
export interface ExtraService {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

/** How the TLS port is set up. */
export interface TlsPortOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA client certificates must chain to; without it only bearer tokens authenticate. */
  readonly clientCaFile?: string;
  /** Listen addresses (default `[::]:15012`). */
  readonly addresses?: readonly string[];
  /** Judges each call's certificate or token. */
  readonly authenticator: Authenticator;
  /** More services on this port, e.g. the workload CA. */
  readonly extraServices?: readonly ExtraService[];
  /** How often the certificate files are checked for changes (default 1000 ms). */
  readonly pollMs?: number;
}

/** A running TLS port. */
export interface TlsPort {
  readonly addresses: readonly string[];
  readonly certificates: FileCertificateProvider;
  close(graceMs?: number): Promise<void>;
}

/** Binds the TLS port for `xds`; rejects with a clear error when the files do not load or an address cannot be bound. */
export async function startTlsPort(
  xds: XdsServer,
  options: TlsPortOptions,
  model: () => MeshModel | undefined,
  grpcOptions: grpc.ServerOptions,
  log?: (line: string) => void,
): Promise<TlsPort> {
  const certificates = new FileCertificateProvider({
    certFile: options.certFile,
    keyFile: options.keyFile,
    ...(options.clientCaFile !== undefined ? { clientCaFile: options.clientCaFile } : {}),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
  });
  const server = new grpc.Server(grpcOptions);
  xds.serveOn(server, xdsAuthorizer(options.authenticator, model, log));
  for (const s of options.extraServices ?? []) server.addService(s.definition, s.implementation);
  const close = (graceMs = 1000): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    }).finally(() => certificates.close());
  try {
    const credentials = fileServerCredentials(certificates, options.clientCaFile !== undefined);
    const addresses = await bindAddresses(server, options.addresses ?? DEFAULT_TLS_ADDRESSES, credentials);
    return { addresses, certificates, close };
  } catch (err) {
    server.forceShutdown();
    certificates.close();
    throw err;
  }
}
