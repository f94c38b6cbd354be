// The authorization gate in front of an ADS stream: the first request's node goes to the server's `authorize` hook
// before the stream sees any request, so nothing is built or sent for a node the caller may not claim. Requests that
// arrive while the hook runs wait (a few at most); a refusal ends the call with the hook's gRPC status.
import type * as grpc from '@grpc/grpc-js';
import { decodeDeltaRequest, decodeSotwRequest } from './codec.ts';
import type { XdsNode } from './codec.ts';
import type { StreamKind } from './events.ts';

/** What an authorize hook may read of a call: its metadata, its peer and its transport's verified peer certificate. */
export type CallContext = Pick<grpc.ServerDuplexStream<Buffer, unknown>, 'metadata' | 'getAuthContext' | 'getPeer'>;

/**
 * Decides whether a call may stream for the node it claims; rejects to refuse. A rejection's numeric `code` (a gRPC
 * status such as UNAUTHENTICATED or PERMISSION_DENIED) and message end the stream; without a code it ends UNAVAILABLE.
 * What it resolves to (say the caller's identity) is kept as the stream's principal (`XdsServer.principal`), so the
 * caller can judge the stream again later.
 */
export type AuthorizeHook = (node: XdsNode, call: CallContext) => Promise<unknown>;

/** gRPC UNAVAILABLE: the hook failed without saying why the caller is refused (e.g. a token review was unreachable). */
const UNAVAILABLE = 14;
/** Requests, and their bytes, a stream may send before its authorization is decided; past either it is refused. */
const MAX_WAITING = 16;
const MAX_WAITING_BYTES = 1024 * 1024;
/** gRPC RESOURCE_EXHAUSTED. */
const RESOURCE_EXHAUSTED = 8;

/** What a gate needs of its stream: where requests go once allowed, and how to end the call. */
export interface GateIo {
  readonly kind: StreamKind;
  readonly call: CallContext;
  readonly authorize: AuthorizeHook;
  /** Called once with what the hook resolved to, before the waiting requests are delivered. */
  allowed(principal: unknown): void;
  deliver(bytes: Buffer): void;
  fail(code: number, details: string): void;
}

/** Holds a stream's requests until its first node is authorized, then passes everything through in order. */
export class AuthGate {
  #state: 'idle' | 'waiting' | 'open' | 'refused' = 'idle';
  readonly #waiting: Buffer[] = [];
  #waitingBytes = 0;

  constructor(private readonly io: GateIo) {}

  /** One raw request from the client. */
  receive(bytes: Buffer): void {
    if (this.#state === 'open') return this.io.deliver(bytes);
    if (this.#state === 'refused') return;
    if (this.#state === 'waiting') {
      this.#waitingBytes += bytes.length;
      if (this.#waiting.length >= MAX_WAITING || this.#waitingBytes > MAX_WAITING_BYTES) {
        this.#state = 'refused';
        this.#waiting.length = 0;
        this.io.fail(RESOURCE_EXHAUSTED, `more than ${MAX_WAITING} requests or ${MAX_WAITING_BYTES} bytes before the stream was authorized`);
        return;
      }
      this.#waiting.push(bytes);
      return;
    }
    const node = firstNode(this.io.kind, bytes);
    // No readable node: the stream itself refuses the request with INVALID_ARGUMENT, before anything is sent.
    if (!node) return this.io.deliver(bytes);
    this.#state = 'waiting';
    this.#waiting.push(bytes);
    this.io.authorize(node, this.io.call).then(
      (principal) => this.#open(principal),
      (err: unknown) => this.#refuse(err),
    );
  }

  #open(principal: unknown): void {
    if (this.#state !== 'waiting') return;
    this.#state = 'open';
    this.io.allowed(principal);
    for (const bytes of this.#waiting.splice(0)) this.io.deliver(bytes);
  }

  #refuse(err: unknown): void {
    if (this.#state !== 'waiting') return;
    this.#state = 'refused';
    this.#waiting.length = 0;
    const code = (err as { code?: unknown })?.code;
    const message = err instanceof Error ? err.message : String(err);
    if (typeof code === 'number' && code > 0 && code <= 16) this.io.fail(code, message);
    else this.io.fail(UNAVAILABLE, `authorization failed: ${message}`);
  }
}

/** The node of a first request, or undefined when it cannot be decoded or names none. */
function firstNode(kind: StreamKind, bytes: Buffer): XdsNode | undefined {
  try {
    const node = kind === 'sotw' ? decodeSotwRequest(bytes).node : decodeDeltaRequest(bytes).node;
    return node && node.id !== '' ? node : undefined;
  } catch {
    return undefined;
  }
}
