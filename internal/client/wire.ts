// Wire helpers of the client: endpoint normalisation (kes-api.md §11.3), base64 fields, PEM
// certificates, and key-list pages of every era (§3.6). Pure: no I/O.

import { parsePemBlocks } from "../pki/pem.js";
import { KeyfrontError } from "./errors.js";
import type { HttpAnswer } from "./transport.js";

/** `host:port` → `https://host:port`; an `http://` prefix is replaced (kes-api.md §11.3). */
export function normalizeEndpoint(text: string): string {
  let e = text.trim().replace(/^http:\/\//i, "");
  if (!/^https:\/\//i.test(e)) e = `https://${e}`;
  const url = new URL(e);
  if (url.pathname !== "/" || url.search !== "") throw new Error(`invalid endpoint '${text}'`);
  return url.origin;
}

/** The DER of the first CERTIFICATE block of PEM text, or undefined. */
export function firstCertificate(pem: string): Buffer | undefined {
  try {
    return parsePemBlocks(pem).find((b) => b.type === "CERTIFICATE")?.der;
  } catch {
    return undefined;
  }
}

export const seg = (s: string) => encodeURIComponent(s);
export const b64 = (b: Uint8Array | string) =>
  (typeof b === "string" ? Buffer.from(b, "utf8") : Buffer.from(b)).toString("base64");
export const bytesOf = (s: unknown) => Buffer.from(typeof s === "string" ? s : "", "base64");

/** A key-list page: today's JSON, or the ndjson lines of KES ≤ 2023-10 (kes-api.md §3.6). */
export function parseKeyPage(answer: HttpAnswer): { names: string[]; continueAt: string } {
  const text = answer.body.toString("utf8");
  if (answer.contentType.startsWith("application/x-ndjson")) {
    const names: string[] = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const doc = JSON.parse(line) as { name?: string; Name?: string; error?: string };
      if (doc.error) throw new KeyfrontError(answer.status, doc.error);
      const name = doc.name ?? doc.Name;
      if (name !== undefined) names.push(name);
    }
    return { names: names.sort(), continueAt: "" };
  }
  const doc = JSON.parse(text) as { names?: string[] | null; continue_at?: string };
  return { names: doc.names ?? [], continueAt: doc.continue_at ?? "" };
}

/**
 * A key version of an answer: keyfront sends a decimal string ("2"); KES sends none or "" (its
 * §7.10 field, accepted and ignored). Anything else is not a version: undefined.
 */
export function versionOf(field: unknown): number | undefined {
  const text = typeof field === "number" ? String(field) : field;
  if (typeof text !== "string" || !/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffffffff ? n : undefined;
}

/** The optional `"version"` request field (a decimal string), checked before it is sent. */
export function versionField(version: number | undefined): { version?: string } {
  if (version === undefined) return {};
  if (!Number.isSafeInteger(version) || version < 1 || version > 0xffffffff) {
    throw new RangeError(`invalid key version ${version}: a whole number from 1`);
  }
  return { version: String(version) };
}

/** The optional `"context"` request field. */
export const ctxField = (context: Uint8Array | string | undefined) =>
  context === undefined ? {} : { context: b64(context) };
