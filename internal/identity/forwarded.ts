// The client certificate a trusted TLS proxy forwards in a request header (kes-api.md §5.5): a
// URL-encoded PEM certificate, as nginx's `$ssl_client_escaped_cert` sends it. Decodes it to an
// identity under the same leaf-only rule as a direct peer (identity.ts), and, when keyfront
// verifies client certificates itself (`tls.auth: on`), checks it against the client CA pool.
// Pure: node:crypto and the PEM reader only. It must never put certificate bytes into a message.

import { X509Certificate } from "node:crypto";
import { parsePemBlocks } from "../pki/pem.js";
import { identityOfPeerLeaf } from "./identity.js";

export type ForwardedCert =
  | { readonly identity: string; readonly cert: X509Certificate }
  | { readonly error: string };

/**
 * The identity of the forwarded certificate in `value` (the raw header value), or why there is
 * none. Exactly one PEM CERTIFICATE block, nothing else but whitespace; a CA-flagged certificate
 * never names a client (as for a direct peer, issue 8).
 */
export function identityOfForwardedCert(value: string, maxBytes: number): ForwardedCert {
  if (value.length > maxBytes) {
    return { error: `forwarded certificate header is larger than ${maxBytes} bytes` };
  }
  let pem: string;
  try {
    // Percent-decoding only: a `+` stays a `+` (base64), as nginx escapes a space as %20.
    pem = decodeURIComponent(value).trim();
  } catch {
    return { error: "forwarded certificate header is not valid URL encoding" };
  }
  let der: Buffer;
  try {
    const blocks = parsePemBlocks(pem);
    const only = blocks[0];
    if (blocks.length !== 1 || only === undefined || only.type !== "CERTIFICATE") {
      return { error: "forwarded certificate header is not exactly one PEM CERTIFICATE block" };
    }
    if (!pem.startsWith("-----BEGIN") || !pem.endsWith("-----") || only.headers.size > 0) {
      return { error: "forwarded certificate header holds more than its PEM CERTIFICATE block" };
    }
    der = only.der;
  } catch {
    return { error: "forwarded certificate header is not a valid PEM block" };
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return { error: "forwarded certificate is not a valid X.509 certificate" };
  }
  const id = identityOfPeerLeaf(der);
  if ("identity" in id) return { identity: id.identity, cert };
  if (id.error === "none") return { error: "forwarded certificate is a CA certificate" };
  return { error: "forwarded certificate is not a valid X.509 certificate" };
}

const OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const OID_ANY_EKU = "2.5.29.37.0";

/** When a forwarded certificate is trusted, in ms since the epoch; or why it never is. */
export type TrustWindow =
  | { readonly from: number; readonly to: number }
  | { readonly reason: string };

/**
 * Whether `cert` can be a client certificate at all: usable for client authentication (if it has
 * an EKU) and issued and signed directly by a CA certificate of `pool` (a proxy forwards the leaf
 * only, so no intermediate). If so, the window in which it and its CA are both valid. Signature
 * checks are costly: the caller computes this once per certificate and checks dates per request.
 */
export function trustWindow(cert: X509Certificate, pool: readonly X509Certificate[]): TrustWindow {
  const eku = cert.keyUsage;
  if (eku !== undefined && !eku.includes(OID_CLIENT_AUTH) && !eku.includes(OID_ANY_EKU)) {
    return { reason: "certificate is not for client authentication" };
  }
  const issuer = pool.find((ca) => ca.ca && cert.checkIssued(ca) && cert.verify(ca.publicKey));
  if (issuer === undefined) return { reason: "certificate is not signed by a trusted CA" };
  return {
    from: Math.max(Date.parse(cert.validFrom), Date.parse(issuer.validFrom)),
    to: Math.min(Date.parse(cert.validTo), Date.parse(issuer.validTo)),
  };
}

/** Why a certificate with trust window `w` is not trusted at `nowMs`; undefined when it is. */
export function outsideWindow(w: TrustWindow, nowMs: number): string | undefined {
  if ("reason" in w) return w.reason;
  if (nowMs < w.from) return "certificate is not yet valid";
  if (nowMs > w.to) return "certificate or its CA has expired";
  return undefined;
}

/** Why `cert` is not trusted as a client certificate at `nowMs`, or undefined when it is. */
export function untrustedReason(
  cert: X509Certificate,
  pool: readonly X509Certificate[],
  nowMs: number,
): string | undefined {
  return outsideWindow(trustWindow(cert, pool), nowMs);
}
