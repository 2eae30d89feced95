// A Vault-compatible HTTP(S) test server on 127.0.0.1 for keyfront's Vault keystore tests and for
// trying keyfront end to end: in-memory KV v1/v2, AppRole, TLS certificate auth (its listener asks
// for a client certificate without requiring one), tokens, ACL policies, namespaces,
// health/seal/init, transit, response wrapping, optional TLS with a CA it generates, and fault
// injection (programmatic and under `/__test/`). It is a test fixture, not a secret store: it
// must never persist anything, never listen beyond 127.0.0.1, and never log secrets.

import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from "node:net";
import { posix } from "node:path";
import { createServer as createTlsServer, TLSSocket } from "node:tls";
import { createCertificate } from "../../internal/pki/certificate.js";
import { generateKeyPair } from "../../internal/pki/keys.js";
import { createAppRoleBackend } from "./auth-approle.js";
import { createCertBackend } from "./auth-cert.js";
import { writeErrors } from "./envelope.js";
import {
  countRequests,
  createFaults,
  faultMessage,
  handleAdmin,
  type VaultFaults,
} from "./faults.js";
import { answerAsStandby, type HaControl, haControl, joinState } from "./ha.js";
import { createKv1Backend } from "./kv1.js";
import { createKv2Backend } from "./kv2.js";
import { METHOD_HEADER, wrapSocket } from "./list-method.js";
import { setupPolicies } from "./namespaces.js";
import { presentedChain, rememberChain } from "./peer-certs.js";
import { serveV1 } from "./request.js";
import { type Backend, type Namespace, newMount, newNamespace, type ServerState } from "./state.js";
import { createSysBackend } from "./sys-backend.js";
import { mintToken } from "./token-store.js";
import { createTokenBackend } from "./tokens.js";
import { createTransitBackend } from "./transit.js";
import { newUuid, randomAlnum } from "./util.js";

export type { VaultFaults } from "./faults.js";

export interface VaultTestServerOptions {
  port?: number;
  tls?: boolean;
  enterprise?: boolean;
  rootToken?: string;
  /** The one unseal key (base64) that `sys/unseal` accepts after a `sys/seal`; none by default. */
  unsealKey?: string;
  /** A loopback address to listen on (default 127.0.0.1); an HA node's own address. */
  host?: string;
  /** Extra DNS names in the TLS certificate (e.g. the name an HA cluster is reached by). */
  tlsNames?: string[];
  /** Join `peer`'s cluster: share its storage, tokens, policies and TLS certificate (ha.ts). */
  peer?: VaultTestServer;
}

export interface VaultTestServer {
  readonly addr: string;
  readonly rootToken: string;
  readonly caPem: string | undefined;
  readonly faults: VaultFaults;
  /** This node's role in an HA cluster (ha.ts). */
  readonly ha: HaControl;
  /** Requests received so far whose path (without /v1/) starts with `prefix` ("" = all). */
  requestCount(prefix?: string): number;
  resetRequestCount(): void;
  /** TCP connections accepted so far (TLS handshakes that failed included). */
  connectionCount(): number;
  close(): Promise<void>;
}

/** Vault's request size limit (vault-api.md §1.1). */
const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

function createBackend(type: string, options: Record<string, string> | null): Backend | undefined {
  if (type === "kv") return options?.version === "2" ? createKv2Backend() : createKv1Backend();
  if (type === "transit") return createTransitBackend();
  if (type === "approle") return createAppRoleBackend();
  if (type === "cert") return createCertBackend();
  return undefined;
}

function newState(enterprise: boolean, rootToken: string): ServerState {
  const root = newNamespace("", undefined);
  const state: ServerState = {
    enterprise,
    root,
    tokens: new Map(),
    seal: { initialized: true, sealed: false, threshold: 1, shares: [], progress: [], nonce: "" },
    health: { standby: false, perfStandby: false, drSecondary: false },
    faults: {
      latencyMs: 0,
      failCount: 0,
      failStatus: 500,
      dropCount: 0,
      loseWrites: 0,
      hideReads: 0,
    },
    requestCounts: new Map(),
    rootToken,
    clusterId: newUuid(),
    mountFactory: createBackend,
  };
  const sys = createSysBackend((ns) => setupNamespace(ns, sys));
  setupNamespace(root, sys);
  // Pre-mounted as `vault server -dev` does: `secret/` is the only K/V mount, and it is v2
  // (vault-api.md §4.1). Dev Vault's cubbyhole/ and identity/ are not simulated.
  root.mounts.set(
    "secret/",
    newMount("secret/", "kv", { version: "2" }, createKv2Backend(), "key/value secret storage"),
  );
  mintToken(state, {
    ns: root,
    policies: ["root"],
    noDefaultPolicy: true,
    path: "auth/token/root",
    displayName: "root",
    noExpiry: true,
    id: rootToken,
  });
  return state;
}

function setupNamespace(ns: Namespace, sys: Backend): void {
  ns.mounts.set(
    "sys/",
    newMount(
      "sys/",
      "system",
      null,
      sys,
      "system endpoints used for control, policy and debugging",
    ),
  );
  ns.authMounts.set(
    "token/",
    newMount("token/", "token", null, createTokenBackend(), "token based credentials"),
  );
  setupPolicies(ns);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** 301 to the cleaned path for `//`, `/./`, `/../` like Go's ServeMux (quirk 29). */
function redirectIfUnclean(url: URL, res: ServerResponse): boolean {
  const p = url.pathname;
  if (!/\/\/|\/\.\.?(\/|$)/.test(p)) return false;
  const cleaned = posix.normalize(p);
  res.writeHead(301, { Location: `${cleaned}${url.search}`, "Content-Length": 0 });
  res.end();
  return true;
}

/** Applies latency, dropped connections and injected failures; true when the request is done. */
async function applyFaults(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const f = state.faults;
  if (f.latencyMs > 0) await new Promise((r) => setTimeout(r, f.latencyMs));
  if (f.dropCount > 0) {
    f.dropCount--;
    req.socket.destroy();
    return true;
  }
  if (f.failCount > 0) {
    f.failCount--;
    writeErrors(res, f.failStatus, [faultMessage(f.failStatus, path)]);
    return true;
  }
  return false;
}

async function handleRequest(
  state: ServerState,
  faults: VaultFaults,
  caPem: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (redirectIfUnclean(url, res)) return;
  const raw = await readBody(req);
  if (url.pathname.startsWith("/__test/")) {
    let body: unknown;
    try {
      body = raw && raw.length > 0 ? JSON.parse(raw.toString("utf8")) : {};
    } catch {
      return writeErrors(res, 400, ["error parsing JSON"]);
    }
    return handleAdmin(state, faults, caPem, req, res, url, body);
  }
  if (!url.pathname.startsWith("/v1/")) return writeErrors(res, 404, []);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice(4));
  } catch {
    return writeErrors(res, 400, []);
  }
  state.requestCounts.set(path, (state.requestCounts.get(path) ?? 0) + 1);
  if (await applyFaults(state, req, res, path)) return;
  if (answerAsStandby(state, req, res, url, path)) return;
  if (raw === undefined) return writeErrors(res, 413, ["http: request body too large"]);
  await serveV1(state, req, res, url, path, raw);
}

interface TlsMaterial {
  caPem: string;
  key: string;
  cert: string;
}
/** Each node's state and TLS material, for a peer joining its cluster. */
const nodes = new WeakMap<VaultTestServer, { state: ServerState; tls: TlsMaterial | undefined }>();

function makeTls(names: string[] = []): TlsMaterial {
  const caKeys = generateKeyPair("ecdsa-p256");
  const ca = createCertificate({ subject: "vault-test-server CA", keyPair: caKeys, isCA: true });
  const serverKeys = generateKeyPair("ecdsa-p256");
  const cert = createCertificate({
    subject: "localhost",
    keyPair: serverKeys,
    issuer: { certPem: ca.certPem, keyPair: caKeys },
    dns: ["localhost", ...names],
    ips: ["127.0.0.1", "127.0.0.2"],
    extKeyUsage: ["serverAuth"],
  });
  return { caPem: ca.certPem, key: serverKeys.privateKeyPem, cert: cert.certPem };
}

export async function startVaultTestServer(
  opts: VaultTestServerOptions = {},
): Promise<VaultTestServer> {
  const peer = opts.peer === undefined ? undefined : nodes.get(opts.peer);
  const rootToken = peer?.state.rootToken ?? opts.rootToken ?? `hvs.${randomAlnum(24)}`;
  const state = peer ? joinState(peer.state) : newState(opts.enterprise ?? true, rootToken);
  if (opts.unsealKey && !peer) state.seal.shares = [Buffer.from(opts.unsealKey, "base64")];
  const faults = createFaults(state);
  if (peer) faults.reset(); // a joining node starts unsealed, active, without faults
  const tls = peer ? peer.tls : opts.tls === true ? makeTls(opts.tlsNames) : undefined;
  const host = opts.host ?? "127.0.0.1";
  if (!host.startsWith("127.")) throw new Error(`vault test server: ${host} is not loopback`);
  const sockets = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers[METHOD_HEADER] === "LIST") {
      req.method = "LIST";
      delete req.headers[METHOD_HEADER];
    }
    handleRequest(state, faults, tls?.caPem, req, res).catch(() => {
      if (!res.headersSent) writeErrors(res, 500, ["internal error"]);
      else res.destroy();
    });
  };
  const http = createHttpServer(onRequest);
  const onSocket = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    const wrapped = wrapSocket(s);
    if (s instanceof TLSSocket) rememberChain(wrapped, presentedChain(s));
    http.emit("connection", wrapped);
  };
  // A raw TCP/TLS listener feeds node:http through the LIST-verb rewriter (see list-method.ts).
  // Like Vault's listener it asks for a client certificate without requiring or verifying one
  // (the cert auth method verifies it).
  const server: NetServer = tls
    ? createTlsServer(
        { key: tls.key, cert: tls.cert, requestCert: true, rejectUnauthorized: false },
        onSocket,
      )
    : createNetServer(onSocket);
  let accepted = 0;
  server.on("connection", (s: Socket) => {
    accepted++;
    if (tls) sockets.add(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const node: VaultTestServer = {
    addr: `${tls ? "https" : "http"}://${host}:${port}`,
    rootToken,
    caPem: tls?.caPem,
    faults,
    ha: haControl(state),
    requestCount: (prefix = "") => countRequests(state, prefix),
    resetRequestCount: () => state.requestCounts.clear(),
    connectionCount: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        http.close();
        for (const s of sockets) s.destroy();
      }),
  };
  nodes.set(node, { state, tls });
  return node;
}
