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

/** Reads at most `limit` bytes of the request body; more → BodyTooLargeError. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(new BodyTooLargeError(limit));
  }
  if (
    declared === "0" ||
    (declared === undefined && req.headers["transfer-encoding"] === undefined)
  ) {
    return Promise.resolve(EMPTY);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    // No cleanup on "end": nothing is read after it, a late "error" settles nothing, and the
    // listeners go with the request (removing them was 0.6 µs of every request under perf).
    const onEnd = () => {
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
    };
    const onAborted = () => onError(new Error("request aborted"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
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
