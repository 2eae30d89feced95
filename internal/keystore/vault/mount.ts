// Which K/V layout the configured Vault mount really has (vault-api.md §4.2, §4.3), checked at
// start, on every status ping and before the first key operation: a `version: v2` config on a
// K/V v1 mount silently stores v2 bodies as v1 secrets (cas ignored, keys replaced), and a `v1`
// config on a v2 mount fails every call with a 404. While the verdict is a mismatch, every key
// operation is refused with that error — nothing is written, deleted or listed under the wrong
// layout. It must never turn an unknown answer into "ok", and never log a token.

import { VAULT_MOUNT_RECHECK_MS } from "../../limits.js";
import type { Logger } from "../../log/logger.js";
import { raceAbort } from "../../sleep.js";
import { describeResponse, type VaultResponse } from "./http.js";
import { joinPath, type KvLayout, type KvVersion } from "./kv.js";
import type { Call } from "./session.js";

/** The mount as Vault describes it, or why it is not usable with the configuration. */
export type MountVerdict =
  | { kind: "ok"; version: KvVersion; path: string }
  | { kind: "mismatch"; message: string };

/** The configured K/V mount is not what the configuration says: key operations are refused. */
export class VaultMountMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VaultMountMismatchError";
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const other = (v: KvVersion): KvVersion => (v === "v1" ? "v2" : "v1");

/**
 * What an answer of `GET sys/internal/ui/mounts/<engine>` means for the layout; undefined when
 * the answer says nothing about the mount (transport trouble, 5xx, 429: ask again later).
 * `where` names the namespace for messages ("" = root).
 */
export function judgeMount(
  layout: KvLayout,
  where: string,
  res: VaultResponse,
): MountVerdict | undefined {
  const engine = joinPath(layout.engine);
  const ns = where === "" ? "" : ` in namespace '${where}'`;
  const mismatch = (message: string): MountVerdict => ({ kind: "mismatch", message });
  if (res.status === 404) {
    // Vault before 0.10 had no mount-info endpoint; its K/V was always version 1 (§4.2).
    return layout.version === "v1"
      ? { kind: "ok", version: "v1", path: engine }
      : mismatch(
          `vault: keystore.vault.version is v2, but Vault cannot report the K/V version of '${engine}/'${ns} (HTTP 404: Vault older than 0.10 only has K/V v1): set keystore.vault.version: v1`,
        );
  }
  if (res.status === 403 && res.errors.some((e) => e.includes("preflight capability check"))) {
    return mismatch(
      `vault: the K/V mount '${engine}/'${ns} does not exist, or the token has no capability under it (${describeResponse(res)}): mount it, fix keystore.vault.engine, or grant the policy of README "Vault keystore"`,
    );
  }
  if (res.status === 412 || res.status === 429 || res.status >= 500) return undefined;
  const data = isObject(res.body) ? res.body.data : undefined;
  if (res.status !== 200 || !isObject(data)) {
    return mismatch(
      `vault: cannot tell the K/V version of '${engine}/'${ns}: sys/internal/ui/mounts answered ${describeResponse(res)}; no key operation runs until it can`,
    );
  }
  const type = typeof data.type === "string" ? data.type : "";
  if (type !== "kv" && type !== "generic") {
    return mismatch(
      `vault: the mount '${engine}/'${ns} is of type '${type}', not a K/V secrets engine: fix keystore.vault.engine`,
    );
  }
  const options = isObject(data.options) ? data.options : {};
  const version: KvVersion = String(options.version ?? "1") === "2" ? "v2" : "v1";
  const path = typeof data.path === "string" ? joinPath(data.path) : engine;
  if (version !== layout.version) {
    return mismatch(
      `vault: keystore.vault.version is ${layout.version}, but the mount '${path}/'${ns} is K/V ${version}: set keystore.vault.version: ${version} (a ${layout.version} client on a ${other(layout.version)} mount ${layout.version === "v2" ? "would store keys as plain v1 secrets and replace them" : "fails every call"})`,
    );
  }
  if (version === "v2" && path !== engine) {
    return mismatch(
      `vault: keystore.vault.engine '${engine}' lies inside the K/V v2 mount '${path}/'${ns}: set keystore.vault.engine: ${path} and put the rest into keystore.vault.prefix`,
    );
  }
  return { kind: "ok", version, path };
}

/**
 * The current verdict on the mount, refreshed by `check()` (one in flight at a time). Logs when
 * the verdict changes: an error on a mismatch, info when it is resolved.
 */
export class MountWatch {
  readonly #layout: KvLayout;
  readonly #namespace: string;
  readonly #call: (req: Call, signal?: AbortSignal) => Promise<VaultResponse>;
  readonly #log: Logger;
  #verdict: MountVerdict | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<MountVerdict> | undefined;
  #closed = false;

  constructor(
    layout: KvLayout,
    namespace: string,
    call: (req: Call, signal?: AbortSignal) => Promise<VaultResponse>,
    log: Logger,
  ) {
    this.#layout = layout;
    this.#namespace = namespace;
    this.#call = call;
    this.#log = log;
  }

  get verdict(): MountVerdict | undefined {
    return this.#verdict;
  }

  /**
   * Throws VaultMountMismatchError while the mount does not match. Checks first when no verdict
   * is known yet, or when the last one was a mismatch (a remount may have fixed it) older than
   * VAULT_MOUNT_RECHECK_MS — so a flood of refused requests costs Vault one call a second.
   */
  async ensure(signal?: AbortSignal): Promise<void> {
    let verdict = this.#verdict;
    const stale = performance.now() - this.#checkedAt >= VAULT_MOUNT_RECHECK_MS;
    if (verdict === undefined || (verdict.kind === "mismatch" && stale)) {
      verdict = await this.check(signal);
    }
    if (verdict.kind === "mismatch") throw new VaultMountMismatchError(verdict.message);
  }

  /**
   * Asks Vault now (concurrent callers share one request, which a caller's abort does not cancel
   * for the others); throws when Vault gives no verdict (unreachable, sealed, 5xx).
   */
  check(signal?: AbortSignal): Promise<MountVerdict> {
    signal?.throwIfAborted();
    if (!this.#inflight) {
      this.#inflight = this.#ask().finally(() => {
        this.#inflight = undefined;
      });
      // Handled here too: every caller may have gone before it settles.
      this.#inflight.catch(() => {});
    }
    return raceAbort(this.#inflight, signal);
  }

  close(): void {
    this.#closed = true;
  }

  async #ask(): Promise<MountVerdict> {
    const engine = joinPath(this.#layout.engine);
    const path = `sys/internal/ui/mounts/${engine.split("/").map(encodeURIComponent).join("/")}`;
    const res = await this.#call({ method: "GET", path, retries: 1 });
    const verdict = judgeMount(this.#layout, this.#namespace, res);
    if (verdict === undefined) {
      throw new Error(`vault: cannot check the K/V mount '${engine}/': ${describeResponse(res)}`);
    }
    this.#checkedAt = performance.now();
    if (!this.#closed) this.#set(verdict);
    return verdict;
  }

  #set(verdict: MountVerdict): void {
    const before = this.#verdict;
    this.#verdict = verdict;
    if (verdict.kind === "mismatch") {
      if (before?.kind !== "mismatch" || before.message !== verdict.message)
        this.#log.error(verdict.message);
    } else if (before?.kind !== "ok") {
      this.#log.info(
        { mount: `${verdict.path}/`, version: verdict.version },
        `vault: K/V mount '${verdict.path}/' is ${verdict.version}, as configured`,
      );
    }
  }
}
