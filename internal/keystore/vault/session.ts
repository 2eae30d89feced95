// One authenticated conversation with Vault for the keystore: the HTTP client, the token manager,
// the health poll and the watch on the client certificate's expiry together. Every call fails fast while Vault is known to be sealed, logs in
// again once when Vault says the token is dead, and turns transport failures and a sealed Vault
// into VaultUnreachableError naming the state. It must never log a token or a request body.

import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { VaultConfig } from "../../config/config.js";
import { KeystoreUnreachableError } from "../../errors.js";
import { VAULT_LOGIN_RETRY_MS } from "../../limits.js";
import type { Logger } from "../../log/logger.js";
import type { KeystoreStatus } from "../keystore.js";
import { TokenManager } from "./auth.js";
import { ClientCertWatch, clientCertOf } from "./client-cert.js";
import { VaultHealth, VaultUnreachableError } from "./health.js";
import { hostsFileLookup } from "./hosts.js";
import {
  describeError,
  describeWarnings,
  isSealedResponse,
  VaultHttpClient,
  type VaultRequest,
  type VaultResponse,
  type VaultTlsMaterial,
  VaultTransportError,
} from "./http.js";
import { Authenticator, isDeadToken, loginNamespace } from "./login.js";

export { VaultUnreachableError } from "./health.js";

export type Call = Omit<VaultRequest, "token" | "namespace" | "signal">;

export class VaultSession {
  readonly #namespace: string;
  readonly #client: VaultHttpClient;
  readonly #tokens: TokenManager;
  readonly #health: VaultHealth;
  readonly #log: Logger;
  readonly #certWatch: ClientCertWatch | undefined;

  /** Starts the first login and health check in the background; throws only for TLS files. */
  static async open(config: VaultConfig, log: Logger): Promise<VaultSession> {
    const tls = await readTls(config.tls);
    const client = new VaultHttpClient({
      endpoints: config.endpoints,
      timeoutMs: config.timeoutMs,
      tls,
      lookup: config.hostsFile === undefined ? undefined : hostsFileLookup(config.hostsFile),
      onReconnect: (why, address) =>
        log.warn(
          { endpoint: client.endpoint, address },
          `vault: reconnecting (the endpoint's name is resolved again): ${why}`,
        ),
    });
    if (config.hostsFile !== undefined) {
      log.warn(
        { hostsFile: config.hostsFile },
        "vault: KEYFRONT_VAULT_HOSTS_FILE is set: Vault names are looked up in it first (a test/ops hook)",
      );
    }
    const login = config.auth.kind === "cert";
    const leaf =
      tls.cert && config.tls.cert ? clientCertOf(tls.cert, config.tls.cert, login) : undefined;
    const certWatch = leaf ? new ClientCertWatch(leaf, config.statusPingMs, log) : undefined;
    const auth = config.auth;
    const tokens = new TokenManager({
      client,
      authenticator: new Authenticator(auth, { certProblem: () => certWatch?.problem }),
      namespace:
        auth.kind === "token" ? config.namespace : loginNamespace(auth.namespace, config.namespace),
      retryMs: auth.kind === "token" ? VAULT_LOGIN_RETRY_MS : auth.retryMs,
      log,
    });
    for (const endpoint of client.plainHttpEndpoints) {
      log.warn(
        { endpoint },
        "vault: endpoint uses plain http://: the Vault token and key material cross the network unencrypted; use https://",
      );
    }
    const health = new VaultHealth(client, config.statusPingMs, log);
    void health.check().catch(() => {});
    tokens.start();
    return new VaultSession(config.namespace, client, tokens, health, log, certWatch);
  }

  private constructor(
    namespace: string,
    client: VaultHttpClient,
    tokens: TokenManager,
    health: VaultHealth,
    log: Logger,
    certWatch: ClientCertWatch | undefined,
  ) {
    this.#namespace = namespace;
    this.#client = client;
    this.#tokens = tokens;
    this.#health = health;
    this.#log = log;
    this.#certWatch = certWatch;
  }

  /** Problems to show in /v1/status even while Vault answers (an expiring client certificate). */
  warnings(): string[] {
    const problem = this.#certWatch?.problem;
    return problem === undefined ? [] : [problem];
  }

  /** Vault's health now; sealed, uninitialised, unreachable or not logged in are errors. */
  async status(signal?: AbortSignal): Promise<KeystoreStatus> {
    const reading = await this.#health.check(signal);
    if (reading.state !== "ok" && reading.state !== "standby") {
      throw new VaultUnreachableError(reading.state, reading.detail);
    }
    try {
      await this.#tokens.token(signal);
    } catch (err) {
      signal?.throwIfAborted();
      throw this.#classify(err);
    }
    return {
      latencyNs: reading.latencyNs > 0n ? reading.latencyNs : 1n,
      state: reading.state,
      endpoint: this.#client.endpoint,
      address: this.#client.lastAddress,
    };
  }

  close(): void {
    this.#certWatch?.close();
    this.#health.close();
    this.#tokens.close();
    this.#client.close();
  }

  /** One authenticated call: fails fast while sealed, logs in again once on a dead token. */
  async call(req: Call, signal?: AbortSignal): Promise<VaultResponse> {
    this.#health.guard();
    let token: string;
    try {
      token = await this.#tokens.token(signal);
    } catch (err) {
      signal?.throwIfAborted();
      throw this.#classify(err);
    }
    let res = await this.#send(req, token, signal);
    if (isDeadToken(res)) {
      this.#log.warn({ path: req.path }, "vault: token rejected as invalid; logging in again");
      try {
        token = await this.#tokens.refresh(token, signal);
      } catch (err) {
        signal?.throwIfAborted();
        throw this.#classify(err);
      }
      res = await this.#send(req, token, signal);
    }
    if (isSealedResponse(res)) {
      this.#health.observe("sealed");
      throw new VaultUnreachableError("sealed", "Vault is sealed");
    }
    if (res.warnings.length > 0) {
      // e.g. "Invalid path for a versioned K/V secrets engine" (vault-api.md §3.8).
      this.#log.warn(
        { path: req.path, status: res.status },
        `vault: Vault warns: ${describeWarnings(res)}`,
      );
    }
    return res;
  }

  async #send(req: Call, token: string, signal?: AbortSignal): Promise<VaultResponse> {
    try {
      return await this.#client.request({
        ...req,
        token,
        namespace: this.#namespace,
        signal,
      });
    } catch (err) {
      signal?.throwIfAborted();
      throw this.#classify(err);
    }
  }

  /** Transport failures and a sealed Vault are "unreachable"; the rest stays a plain error. */
  #classify(err: unknown): Error {
    if (err instanceof KeystoreUnreachableError) return err;
    const cause =
      err instanceof Error && err.cause instanceof VaultTransportError ? err.cause : err;
    if (cause instanceof VaultTransportError) {
      const detail = `Vault is unreachable: ${describeError(cause)}`;
      this.#health.observe("unreachable", detail);
      return new VaultUnreachableError("unreachable", detail, { cause });
    }
    const message = err instanceof Error ? err.message : String(err);
    if (message.includes("Vault is sealed")) {
      this.#health.observe("sealed");
      return new VaultUnreachableError("sealed", "Vault is sealed", { cause: err });
    }
    return err instanceof Error ? err : new Error(message);
  }
}

/** The CA (file or directory of PEM files), client certificate and key for TLS to Vault. */
async function readTls(tls: VaultConfig["tls"]): Promise<VaultTlsMaterial> {
  const read = (what: string, path: string) =>
    readFile(path, "utf8").catch((err: Error) => {
      throw new Error(`keystore.vault.tls.${what}: cannot read '${path}': ${err.message}`);
    });
  let ca: string[] | undefined;
  if (tls.ca !== undefined) {
    const path = tls.ca;
    const info = await stat(path).catch((err: Error) => {
      throw new Error(`keystore.vault.tls.ca: cannot read '${path}': ${err.message}`);
    });
    const files = info.isDirectory()
      ? (await readdir(path)).filter((f) => !f.startsWith(".")).map((f) => join(path, f))
      : [path];
    ca = (await Promise.all(files.map((f) => read("ca", f)))).filter((p) =>
      p.includes("-----BEGIN CERTIFICATE-----"),
    );
  }
  return {
    ca,
    cert: tls.cert === undefined ? undefined : await read("cert", tls.cert),
    key: tls.key === undefined ? undefined : await read("key", tls.key),
  };
}
