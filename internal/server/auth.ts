// Who is calling: the identity of a TLS connection (kes-api.md §5.1), computed once per
// connection and kept on the socket, or for a trusted TLS proxy the client it forwards (§5.5,
// proxy.ts, per request); and the access decision for a route (§6.2). With `tls.auth: on` a
// presented certificate must also have been verified by the TLS layer.

import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { ApiError, errCertRequired, errNotAllowed } from "../errors.js";
import { identityOfPeerLeaf, type PeerIdentity } from "../identity/identity.js";
import { callerIdentity, type ProxyHop } from "./proxy.js";
import type { AuthMode } from "./route.js";
import type { ServerState } from "./state.js";

const IDENTITY = Symbol("keyfront.peerIdentity");
type IdentifiedSocket = TLSSocket & { [IDENTITY]?: PeerIdentity };

/**
 * The connection's identity, computed on first use and cached on the socket. Only the leaf counts:
 * it is the one certificate whose key the handshake proved. On a resumed session (TLS 1.2 or 1.3
 * tickets) OpenSSL returns the leaf stored in the session, i.e. the one proven in its full
 * handshake; a session made without a certificate resumes without one. Renegotiation, which could
 * swap the certificate under a cached identity, is refused by the TLS layer (state.ts loadTls).
 */
export function identityOfSocket(socket: TLSSocket): PeerIdentity {
  const s = socket as IdentifiedSocket;
  let id = s[IDENTITY];
  if (id === undefined) {
    const leaf = socket.getPeerCertificate(false);
    id = identityOfPeerLeaf(leaf?.raw);
    s[IDENTITY] = id;
  }
  return id;
}

function requireIdentity(req: IncomingMessage, state: ServerState, hop?: ProxyHop): string {
  const socket = req.socket as TLSSocket;
  const id = identityOfSocket(socket);
  if ("error" in id) {
    if (id.error === "none") throw errCertRequired();
    throw new ApiError(400, "tls: client certificate cannot be parsed");
  }
  if (state.tlsAuth === "on" && !socket.authorized) {
    const reason = String(socket.authorizationError ?? "unknown reason");
    throw new ApiError(400, `tls: client certificate is not trusted: ${reason}`);
  }
  // No proxy configured: this one field check is all the proxy support costs a request.
  const proxy = state.proxy;
  return proxy === undefined ? id.identity : callerIdentity(req, id.identity, proxy, hop);
}

/**
 * Authenticates and authorises one request; returns the identity ("" when none is needed). A
 * request through a trusted proxy fills `hop` with the proxy and the client IP it reports.
 */
export function authorize(
  req: IncomingMessage,
  mode: AuthMode,
  path: string,
  state: ServerState,
  hop?: ProxyHop,
): string {
  if (mode === "none") return "";
  if (mode === "identify") {
    try {
      return requireIdentity(req, state, hop);
    } catch {
      return "";
    }
  }
  const identity = requireIdentity(req, state, hop);
  if (!state.policies.allows(identity, path)) throw errNotAllowed();
  return identity;
}
