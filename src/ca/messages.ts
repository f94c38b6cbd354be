// Istio's certificate service (`istio.v1.auth.IstioCertificateService`), defined in code from Istio's documented field
// numbers so biplane ships no .proto file: a request holds the CSR PEM (1), the wanted validity in seconds (3) and
// opaque node metadata (4, a google.protobuf.Struct); a response holds the chain, leaf first and root last (1).
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** The gRPC path of the one method. */
export const CREATE_CERTIFICATE_PATH = '/istio.v1.auth.IstioCertificateService/CreateCertificate';

/** A certificate request as the service reads it. */
export interface CertificateRequest {
  readonly csr: string;
  /** Seconds; 0 when the caller leaves it to the CA. */
  readonly validitySeconds: number;
}

/** The issued chain: leaf first, then intermediates, the root last. */
export interface CertificateResponse {
  readonly certChain: readonly string[];
}

let types: { request: protobuf.Type; response: protobuf.Type } | undefined;

/** The protobufjs types of both messages, built once. */
function messageTypes(): { request: protobuf.Type; response: protobuf.Type } {
  if (types) return types;
  const root = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/struct.proto') as protobuf.INamespace);
  const request = new protobuf.Type('IstioCertificateRequest')
    .add(new protobuf.Field('csr', 1, 'string'))
    .add(new protobuf.Field('validity_duration', 3, 'int64'))
    .add(new protobuf.Field('metadata', 4, 'google.protobuf.Struct'));
  const response = new protobuf.Type('IstioCertificateResponse').add(new protobuf.Field('cert_chain', 1, 'string', 'repeated'));
  root.define('istio.v1.auth').add(request).add(response);
  root.resolveAll();
  types = { request, response };
  return types;
}

/** The wire bytes of a request. */
export function encodeCertificateRequest(request: CertificateRequest): Buffer {
  const { request: type } = messageTypes();
  const message = type.fromObject({ csr: request.csr, validity_duration: request.validitySeconds });
  return Buffer.from(type.encode(message).finish());
}

/** Reads a request (throws on bytes that are not one; a negative or huge validity reads as given). */
export function decodeCertificateRequest(bytes: Buffer): CertificateRequest {
  const { request: type } = messageTypes();
  const object = type.toObject(type.decode(bytes), { longs: Number, defaults: true }) as { csr: string; validity_duration: number };
  return { csr: object.csr, validitySeconds: object.validity_duration };
}

/** The wire bytes of a response. */
export function encodeCertificateResponse(response: CertificateResponse): Buffer {
  const { response: type } = messageTypes();
  return Buffer.from(type.encode(type.fromObject({ cert_chain: [...response.certChain] })).finish());
}

/** Reads a response. */
export function decodeCertificateResponse(bytes: Buffer): CertificateResponse {
  const { response: type } = messageTypes();
  const object = type.toObject(type.decode(bytes), { arrays: true }) as { cert_chain: string[] };
  return { certChain: object.cert_chain };
}

/** The service for grpc-js servers and clients, with the codecs above. */
export const certificateServiceDefinition = {
  CreateCertificate: {
    path: CREATE_CERTIFICATE_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeCertificateRequest,
    requestDeserialize: decodeCertificateRequest,
    responseSerialize: encodeCertificateResponse,
    responseDeserialize: decodeCertificateResponse,
    originalName: 'createCertificate',
  },
} satisfies grpc.ServiceDefinition;
