// Just enough protobuf wire reading for the bench clients: the header fields of a (Delta)DiscoveryResponse without
// decoding any resource, so the clients spend their time the way a fast real client would.

/** What a client learns from one response. */
export interface ResponseHeader {
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
  readonly resources: number;
  readonly removed: number;
}

/** Reads one base-128 varint at `at`; returns its value and the position after it. */
export function varint(buf: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let pos = at;
  for (;;) {
    const byte = buf[pos++];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
    shift += 7;
    if (shift > 63) throw new Error('varint too long');
  }
}

const decoder = new TextDecoder();

/**
 * Reads the top-level fields of a DiscoveryResponse (1 version_info, 2 resources, 4 type_url, 5 nonce) or a
 * DeltaDiscoveryResponse (1 system_version_info, 2 resources, 4 type_url, 5 nonce, 6 removed_resources).
 */
export function readResponseHeader(buf: Uint8Array): ResponseHeader {
  let typeUrl = '';
  let version = '';
  let nonce = '';
  let resources = 0;
  let removed = 0;
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = varint(buf, pos);
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (wireType === 0) {
      pos = varint(buf, afterKey)[1];
      continue;
    }
    if (wireType !== 2) throw new Error(`unexpected wire type ${wireType} for field ${field}`);
    const [length, start] = varint(buf, afterKey);
    const end = start + length;
    if (field === 1) version = decoder.decode(buf.subarray(start, end));
    else if (field === 2) resources++;
    else if (field === 4) typeUrl = decoder.decode(buf.subarray(start, end));
    else if (field === 5) nonce = decoder.decode(buf.subarray(start, end));
    else if (field === 6) removed++;
    pos = end;
  }
  return { typeUrl, version, nonce, resources, removed };
}
