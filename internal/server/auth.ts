// Who is calling: the identity of a TLS connection (kes-api.md §5.1), computed once per
// connection and kept on the socket, and the access decision for a route (§6.2). With
// `tls.auth: on` a presented certificate must also have been verified by the TLS layer.

import type { TLSSocket } from "node:tls";
import { ApiError, errCertRequired, errNotAllowed, errTooManyCerts } from "../errors.js";
import { identityFromPeerChain, type PeerIdentity } from "../identity/identity.js";
import { MAX_PEER_CHAIN } from "../limits.js";
import type { AuthMode } from "./route.js";
import type { ServerState } from "./state.js";

const IDENTITY = Symbol("keyfront.peerIdentity");
type IdentifiedSocket = TLSSocket & { [IDENTITY]?: PeerIdentity };

/** The DER certificates the peer sent, leaf first. */
function peerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let cert = socket.getPeerCertificate(true);
  while (cert?.raw && chain.length < MAX_PEER_CHAIN) {
    chain.push(cert.raw);
    const next = cert.issuerCertificate;
    if (!next || next === cert || next.raw?.equals(cert.raw)) break;
    cert = next;
  }
  return chain;
}

/** The connection's identity, computed on first use and cached on the socket. */
export function identityOfSocket(socket: TLSSocket): PeerIdentity {
  const s = socket as IdentifiedSocket;
  let id = s[IDENTITY];
  if (id === undefined) {
    id = identityFromPeerChain(peerChain(socket));
    s[IDENTITY] = id;
  }
  return id;
}

function requireIdentity(socket: TLSSocket, state: ServerState): string {
  const id = identityOfSocket(socket);
  if ("error" in id) throw id.error === "none" ? errCertRequired() : errTooManyCerts();
  if (state.tlsAuth === "on" && !socket.authorized) {
    const reason = String(socket.authorizationError ?? "unknown reason");
    throw new ApiError(400, `tls: client certificate is not trusted: ${reason}`);
  }
  return id.identity;
}

/** Authenticates and authorises one request; returns the identity ("" when none is needed). */
export function authorize(
  socket: TLSSocket,
  mode: AuthMode,
  path: string,
  state: ServerState,
): string {
  if (mode === "none") return "";
  if (mode === "identify") {
    try {
      return requireIdentity(socket, state);
    } catch {
      return "";
    }
  }
  const identity = requireIdentity(socket, state);
  if (!state.policies.allows(identity, path)) throw errNotAllowed();
  return identity;
}
