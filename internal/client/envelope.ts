// Envelope encryption with a keyfront master key: each envelope gets a fresh DEK from
// /v1/key/generate; the DEK's ciphertext travels in the envelope header and the data is sealed
// with AES-256-GCM in chunks (the STREAM construction: nonce = prefix ‖ counter ‖ last-flag), so
// a truncated, reordered or modified envelope fails to open. The optional context is bound twice:
// as the DEK's server-side context and in every chunk's associated data.
// It must never reuse a DEK, release unauthenticated plaintext, or keep a DEK after use.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ENVELOPE_CHUNK_BYTES, ENVELOPE_MAX_CHUNK_BYTES, MAX_NAME_BYTES } from "../limits.js";
import type { Dek } from "./types.js";

/**
 * What an envelope needs from a client: KeyfrontClient satisfies it. A DEK's `version` (keyfront)
 * is recorded in the envelope; opening passes it back, so the server checks it against the DEK.
 */
export interface DekSource {
  generateKey(name: string, context?: Uint8Array | string): Promise<Dek>;
  decrypt(
    name: string,
    ciphertext: Uint8Array,
    context?: Uint8Array | string,
    opts?: { version?: number | undefined },
  ): Promise<Buffer>;
}

export class EnvelopeError extends Error {
  constructor(message: string) {
    super(`envelope: ${message}`);
    this.name = "EnvelopeError";
  }
}

const MAGIC = Buffer.from("KFEV", "ascii");
/** Format 1: no key version (a KES server's DEK). Format 2: a uint32 key version after the name. */
const FORMAT_UNVERSIONED = 1;
const FORMAT_VERSIONED = 2;
const NONCE_PREFIX_BYTES = 7;
const TAG_BYTES = 16;
const MAX_DEK_CIPHERTEXT_BYTES = 0xffff;
const NOT_AUTHENTIC =
  "data is not authentic (wrong key or context, truncated, reordered or modified)";

interface Header {
  raw: Buffer;
  keyName: string;
  /** The key version of the DEK; undefined in format 1. */
  keyVersion: number | undefined;
  dekCiphertext: Buffer;
  chunkBytes: number;
  noncePrefix: Buffer;
}

/**
 * "KFEV" ‖ format (1 byte) ‖ name length (1) ‖ name ‖ [format 2: key version, uint32 BE] ‖
 * DEK ciphertext length (uint16 BE) ‖ DEK ciphertext ‖ chunk size (uint32 BE) ‖ nonce prefix (7).
 */
function encodeHeader(keyName: string, dek: Dek, chunkBytes: number): Header {
  const name = Buffer.from(keyName, "utf8");
  const { ciphertext: dekCiphertext, version: keyVersion } = dek;
  if (name.length === 0 || name.length > MAX_NAME_BYTES) throw new EnvelopeError("bad key name");
  if (dekCiphertext.length > MAX_DEK_CIPHERTEXT_BYTES) throw new EnvelopeError("DEK too large");
  const noncePrefix = randomBytes(NONCE_PREFIX_BYTES);
  const fixed = Buffer.alloc(4 + 1 + 1);
  MAGIC.copy(fixed);
  fixed[4] = keyVersion === undefined ? FORMAT_UNVERSIONED : FORMAT_VERSIONED;
  fixed[5] = name.length;
  const version = Buffer.alloc(keyVersion === undefined ? 0 : 4);
  if (keyVersion !== undefined) version.writeUInt32BE(keyVersion);
  const dekLen = Buffer.alloc(2);
  dekLen.writeUInt16BE(dekCiphertext.length);
  const chunk = Buffer.alloc(4);
  chunk.writeUInt32BE(chunkBytes);
  const raw = Buffer.concat([fixed, name, version, dekLen, dekCiphertext, chunk, noncePrefix]);
  return { raw, keyName, keyVersion, dekCiphertext, chunkBytes, noncePrefix };
}

/** Parses a header from the start of `buf`; undefined if more bytes are needed. */
function decodeHeader(buf: Buffer): Header | undefined {
  if (buf.length < 6) return undefined;
  if (!buf.subarray(0, 4).equals(MAGIC)) throw new EnvelopeError("not a keyfront envelope");
  const format = buf[4];
  if (format !== FORMAT_UNVERSIONED && format !== FORMAT_VERSIONED) {
    throw new EnvelopeError(`unsupported version ${format}`);
  }
  const nameLen = buf[5] as number;
  if (nameLen === 0 || nameLen > MAX_NAME_BYTES) throw new EnvelopeError("bad key name");
  const at = 6 + nameLen + (format === FORMAT_VERSIONED ? 4 : 0);
  if (buf.length < at + 2) return undefined;
  const keyVersion = format === FORMAT_VERSIONED ? buf.readUInt32BE(6 + nameLen) : undefined;
  if (keyVersion === 0) throw new EnvelopeError("bad key version 0");
  const dekLen = buf.readUInt16BE(at);
  const end = at + 2 + dekLen + 4 + NONCE_PREFIX_BYTES;
  if (buf.length < end) return undefined;
  const chunkBytes = buf.readUInt32BE(end - 4 - NONCE_PREFIX_BYTES);
  if (chunkBytes === 0 || chunkBytes > ENVELOPE_MAX_CHUNK_BYTES) {
    throw new EnvelopeError("bad chunk size");
  }
  return {
    raw: Buffer.from(buf.subarray(0, end)),
    keyName: buf.subarray(6, 6 + nameLen).toString("utf8"),
    keyVersion,
    dekCiphertext: Buffer.from(buf.subarray(at + 2, at + 2 + dekLen)),
    chunkBytes,
    noncePrefix: Buffer.from(buf.subarray(end - NONCE_PREFIX_BYTES, end)),
  };
}

const contextBytes = (c?: Uint8Array | string) =>
  c === undefined
    ? Buffer.alloc(0)
    : typeof c === "string"
      ? Buffer.from(c, "utf8")
      : Buffer.from(c);

function nonceOf(h: Header, counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  h.noncePrefix.copy(nonce);
  nonce.writeUInt32BE(counter, NONCE_PREFIX_BYTES);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

class ChunkSealer {
  private counter = 0;
  constructor(
    private readonly dek: Buffer,
    private readonly header: Header,
    private readonly aad: Buffer,
  ) {}

  seal(chunk: Buffer, last: boolean): Buffer {
    if (this.counter === 0xffffffff) throw new EnvelopeError("too many chunks");
    const c = createCipheriv("aes-256-gcm", this.dek, nonceOf(this.header, this.counter++, last));
    c.setAAD(this.aad);
    return Buffer.concat([c.update(chunk), c.final(), c.getAuthTag()]);
  }

  open(frame: Buffer, last: boolean): Buffer {
    if (frame.length < TAG_BYTES) throw new EnvelopeError(NOT_AUTHENTIC);
    const d = createDecipheriv("aes-256-gcm", this.dek, nonceOf(this.header, this.counter++, last));
    d.setAAD(this.aad);
    d.setAuthTag(frame.subarray(frame.length - TAG_BYTES));
    try {
      return Buffer.concat([d.update(frame.subarray(0, frame.length - TAG_BYTES)), d.final()]);
    } catch {
      throw new EnvelopeError(NOT_AUTHENTIC);
    }
  }
}

/** Takes exactly `n`-byte pieces off an accumulating buffer. */
async function* rechunk(source: AsyncIterable<Uint8Array>, n: number) {
  let buf = Buffer.alloc(0);
  for await (const piece of source) {
    buf = buf.length === 0 ? Buffer.from(piece) : Buffer.concat([buf, piece]);
    // A piece is released as non-final only once a byte beyond it has arrived, so the final
    // piece (0…n bytes) is always recognisable as the last.
    while (buf.length > n) {
      yield { chunk: buf.subarray(0, n), last: false };
      buf = buf.subarray(n);
    }
  }
  yield { chunk: buf, last: true };
}

/**
 * A transform for `stream.pipeline`: seals its input under a fresh DEK of master key `keyName`.
 * The DEK is requested before the first output byte.
 */
export function sealEnvelopeStream(
  client: DekSource,
  keyName: string,
  context?: Uint8Array | string,
  chunkBytes = ENVELOPE_CHUNK_BYTES,
): (source: AsyncIterable<Uint8Array>) => AsyncGenerator<Buffer> {
  return async function* seal(source) {
    const ctx = contextBytes(context);
    const dek = await client.generateKey(keyName, ctx);
    try {
      const header = encodeHeader(keyName, dek, chunkBytes);
      const sealer = new ChunkSealer(dek.plaintext, header, Buffer.concat([header.raw, ctx]));
      yield header.raw;
      for await (const { chunk, last } of rechunk(source, chunkBytes)) {
        yield sealer.seal(chunk, last);
      }
    } finally {
      dek.plaintext.fill(0);
    }
  };
}

/**
 * A transform for `stream.pipeline`: opens an envelope. Each chunk is released only after it
 * authenticated; a stream that ends early or out of order throws EnvelopeError at the end.
 */
export function openEnvelopeStream(
  client: DekSource,
  context?: Uint8Array | string,
): (source: AsyncIterable<Uint8Array>) => AsyncGenerator<Buffer> {
  return async function* open(source) {
    const ctx = contextBytes(context);
    const iterator = source[Symbol.asyncIterator]();
    let buf = Buffer.alloc(0);
    let header: Header | undefined;
    while (header === undefined) {
      const next = await iterator.next();
      if (next.done) throw new EnvelopeError("truncated header");
      buf = Buffer.concat([buf, next.value]);
      header = decodeHeader(buf);
    }
    const dek = await client.decrypt(header.keyName, header.dekCiphertext, ctx, {
      version: header.keyVersion,
    });
    try {
      const sealer = new ChunkSealer(dek, header, Buffer.concat([header.raw, ctx]));
      const rest = buf.subarray(header.raw.length);
      const remaining = { [Symbol.asyncIterator]: () => prepend(rest, iterator) };
      for await (const { chunk, last } of rechunk(remaining, header.chunkBytes + TAG_BYTES)) {
        yield sealer.open(chunk, last);
      }
    } finally {
      dek.fill(0);
    }
  };
}

async function* prepend(
  first: Buffer,
  rest: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (first.length > 0) yield first;
  for (let n = await rest.next(); !n.done; n = await rest.next()) yield n.value;
}

async function collect(gen: AsyncGenerator<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of gen) parts.push(p);
  return Buffer.concat(parts);
}

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

/** Seals `data` under a fresh DEK of master key `keyName`: header ‖ sealed chunks. */
export function sealEnvelope(
  client: DekSource,
  keyName: string,
  data: Uint8Array,
  context?: Uint8Array | string,
): Promise<Buffer> {
  return collect(sealEnvelopeStream(client, keyName, context)(once(data)));
}

/** Opens what sealEnvelope produced; throws EnvelopeError or the server's ErrDecrypt. */
export function openEnvelope(
  client: DekSource,
  envelope: Uint8Array,
  context?: Uint8Array | string,
): Promise<Buffer> {
  return collect(openEnvelopeStream(client, context)(once(envelope)));
}

/** The master key name an envelope was sealed under (from its header). */
export function keyNameOfEnvelope(envelope: Uint8Array): string {
  const h = decodeHeader(Buffer.from(envelope));
  if (h === undefined) throw new EnvelopeError("truncated header");
  return h.keyName;
}

/** The key version an envelope's DEK was sealed under; undefined for one made without (KES). */
export function keyVersionOfEnvelope(envelope: Uint8Array): number | undefined {
  const h = decodeHeader(Buffer.from(envelope));
  if (h === undefined) throw new EnvelopeError("truncated header");
  return h.keyVersion;
}
