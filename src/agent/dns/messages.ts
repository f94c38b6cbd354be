// DNS messages for the proxy, through the `dns-packet` library (no hand-written wire code): read a query, and build
// the table's answer, FORMERR, SERVFAIL or NOTIMP for it. Pure functions over bytes.
import dnsPacket from 'dns-packet';
import type { Address } from '../../model/types.ts';
import type { AskedType } from './names.ts';

/** The question a proxy can act on: one IN-class question of a standard query. */
export interface ParsedQuery {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly class: string;
  readonly recursionDesired: boolean;
  /** Whether the client sent EDNS (an OPT record), so it accepts UDP answers over 512 bytes. */
  readonly edns: boolean;
}

/** What reading a message gave: a query to answer, a reply code to send without one, or nothing (drop it). */
export type ReadResult =
  | { readonly kind: 'query'; readonly query: ParsedQuery }
  | { readonly kind: 'error'; readonly reply: Buffer }
  | { readonly kind: 'drop' };

const RCODE = { FORMERR: 1, SERVFAIL: 2, NOTIMP: 4 } as const;
const TTL_SECONDS = 30;

/** Reads a client's message: shorter than a header or a response → drop; undecodable → FORMERR; else the query. */
export function readQuery(bytes: Buffer): ReadResult {
  if (bytes.length < 12) return { kind: 'drop' };
  const id = bytes.readUInt16BE(0);
  if ((bytes[2] ?? 0) & 0x80) return { kind: 'drop' };
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(bytes);
  } catch {
    return { kind: 'error', reply: bareReply(id, RCODE.FORMERR) };
  }
  const opcode = ((bytes[2] ?? 0) >> 3) & 0xf;
  if (opcode !== 0) return { kind: 'error', reply: bareReply(id, RCODE.NOTIMP) };
  const question = packet.questions?.[0];
  if (!question || packet.questions?.length !== 1) return { kind: 'error', reply: bareReply(id, RCODE.FORMERR) };
  const edns = (packet.additionals ?? []).some((r) => r.type === 'OPT');
  const recursionDesired = ((packet.flags ?? 0) & dnsPacket.RECURSION_DESIRED) !== 0;
  return { kind: 'query', query: { id, name: question.name, type: question.type, class: question.class ?? 'IN', recursionDesired, edns } };
}

/** The asked record type as the answer rules see it. */
export function askedType(query: ParsedQuery): AskedType {
  return query.type === 'A' || query.type === 'AAAA' || query.type === 'ANY' ? query.type : 'other';
}

/**
 * The proxy's own answer: the question repeated, one A / AAAA record per address (none is NOERROR without records).
 * Over UDP without EDNS, an answer over 512 bytes goes out truncated (TC, no records) so the client retries over TCP.
 */
export function tableReply(query: ParsedQuery, addresses: readonly Address[], transport: 'udp' | 'tcp'): Buffer {
  const answers = addresses.map((a) => ({
    name: query.name,
    type: a.family === 'IPv4' ? ('A' as const) : ('AAAA' as const),
    class: 'IN' as const,
    ttl: TTL_SECONDS,
    data: a.ip,
  }));
  const flags = dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | (query.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0);
  const questions = [{ name: query.name, type: query.type as 'A', class: query.class as 'IN' }];
  const full = dnsPacket.encode({ id: query.id, type: 'response', flags, questions, answers });
  if (transport === 'tcp' || query.edns || full.length <= 512) return full;
  return dnsPacket.encode({ id: query.id, type: 'response', flags: flags | dnsPacket.TRUNCATED_RESPONSE, questions });
}

/** SERVFAIL for a query the upstream resolvers did not answer in time: same ID, same question. */
export function servfail(query: ParsedQuery): Buffer {
  const flags = RCODE.SERVFAIL | dnsPacket.RECURSION_AVAILABLE | (query.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0);
  const questions = [{ name: query.name, type: query.type as 'A', class: query.class as 'IN' }];
  return dnsPacket.encode({ id: query.id, type: 'response', flags, questions });
}

/** A response with only an ID and a reply code (for messages whose question cannot be repeated). */
function bareReply(id: number, rcode: number): Buffer {
  return dnsPacket.encode({ id, type: 'response', flags: rcode });
}
