// Trusted TLS proxies (kes-api.md §5.5): a request whose TLS peer is a listed proxy identity is
// made on behalf of the client whose certificate the proxy forwards in `tls.proxy.header.cert`;
// any other peer sending that header is refused. Compiled once per configuration; when no proxy
// is configured none of this runs (auth.ts checks one field). The caller is decided per request,
// never cached on the connection (a proxy multiplexes many clients over one); a forwarded
// certificate is parsed once and its identity kept by header value (bounded).

import { X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { Config } from "../config/config.js";
import {
  errForwardedUntrusted,
  errInvalidClientCert,
  errNoClientCert,
  errTooManyClientCerts,
  errUntrustedProxy,
} from "../errors.js";
import {
  identityOfForwardedCert,
  outsideWindow,
  type TrustWindow,
  trustWindow,
} from "../identity/forwarded.js";
import { PROXY_CERT_CACHE_MAX_ENTRIES, PROXY_CERT_HEADER_MAX_BYTES } from "../limits.js";
import { parsePemBlocks } from "../pki/pem.js";

export interface ProxyTrust {
  readonly identities: ReadonlySet<string>;
  /** The header name as configured (for messages) and lowercased (for lookups). */
  readonly header: string;
  readonly headerKey: string;
  /** With `tls.auth: on`: the client CA pool a forwarded certificate must chain to directly. */
  readonly pool: readonly X509Certificate[] | undefined;
  /** Header value → identity (and trust window), so a certificate is parsed once, not per request. */
  readonly known: Map<string, { identity: string; window: TrustWindow | undefined }>;
}

/** Who a proxied request came through: recorded in its audit event. */
export interface ProxyHop {
  proxy?: { identity: string; ip: string } | undefined;
  /** The client IP from X-Forwarded-For, when the trusted proxy sent a usable one. */
  ip?: string;
}

/** The compiled proxy trust, or undefined when no proxy is configured. `caPems` from loadTls. */
export function compileProxyTrust(
  tls: Config["tls"],
  caPems: readonly string[] | undefined,
): ProxyTrust | undefined {
  if (tls.proxy === undefined) return undefined;
  const pool = tls.auth === "on" ? (caPems ?? []).flatMap(casOfPem) : undefined;
  return {
    identities: new Set(tls.proxy.identities),
    header: tls.proxy.header,
    headerKey: tls.proxy.header.toLowerCase(),
    pool,
    known: new Map(),
  };
}

/** The CA certificates of one pool entry; what cannot be parsed trusts nothing (fail closed). */
function casOfPem(pem: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  try {
    for (const block of parsePemBlocks(pem)) {
      if (block.type === "CERTIFICATE") out.push(new X509Certificate(block.der));
    }
  } catch {
    // the TLS layer has loaded the same pool; a block it would refuse adds no trust here
  }
  return out;
}

/** Every value of header `key` (lowercase), repeated headers kept apart (Node joins them). */
function headerValues(req: IncomingMessage, key: string): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === key) out.push(raw[i + 1] as string);
  }
  return out;
}

/**
 * The client IP a trusted proxy reports: the first X-Forwarded-For element, port stripped, if it
 * is an IP address (`unknown` and anything else are ignored, kes-api.md §5.5).
 */
export function forwardedClientIp(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let first = (value.split(",")[0] ?? "").trim();
  if (first.startsWith("[")) first = first.slice(1, first.indexOf("]") >>> 0);
  else if (isIP(first) === 0 && first.includes(":")) first = first.slice(0, first.lastIndexOf(":"));
  return isIP(first) === 0 ? undefined : first;
}

/**
 * The identity a request acts as, given its TLS peer's identity `peer`: the peer itself, or for a
 * trusted proxy the forwarded client's (recorded in `hop`). Throws the catalogue error otherwise.
 */
export function callerIdentity(
  req: IncomingMessage,
  peer: string,
  trust: ProxyTrust,
  hop: ProxyHop | undefined,
): string {
  if (!trust.identities.has(peer)) {
    if (req.headers[trust.headerKey] !== undefined) throw errUntrustedProxy(trust.header);
    return peer;
  }
  const values = headerValues(req, trust.headerKey);
  if (values.length > 1) {
    throw errTooManyClientCerts(`the trusted proxy sent the ${trust.header} header more than once`);
  }
  const value = values[0]?.trim() ?? "";
  if (value === "") {
    throw errNoClientCert(`the trusted proxy sent no ${trust.header} header`);
  }
  const known = resolve(trust, value);
  if (known.window !== undefined) {
    const why = outsideWindow(known.window, Date.now());
    if (why !== undefined) throw errForwardedUntrusted(why);
  }
  if (hop !== undefined) {
    hop.proxy = { identity: peer, ip: req.socket.remoteAddress ?? "" };
    const xff = req.headers["x-forwarded-for"];
    const ip = forwardedClientIp(typeof xff === "string" ? xff : xff?.[0]);
    if (ip !== undefined) hop.ip = ip;
  }
  return known.identity;
}

/**
 * The identity (and trust window) of a forwarded certificate header value, from the cache or
 * parsed and added to it; the oldest entry goes beyond PROXY_CERT_CACHE_MAX_ENTRIES. Values that
 * are refused are not cached. A reload compiles a new, empty cache.
 */
function resolve(trust: ProxyTrust, value: string) {
  const hit = trust.known.get(value);
  if (hit !== undefined) return hit;
  const fwd = identityOfForwardedCert(value, PROXY_CERT_HEADER_MAX_BYTES);
  if ("error" in fwd) throw errInvalidClientCert(fwd.error);
  const entry = {
    identity: fwd.identity,
    window: trust.pool === undefined ? undefined : trustWindow(fwd.cert, trust.pool),
  };
  if (trust.known.size >= PROXY_CERT_CACHE_MAX_ENTRIES) {
    const oldest = trust.known.keys().next();
    if (!oldest.done) trust.known.delete(oldest.value);
  }
  trust.known.set(value, entry);
  return entry;
}
