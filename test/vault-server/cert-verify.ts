// Client certificate chain verification for the Vault test server's `cert` auth method, as Go's
// x509.Certificate.Verify does it for Vault (auth-cert.ts): the leaf's validity period first
// (an expired leaf is an error whatever the roots), then a chain through the presented
// intermediates to one of the roots, then the client-auth extended key usage. An unknown
// authority is not an error but "no chain" (Vault then answers 400, not 500). Test fixture only.

import { X509Certificate } from "node:crypto";

/** Longest chain built (leaf to root). */
const MAX_DEPTH = 8;
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const ANY_EKU = "2.5.29.37.0";

export type Verified =
  | { kind: "chains"; chains: X509Certificate[][] }
  | { kind: "unknown-authority" }
  | { kind: "error"; message: string };

/** Go's time.RFC3339 in UTC, as in x509's CertificateInvalidError text. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Go's "x509: certificate has expired or is not yet valid: …", or undefined when valid now. */
export function validityError(cert: X509Certificate, now: number): string | undefined {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const prefix = "x509: certificate has expired or is not yet valid: current time";
  if (now < from) return `${prefix} ${rfc3339(now)} is before ${rfc3339(from)}`;
  if (now > to) return `${prefix} ${rfc3339(now)} is after ${rfc3339(to)}`;
  return undefined;
}

function issues(issuer: X509Certificate, child: X509Certificate, now: number): boolean {
  if (!issuer.ca || validityError(issuer, now) !== undefined) return false;
  if (!child.checkIssued(issuer)) return false;
  try {
    return child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** `presented` is the peer's DER chain, leaf first; `roots` the CA certificates trusted. */
export function verifyClientChain(
  presented: readonly Buffer[],
  roots: readonly X509Certificate[],
  now: number,
): Verified {
  const [leafDer, ...rest] = presented;
  if (leafDer === undefined) return { kind: "unknown-authority" };
  let leaf: X509Certificate;
  let intermediates: X509Certificate[];
  try {
    leaf = new X509Certificate(leafDer);
    intermediates = rest.map((d) => new X509Certificate(d));
  } catch (err) {
    return { kind: "error", message: `x509: malformed certificate: ${(err as Error).message}` };
  }
  const invalid = validityError(leaf, now);
  if (invalid !== undefined) return { kind: "error", message: invalid };
  const chains: X509Certificate[][] = [];
  const extend = (chain: X509Certificate[]) => {
    const tip = chain[chain.length - 1] as X509Certificate;
    for (const root of roots) if (issues(root, tip, now)) chains.push([...chain, root]);
    if (chain.length >= MAX_DEPTH) return;
    for (const mid of intermediates) {
      if (chain.some((c) => c.raw.equals(mid.raw)) || !issues(mid, tip, now)) continue;
      extend([...chain, mid]);
    }
  };
  extend([leaf]);
  if (chains.length === 0) return { kind: "unknown-authority" };
  const usages = leaf.keyUsage;
  if (usages !== undefined && !usages.includes(CLIENT_AUTH) && !usages.includes(ANY_EKU)) {
    return { kind: "error", message: "x509: certificate specifies an incompatible key usage" };
  }
  return { kind: "chains", chains };
}
