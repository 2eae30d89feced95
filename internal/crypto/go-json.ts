// Reading JSON objects the way Go's encoding/json fills a struct: keys match field names
// case-insensitively (with Go's folding of U+017F and U+212A), null leaves a field unset,
// []byte fields are padded standard base64, a value of the wrong type is an error.
// Pure: no I/O. Must never throw anything but GoJsonError for malformed or mistyped input.

import { decodeStdBase64 } from "./std-base64.js";

export class GoJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GoJsonError";
  }
}

const LONG_S = /\u017f/g;

/** JSON.parse, or undefined when the text is not valid JSON. */
export function parseJsonText(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * JSON.parse of a text that must be one object with no object or array inside it, or undefined.
 * The check is one linear scan before JSON.parse, so a nested value costs no parse tree: a
 * megabyte of nested arrays costs JSON.parse 30–130 ms, a flat object of strings about 1 ms.
 */
export function parseFlatJsonText(text: string): { value: unknown } | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // An escaped character cannot end the string.
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > 1) return undefined;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return parseJsonText(text);
}

/** Values of the (lower-case) struct fields `names` in `value`; absent or null → not in the map. */
export function readStructFields(
  value: unknown,
  names: readonly string[],
): ReadonlyMap<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new GoJsonError("not a JSON object");
  }
  const fields = new Map<string, unknown>();
  for (const [key, v] of Object.entries(value)) {
    const folded = key.replace(LONG_S, "s").toLowerCase();
    if (v !== null && names.includes(folded)) fields.set(folded, v);
  }
  return fields;
}

/** A Go string field: absent → "". */
export function stringField(fields: ReadonlyMap<string, unknown>, name: string): string {
  const v = fields.get(name);
  if (v === undefined) return "";
  if (typeof v !== "string") throw new GoJsonError(`field '${name}' is not a string`);
  return v;
}

/** A Go []byte field: absent → empty; otherwise padded standard base64. */
export function bytesField(fields: ReadonlyMap<string, unknown>, name: string): Buffer {
  const v = fields.get(name);
  if (v === undefined) return Buffer.alloc(0);
  if (typeof v !== "string") throw new GoJsonError(`field '${name}' is not a string`);
  const bytes = decodeStdBase64(v);
  if (bytes === undefined) throw new GoJsonError(`field '${name}' is not valid base64`);
  return bytes;
}
