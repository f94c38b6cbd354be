// The gRPC face of the CA: Istio's `CreateCertificate`. Who calls is the Authenticator's answer to the call's
// credentials (bearer token, verified client certificate); the CA then signs only that identity's CSR.
import * as grpc from '@grpc/grpc-js';
import { callCredentials } from '../trust/authenticator.ts';
import { AuthError, spiffeUri } from '../trust/identity.ts';
import type { Authenticator } from '../trust/identity.ts';
import { CsrError } from './authority.ts';
import type { CertificateAuthority } from './authority.ts';
import { certificateServiceDefinition } from './messages.ts';
import type { CertificateRequest, CertificateResponse } from './messages.ts';

/** What the service needs: the CA, who may call, and where to say what was issued. */
export interface CertificateServiceOptions {
  readonly ca: CertificateAuthority;
  readonly authenticator: Authenticator;
  readonly log?: (line: string) => void;
}

/** A grpc-js service (definition and handlers) to add to any server. */
export interface GrpcService {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

/** A refusal as a gRPC status. */
function statusOf(err: unknown): { code: grpc.status; details: string } {
  if (err instanceof AuthError) return { code: err.code, details: err.message };
  if (err instanceof CsrError) return { code: err.kind === 'denied' ? grpc.status.PERMISSION_DENIED : grpc.status.INVALID_ARGUMENT, details: err.message };
  return { code: grpc.status.INTERNAL, details: `certificate not issued: ${(err as Error).message}` };
}

/** Istio's certificate service over a CA: authenticate, sign the caller's own CSR, answer leaf-first chain. */
export function certificateService(options: CertificateServiceOptions): GrpcService {
  const log = options.log ?? ((): void => undefined);
  const createCertificate = (
    call: grpc.ServerUnaryCall<CertificateRequest, CertificateResponse>,
    callback: grpc.sendUnaryData<CertificateResponse>,
  ): void => {
    void (async () => {
      let stage = 'authenticate';
      try {
        const caller = await options.authenticator.authenticate(callCredentials(call));
        stage = 'sign';
        const certChain = await options.ca.sign(call.request.csr, caller, call.request.validitySeconds);
        log(`CA: issued a certificate for ${spiffeUri(caller)} (${call.getPeer()})`);
        callback(null, { certChain });
      } catch (err) {
        const { code, details } = stage === 'authenticate' && !(err instanceof AuthError)
          ? { code: grpc.status.UNAVAILABLE, details: `cannot authenticate the caller now: ${(err as Error).message}` }
          : statusOf(err);
        log(`CA: refused ${call.getPeer()}: ${details}`);
        callback({ code, details });
      }
    })();
  };
  return { definition: certificateServiceDefinition, implementation: { CreateCertificate: createCertificate } };
}
