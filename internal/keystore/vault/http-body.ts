// Reading and parsing Vault's response bodies for the HTTP client (http.ts): a byte cap checked
// against Content-Length and while streaming, lenient JSON, and the `errors` and `warnings` arrays
// of Vault's envelopes (vault-api.md §1.2, §1.3). It must never log or keep a body it rejects.

import type { IncomingMessage } from "node:http";
import { VAULT_MAX_WARNINGS } from "../../limits.js";

/** A response larger than the cap: never retried, never parsed. */
export class BodyTooLargeError extends Error {}

export function readCapped(res: IncomingMessage, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(res.headers["content-length"] ?? "0");
    if (declared > cap) {
      reject(new BodyTooLargeError(`vault: response body exceeds ${cap} bytes`));
      res.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (c: Buffer) => {
      size += c.length;
      if (size > cap) {
        reject(new BodyTooLargeError(`vault: response body exceeds ${cap} bytes`));
        res.destroy();
      } else chunks.push(c);
    });
    res.on("end", () => resolve(Buffer.concat(chunks)));
    res.on("error", reject);
    res.on("aborted", () => reject(new Error("response aborted")));
  });
}

export function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    return undefined;
  }
}

export function errorsOf(body: unknown): string[] {
  if (typeof body !== "object" || body === null) return [];
  const errors = (body as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errors.filter((e): e is string => typeof e === "string") : [];
}

export function warningsOf(body: unknown): string[] {
  if (typeof body !== "object" || body === null) return [];
  const warnings = (body as { warnings?: unknown }).warnings;
  if (!Array.isArray(warnings)) return [];
  return warnings.filter((w): w is string => typeof w === "string").slice(0, VAULT_MAX_WARNINGS);
}
