// Request-path normalisation, done before any routing or policy decision (kes-api.md §1.3).
// The path is percent-decoded once, checked, and cleaned the way Go's ServeMux does; a path that
// is not already clean is answered with a redirect to its clean form, so a policy is only ever
// evaluated on the exact string the handler then receives. Must never hand a handler a path that
// differs from the one the policy saw. Pure.

import { MAX_URL_BYTES } from "../limits.js";

export type PathResult =
  | { kind: "ok"; path: string }
  | { kind: "redirect"; location: string }
  | { kind: "bad"; message: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Percent-decodes `raw`; undefined if an escape is malformed or the bytes are not UTF-8. */
export function decodePath(raw: string): string | undefined {
  if (!raw.includes("%")) return raw;
  const bytes = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c > 0x7f) return undefined; // Node's parser never passes raw non-ASCII; be strict anyway
    if (c !== 0x25) {
      bytes[n++] = c;
      continue;
    }
    const hi = hexValue(raw.charCodeAt(i + 1));
    const lo = hexValue(raw.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return undefined;
    bytes[n++] = hi * 16 + lo;
    i += 2;
  }
  try {
    return utf8.decode(bytes.subarray(0, n));
  } catch {
    return undefined;
  }
}

/** An empty segment or a `.`/`..` segment anywhere: the only things Clean changes. */
const NEEDS_CLEANING = /\/\/|\/\.\.?(?:\/|$)/;

/** Go's path.Clean on an absolute path, keeping a trailing slash as ServeMux does. */
export function cleanPath(p: string): string {
  if (p === "") return "/";
  if (p.startsWith("/") && !NEEDS_CLEANING.test(p)) return p;
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  let clean = `/${out.join("/")}`;
  if (p.endsWith("/") && clean !== "/") clean += "/";
  return clean;
}

/** Encodes a decoded path for a Location header: everything but unreserved characters and `/`. */
export function encodePath(p: string): string {
  return encodeURIComponent(p).replaceAll("%2F", "/");
}

/** Decodes, checks and cleans the path of a request target such as `/v1/key/list?x=1`. */
export function normalizeRequestPath(target: string): PathResult {
  if (target.length > MAX_URL_BYTES) return { kind: "bad", message: "request URL is too long" };
  if (!target.startsWith("/")) return { kind: "bad", message: "invalid request path" };
  const q = target.search(/[?#]/);
  const raw = q < 0 ? target : target.slice(0, q);
  const path = decodePath(raw);
  if (path === undefined) return { kind: "bad", message: "invalid URL escape in request path" };
  if (path.includes("\0")) return { kind: "bad", message: "request path contains a NUL byte" };
  const clean = cleanPath(path);
  if (clean !== path) {
    return { kind: "redirect", location: encodePath(clean) + (q < 0 ? "" : target.slice(q)) };
  }
  return { kind: "ok", path };
}
