// The client certificate chain each TLS connection to the Vault test server presented, kept per
// socket (the socket node:http sees is the LIST-rewriting wrapper, list-method.ts) for the `cert`
// auth method. Vault's listener requests a client certificate without requiring or verifying
// one: verification is the auth method's business (auth-cert.ts). Nothing here is trusted.

import type { IncomingMessage } from "node:http";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";

/** Certificates a peer may send that are kept (leaf first). */
const MAX_CHAIN = 10;

const chains = new WeakMap<object, readonly Buffer[]>();

/** The DER certificates `tls` presented, leaf first as the client sent them; [] for none. */
export function presentedChain(tls: TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  // {} when the peer sent no certificate.
  let cert: Partial<DetailedPeerCertificate> | undefined = tls.getPeerCertificate(true);
  while (cert?.raw !== undefined && out.length < MAX_CHAIN) {
    const raw = cert.raw;
    if (out.some((d) => d.equals(raw))) break;
    out.push(raw);
    cert = cert.issuerCertificate;
  }
  return out;
}

export function rememberChain(socket: object, chain: readonly Buffer[]): void {
  chains.set(socket, chain);
}

/** The chain the connection of `req` presented; [] over plain HTTP or without a certificate. */
export function chainOf(req: IncomingMessage): readonly Buffer[] {
  return chains.get(req.socket) ?? [];
}
