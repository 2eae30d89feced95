// Request-body reading and decoding with Go encoding/json semantics where clients rely on them
// (kes-api.md §1.4): field names match case-insensitively, `null` means empty, []byte fields are
// standard padded base64 with CR/LF ignored. keyfront is stricter than KES in one place: an
// unknown field is an error, so a misspelt "contxt" can never silently drop a context binding.
// Decoding errors carry a detail that names the field, never its value.

import type { IncomingMessage } from "node:http";
import { decodeStdBase64 } from "../crypto/std-base64.js";
import { FlatJsonError, type FlatObject, parseFlatJson, shortName } from "./flat-json.js";

export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

export class BodyDecodeError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "BodyDecodeError";
  }
}

const EMPTY = Buffer.alloc(0);

/** declaredBody: the request declares a chunked body (Transfer-Encoding), of unknown length. */
export const CHUNKED = -1;

/**
 * The body a request declares: its Content-Length, CHUNKED for a Transfer-Encoding, 0 for
 * neither. Read from the raw header list: the first use of `req.headers` builds an object of
 * every header (0.5–1 µs of each request under the profiler, for these two). Node's parser has
 * already refused a malformed, negative or repeated Content-Length, and one alongside a
 * Transfer-Encoding.
 */
export function declaredBody(req: IncomingMessage): number {
  const raw = req.rawHeaders;
  let length = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 17 && name.toLowerCase() === "transfer-encoding") return CHUNKED;
    if (name.length === 14 && name.toLowerCase() === "content-length") {
      length = Number(raw[i + 1]);
    }
  }
  return length;
}

export type BodyDone = (err: Error | undefined, body: Buffer) => void;

/**
 * Reads at most `limit` bytes of the request body, then calls `done` once: with the body, or
 * with BodyTooLargeError beyond `limit`, or with the stream's error. A callback, not a promise:
 * a warm key request then costs no promise and no microtask for its body. `done` must not throw.
 */
export function readBody(req: IncomingMessage, limit: number, done: BodyDone): void {
  const declared = declaredBody(req);
  if (declared > limit) {
    done(new BodyTooLargeError(limit), EMPTY);
    return;
  }
  if (declared === 0) {
    done(undefined, EMPTY);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Settles once: a late "error" after "end" or after the limit is not a second answer.
  let settled = false;
  const fail = (err: Error) => {
    if (settled) return;
    settled = true;
    req.off("data", onData);
    req.off("end", onEnd);
    done(err, EMPTY);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      fail(new BodyTooLargeError(limit));
      return;
    }
    chunks.push(chunk);
  };
  // Nothing is removed on "end": nothing is read after it, `settled` answers a late "error", and
  // the listeners go with the request (removing them was 0.6 µs of every request under perf).
  const onEnd = () => {
    if (settled) return;
    settled = true;
    done(undefined, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
  };
  req.on("data", onData);
  req.on("end", onEnd);
  req.on("error", fail);
  req.on("aborted", () => fail(new Error("request aborted")));
}

/** uint: a JSON number that is a whole number from 0 to 2^32 - 1 (keyfront's key versions). */
export type FieldKind = "bytes" | "string" | "uint";
export type Decoded<S extends Record<string, FieldKind>> = {
  [K in keyof S]:
    | (S[K] extends "bytes" ? Buffer : S[K] extends "uint" ? number : string)
    | undefined;
};

const MAX_UINT32 = 0xffff_ffff;

function decodeField(
  kind: FieldKind,
  name: string,
  v: unknown,
): Buffer | string | number | undefined {
  if (v === null) return undefined;
  if (kind === "uint") {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > MAX_UINT32) {
      throw new BodyDecodeError(`field '${name}' must be a whole number from 0 to ${MAX_UINT32}`);
    }
    return v;
  }
  if (typeof v !== "string") {
    throw new BodyDecodeError(
      `field '${name}' must be a ${kind === "bytes" ? "base64 " : ""}string`,
    );
  }
  if (kind === "string") return v;
  const bytes = decodeStdBase64(v); // as Go decodes []byte in JSON: CR/LF ignored, nothing else
  if (bytes === undefined) throw new BodyDecodeError(`field '${name}' is not valid base64`);
  return bytes;
}

/** A schema compiled once: its field names, lowercased names, kinds and an empty result. */
interface CompiledSchema {
  fields: string[];
  lower: string[];
  kinds: FieldKind[];
  /** Every field undefined, in schema order: each result is a copy, so all share one shape. */
  empty: Record<string, undefined>;
}
const compiled = new WeakMap<object, CompiledSchema>();

function compile(schema: Record<string, FieldKind>): CompiledSchema {
  let c = compiled.get(schema);
  if (c === undefined) {
    const fields = Object.keys(schema);
    if (fields.length > 30) throw new RangeError("decodeJsonBody: at most 30 fields");
    c = {
      fields,
      lower: fields.map((f) => f.toLowerCase()),
      kinds: fields.map((f) => schema[f] as FieldKind),
      empty: Object.fromEntries(fields.map((f) => [f, undefined])),
    };
    compiled.set(schema, c);
  }
  return c;
}

/**
 * Decodes a JSON object body against `schema` (field → kind). The body must be one flat object
 * (flat-json.ts): nesting, arrays and duplicate fields are refused before any value is decoded.
 * Two names that match the same schema field case-insensitively (`context`, `Context`) are
 * duplicates too: Go would silently keep the last one. Empty body → BodyDecodeError. Fields the
 * body does not have are undefined.
 */
export function decodeJsonBody<S extends Record<string, FieldKind>>(
  body: Buffer,
  schema: S,
): Decoded<S> {
  let doc: FlatObject;
  try {
    doc = parseFlatJson(body.toString("utf8"));
  } catch (err) {
    if (err instanceof FlatJsonError) throw new BodyDecodeError(err.message);
    throw err;
  }
  const c = compile(schema);
  const out: Record<string, Buffer | string | number | undefined> = { ...c.empty };
  if (doc === null) return out as Decoded<S>;
  let seen = 0;
  for (const [key, value] of doc) {
    let i = c.fields.indexOf(key);
    if (i < 0) i = c.lower.indexOf(key.toLowerCase());
    if (i < 0) throw new BodyDecodeError(`unknown field '${shortName(key)}'`);
    const field = c.fields[i] as string;
    if (seen & (1 << i)) throw new BodyDecodeError(`duplicate field '${field}'`);
    seen |= 1 << i;
    out[field] = decodeField(c.kinds[i] as FieldKind, field, value);
  }
  return out as Decoded<S>;
}
