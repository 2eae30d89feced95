// Ciphertext framing of every KES era (kes-api.md §7.2–§7.5): detection and parsing of raw
// (HEAD), MessagePack (v0.19.2 … 2024-01) and JSON (≤ v0.19.1) forms, plus encoders for the
// legacy forms (used to build test and compatibility vectors; keyfront only produces raw).
// Pure: no I/O. Must never throw while parsing: anything malformed is `undefined`.

import {
  bytesField,
  GoJsonError,
  parseFlatJsonText,
  readStructFields,
  stringField,
} from "./go-json.js";
import { binHeader, MsgpackReader, strHeader } from "./msgpack.js";

export const IV_BYTES = 16;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** IV ‖ nonce at the end of a raw ciphertext. */
export const RAW_TRAILER_BYTES = IV_BYTES + NONCE_BYTES;
/** Raw ciphertext length minus plaintext length (kes-api.md §7.2). */
export const RAW_OVERHEAD_BYTES = TAG_BYTES + RAW_TRAILER_BYTES;

const MSGPACK_FIXARRAY_5 = 0x95;
const JSON_OPEN_BRACE = 0x7b;

/** The parts of a ciphertext. `sealed` is the AEAD output including its 16-byte tag. */
export interface CiphertextParts {
  sealed: Buffer;
  iv: Buffer;
  nonce: Buffer;
}

// KES compat, kes-api.md §7.5.2: both spellings of both algorithms are accepted; the value is
// otherwise ignored (the stored key's type decides, §7.3).
const MSGPACK_ALGORITHMS = new Set([
  "AES256-GCM_SHA256",
  "XCHACHA20-POLY1305",
  "AES256",
  "ChaCha20",
]);
// KES compat, kes-api.md §7.5.1: `AES-256-GCM` (≤ v0.6.0) and anything else is rejected.
const JSON_AEADS = new Set(["AES-256-GCM-HMAC-SHA-256", "ChaCha20Poly1305"]);
const JSON_FIELDS = ["aead", "id", "iv", "nonce", "bytes"] as const;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Splits a ciphertext of any era into its parts (views into `bytes`, no copy); undefined when it
 * is too short to be authentic. Legacy forms that fail to parse are treated as raw (§7.3).
 */
export function parseCiphertext(bytes: Uint8Array): CiphertextParts | undefined {
  const buf = asBuffer(bytes);
  let parts: CiphertextParts | undefined;
  if (buf[0] === MSGPACK_FIXARRAY_5) parts = parseMsgpack(buf);
  else if (buf[0] === JSON_OPEN_BRACE) parts = parseJson(buf);
  parts ??= splitRaw(buf);
  // An AEAD output shorter than its tag can never be authentic; KES fails it at open time.
  if (parts === undefined || parts.sealed.length < TAG_BYTES) return undefined;
  return parts;
}

/**
 * The raw framing (§7.2) of `bytes` from byte `at` on (a versioned ciphertext's body starts after
 * its header): views, no copy; undefined when nothing is left before IV ‖ nonce.
 */
export function splitRaw(bytes: Uint8Array, at = 0): CiphertextParts | undefined {
  const buf = asBuffer(bytes);
  if (buf.length - at <= RAW_TRAILER_BYTES) return undefined;
  const end = buf.length - RAW_TRAILER_BYTES;
  return {
    sealed: buf.subarray(at, end),
    iv: buf.subarray(end, end + IV_BYTES),
    nonce: buf.subarray(end + IV_BYTES),
  };
}

function parseMsgpack(buf: Buffer): CiphertextParts | undefined {
  const r = new MsgpackReader(buf, 1);
  const algorithm = r.readStr();
  if (algorithm === undefined || !MSGPACK_ALGORITHMS.has(algorithm.toString("latin1"))) {
    return undefined;
  }
  if (r.readStr() === undefined) return undefined; // key ID: parsed, ignored (§7.3)
  const iv = r.readBin();
  const nonce = r.readBin();
  const sealed = r.readBin();
  if (iv?.length !== IV_BYTES || nonce?.length !== NONCE_BYTES || sealed === undefined) {
    return undefined;
  }
  return r.done() ? { sealed, iv, nonce } : undefined;
}

const UTF8_LENIENT = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * KES wrote these as one flat object of strings. A nested value (Go would skip it in an unknown
 * field) is refused before JSON.parse, so a decrypt body cannot buy a parse tree (issue 8 item 4).
 */
function parseJson(buf: Buffer): CiphertextParts | undefined {
  const json = parseFlatJsonText(UTF8_LENIENT.decode(buf));
  if (json === undefined) return undefined;
  try {
    const fields = readStructFields(json.value, JSON_FIELDS);
    if (!JSON_AEADS.has(stringField(fields, "aead"))) return undefined;
    stringField(fields, "id"); // must be a string if present; otherwise ignored (§7.3)
    const iv = bytesField(fields, "iv");
    const nonce = bytesField(fields, "nonce");
    const sealed = bytesField(fields, "bytes");
    if (iv.length !== IV_BYTES || nonce.length !== NONCE_BYTES) return undefined;
    return { sealed, iv, nonce };
  } catch (err) {
    if (err instanceof GoJsonError) return undefined;
    throw err;
  }
}

export interface MsgpackCiphertext {
  algorithm: string;
  keyId: string;
  iv: Uint8Array;
  nonce: Uint8Array;
  sealed: Uint8Array;
}

/** The v0.19.2 … 2024-01 MessagePack form, smallest encodings as KES wrote it (§7.5.2). */
export function encodeMsgpackCiphertext(c: MsgpackCiphertext): Buffer {
  const algorithm = Buffer.from(c.algorithm, "utf8");
  const keyId = Buffer.from(c.keyId, "utf8");
  return Buffer.concat([
    Buffer.from([MSGPACK_FIXARRAY_5]),
    strHeader(algorithm.length),
    algorithm,
    strHeader(keyId.length),
    keyId,
    binHeader(c.iv.length),
    c.iv,
    binHeader(c.nonce.length),
    c.nonce,
    binHeader(c.sealed.length),
    c.sealed,
  ]);
}

export interface JsonCiphertext {
  aead: string;
  id?: string;
  iv: Uint8Array;
  nonce: Uint8Array;
  sealed: Uint8Array;
}

/** The ≤ v0.19.1 JSON form (§7.5.1): UTF-8 JSON text; `id` omitted when not given. */
export function encodeJsonCiphertext(c: JsonCiphertext): Buffer {
  const b64 = (b: Uint8Array) => asBuffer(b).toString("base64");
  const object: Record<string, string> = { aead: c.aead };
  if (c.id !== undefined) object.id = c.id;
  object.iv = b64(c.iv);
  object.nonce = b64(c.nonce);
  object.bytes = b64(c.sealed);
  return Buffer.from(JSON.stringify(object), "utf8");
}
