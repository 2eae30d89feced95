// The server's state for one configuration, built completely before it serves (certificates
// loaded, policies compiled, keystore connected, predefined keys created), and the process-wide
// runtime (logs, metrics) that outlives reloads. A reload builds a new state and swaps one
// reference; building must never touch the state that is serving.

import { constants, X509Certificate } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { rootCertificates, type SecureContextOptions } from "node:tls";
import type { Config } from "../config/config.js";
import { formatTimestamp, nowTimestamp } from "../crypto/timestamp.js";
import { ApiError } from "../errors.js";
import { KeyCache } from "../keys/cache.js";
import { KeyService, ringLoader } from "../keys/key-service.js";
import type { Ring } from "../keys/ring.js";
import type { KeyScheduler } from "../keys/scheduler.js";
import { startScheduler } from "../keys/scheduler-target.js";
import { CaseInsensitiveDirError } from "../keystore/fs/fs-checks.js";
import { connectFs } from "../keystore/fs/fs-store.js";
import type { KeyStore } from "../keystore/keystore.js";
import { connectVault } from "../keystore/vault/vault-store.js";
import type { AuditLog } from "../log/audit.js";
import type { LogHub } from "../log/hub.js";
import type { Logger } from "../log/logger.js";
import { loadPrivateKeyPem } from "../pki/keys.js";
import { certificatePemBlocks } from "../pki/pem.js";
import { PolicySet } from "../policy/policy.js";
import type { Metrics } from "./metrics.js";
import { compileProxyTrust, type ProxyTrust } from "./proxy.js";
import { Router } from "./router.js";
import { ROUTES } from "./routes.js";

export interface Runtime {
  readonly log: Logger;
  readonly audit: AuditLog;
  readonly errorHub: LogHub;
  readonly auditHub: LogHub;
  readonly metrics: Metrics;
  readonly version: string;
  readonly commit: string;
}

/**
 * Requests in flight on one state: a reload closes the old state's keystore only once they
 * have ended (or after a bound), so no request loses its keystore halfway.
 */
export class InFlight {
  #count = 0;
  #idle: (() => void)[] = [];

  get count(): number {
    return this.#count;
  }

  /** Counts one request; the returned function (idempotent) ends it. */
  enter(): () => void {
    this.add();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.done();
    };
  }

  /** Counts one request (the request loop's closure-free form of enter: call done() once). */
  add(): void {
    this.#count++;
  }

  /** Ends one request counted by add(). */
  done(): void {
    if (--this.#count === 0) for (const wake of this.#idle.splice(0)) wake();
  }

  /** Resolves true once no request is in flight, or false after `maxMs`. */
  drained(maxMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idle = this.#idle.filter((w) => w !== wake);
        resolve(false);
      }, maxMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#idle.push(wake);
    });
  }
}

export interface ServerState {
  readonly config: Config;
  /** The requests being served on this state (all but the log streams). */
  readonly inFlight: InFlight;
  readonly policies: PolicySet;
  readonly store: KeyStore;
  readonly cache: KeyCache<Ring>;
  readonly keys: KeyService;
  /** Rotates due keys and purges keys whose deletion window ended (issue 10). */
  readonly scheduler: KeyScheduler;
  readonly router: Router;
  /** RFC 3339 time this configuration was loaded: policies' and identities' created_at. */
  readonly loadedAt: string;
  readonly tlsAuth: "on" | "off";
  readonly secure: SecureContextOptions;
  /** Trusted TLS proxies (kes-api.md §5.5); undefined when none is configured. */
  readonly proxy: ProxyTrust | undefined;
}

/** A startup/reload problem the operator must fix; the message says what and where. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
}

async function readCaPems(path: string): Promise<string[]> {
  const info = await stat(path);
  const files = info.isDirectory()
    ? (await readdir(path)).filter((f) => !f.startsWith(".")).map((f) => join(path, f))
    : [path];
  const pems = await Promise.all(files.map((f) => readFile(f, "utf8")));
  return pems.filter((p) => p.includes("-----BEGIN CERTIFICATE-----"));
}

/**
 * The CAs that verify clients under `tls.auth: on`: `tls.ca` only when it is set (KES adds the
 * system roots, so any publicly trusted certificate chained; keyfront differs), the system roots
 * too with `tls.trust_system_roots`, and the system roots alone without `tls.ca`.
 */
function clientCaPool(tls: Config["tls"], ca: string[]): string[] {
  if (tls.ca === undefined) return [...rootCertificates];
  return tls.trustSystemRoots ? [...rootCertificates, ...ca] : ca;
}

/** Loads the server's TLS material (kes-api.md §1.1). Every failure names the file. */
export async function loadTls(tls: Config["tls"]): Promise<SecureContextOptions> {
  const read = async (what: string, path: string) => {
    try {
      return await readFile(path, "utf8");
    } catch (err) {
      throw new StartupError(`tls.${what}: cannot read '${path}': ${(err as Error).message}`);
    }
  };
  const certPem = await read("cert", tls.cert);
  const keyPem = await read("key", tls.key);
  let certs: Buffer[];
  try {
    certs = certificatePemBlocks(certPem);
  } catch (err) {
    throw new StartupError(`tls.cert: '${tls.cert}': ${(err as Error).message}`);
  }
  const leaf = certs[0];
  if (leaf === undefined) throw new StartupError(`tls.cert: '${tls.cert}' holds no certificate`);
  const san = new X509Certificate(leaf).subjectAltName ?? "";
  if (!/(DNS:|IP Address:)/.test(san)) {
    throw new StartupError(
      `tls.cert: '${tls.cert}': certificate does not contain any DNS or IP address as SAN`,
    );
  }
  let key: ReturnType<typeof loadPrivateKeyPem>;
  try {
    key = loadPrivateKeyPem(keyPem, tls.password);
  } catch (err) {
    throw new StartupError(`tls.key: '${tls.key}': ${(err as Error).message}`);
  }
  const ca = tls.ca
    ? await readCaPems(tls.ca).catch((err: Error) => {
        throw new StartupError(`tls.ca: cannot read '${tls.ca}': ${err.message}`);
      })
    : [];
  if (tls.auth === "on" && tls.ca !== undefined && ca.length === 0) {
    // It would trust no client at all: say so rather than refuse every request.
    throw new StartupError(`tls.ca: '${tls.ca}' holds no PEM certificate`);
  }
  return {
    cert: certPem,
    key: key.export({ type: "pkcs8", format: "pem" }) as string,
    // The CA pool only matters when client certificates are verified; without verification it
    // would only add every root's name to each handshake's CertificateRequest.
    ...(tls.auth === "on" ? { ca: clientCaPool(tls, ca) } : {}),
    minVersion: "TLSv1.2",
    // Client-initiated renegotiation could swap the certificate under a connection's identity
    // and costs a handshake per request: OpenSSL refuses it (issue 8 item 5).
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
}

/**
 * Opens the configured keystore. The Vault store returns at once even when Vault is down (it
 * connects in the background and reports not ready meanwhile); only local problems throw.
 */
export async function connectStore(
  config: Config,
  override?: KeyStore,
  log?: Logger,
): Promise<KeyStore> {
  if (override) return override;
  const ks = config.keystore;
  if (ks.kind === "fs") {
    try {
      return await connectFs({ path: ks.fs.path, warn: (m) => log?.warn(m) });
    } catch (err) {
      if (err instanceof CaseInsensitiveDirError) throw new StartupError(err.message);
      throw err;
    }
  }
  if (!log) throw new StartupError("keystore.vault: no logger to report Vault's state to");
  try {
    return await connectVault(ks.vault, { log });
  } catch (err) {
    throw new StartupError((err as Error).message, { cause: err });
  }
}

/** Creates the config's predefined keys; "already exists" is fine (kes-api.md §10.3). */
async function createPredefinedKeys(config: Config, keys: KeyService): Promise<void> {
  for (const { name } of config.keys) {
    try {
      await keys.create(name, config.admin.identity);
    } catch (err) {
      if (err instanceof ApiError && err.message === "key already exists") continue;
      throw new StartupError(`keys: cannot create key '${name}': ${(err as Error).message}`);
    }
  }
}

export interface BuildOptions {
  /** Use this keystore instead of the config's (e.g. --dev's in-memory store). */
  store?: KeyStore;
}

export async function buildState(
  config: Config,
  rt: Runtime,
  opts: BuildOptions = {},
): Promise<ServerState> {
  const secure = await loadTls(config.tls);
  const store = await connectStore(config, opts.store, rt.log);
  const now = Date.now;
  const cache = new KeyCache(store, ringLoader(store, now), config.cache);
  try {
    const keys = new KeyService({
      store,
      cache,
      defaultAlgorithm: config.server.keyAlgorithm,
      onFailure: (op, name, err) =>
        rt.log.error({ err, op, name }, `keystore: failed to ${op} key`),
      deletion: config.deletion,
      refreshMs: config.cache.refreshMs,
      now,
    });
    await createPredefinedKeys(config, keys);
    return {
      config,
      inFlight: new InFlight(),
      policies: new PolicySet(config.admin.identity, config.policies),
      store,
      cache,
      keys,
      scheduler: startScheduler(keys, store, config.keys, rt.log, now),
      router: new Router(ROUTES, config.api),
      loadedAt: formatTimestamp(nowTimestamp()),
      tlsAuth: config.tls.auth,
      secure,
      proxy: compileProxyTrust(config.tls, secure.ca as string[] | undefined),
    };
  } catch (err) {
    // A failed build (e.g. a reload whose predefined keys cannot be created) must not leave the
    // cache's timers probing a store that is closed here.
    cache.close();
    if (!opts.store) await store.close().catch(() => {});
    throw err;
  }
}

export async function closeState(state: ServerState, closeStore = true): Promise<void> {
  await state.scheduler.stop();
  state.cache.close();
  if (closeStore) await state.store.close();
}
