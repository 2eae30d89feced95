// Opening the two keystores of `keyfront migrate` the way the server opens its own (the same
// connectStore, with a logger), then waiting — bounded by MIGRATE_STORE_READY_MS — until each is
// usable: Vault reachable, unsealed, logged in, and its mount of the configured type and K/V
// version (the store's own mount check). Nothing is read or written before both are. What the
// Vault store logs at warn or above goes to stderr as one `keyfront: --to FILE: …` line per
// record, message only (the store never puts a token, secret ID or key value into a message).
// It must never print a record's fields, and never leave a store open when it fails.

import { type DestinationStream, pino } from "pino";
import type { Config } from "../../internal/config/config.js";
import { KeystoreUnreachableError } from "../../internal/errors.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { VaultMountMismatchError } from "../../internal/keystore/vault/vault-store.js";
import { MIGRATE_STORE_POLL_MS, MIGRATE_STORE_READY_MS } from "../../internal/limits.js";
import type { Logger } from "../../internal/log/logger.js";
import { connectStore } from "../../internal/server/state.js";
import { sleep } from "../../internal/sleep.js";
import { CommandError, note } from "./output.js";

/**
 * A logger printing each distinct warning's message once as a CLI diagnostic. Errors are not
 * printed: each one the migration meets is its failure, said in one line. Warnings logged while
 * the store is not yet usable (e.g. a plain-http endpoint) are held, and printed once it is.
 */
export class DiagnosticLog {
  readonly logger: Logger;
  readonly #label: string;
  readonly #seen = new Set<string>();
  #held: string[] | undefined = [];

  constructor(label: string) {
    this.#label = label;
    const dest: DestinationStream = {
      write: (line: string) => {
        const rec = recordOf(line);
        if (rec.level !== WARN || rec.msg === "" || this.#seen.has(rec.msg)) return;
        this.#seen.add(rec.msg);
        if (this.#held) this.#held.push(rec.msg);
        else note(`${this.#label}: ${rec.msg}`);
      },
    };
    this.logger = pino({ level: "warn", base: null }, dest);
  }

  /** The store is usable: print what was held, and from now on every new warning. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const msg of held) note(`${this.#label}: ${msg}`);
  }
}

const WARN = pino.levels.values.warn;

function recordOf(line: string): { level: number; msg: string } {
  try {
    const rec = JSON.parse(line) as { level?: unknown; msg?: unknown };
    const msg = typeof rec.msg === "string" ? rec.msg.replace(/\s+/g, " ").trim() : "";
    return { level: typeof rec.level === "number" ? rec.level : 0, msg };
  } catch {
    return { level: 0, msg: "" };
  }
}

/** The keystore's location without its credentials: two configs naming one store compare equal. */
export function storeLocation(config: Config): string {
  const ks = config.keystore;
  if (ks.kind === "fs") return JSON.stringify(["fs", ks.fs.path]);
  const v = ks.vault;
  const trim = (p: string) => p.replace(/^\/+|\/+$/g, "");
  return JSON.stringify([
    "vault",
    [...v.endpoints].sort(),
    trim(v.namespace),
    trim(v.engine),
    trim(v.prefix),
  ]);
}

/**
 * Waits until `store.status()` succeeds: a mount mismatch fails at once (it will not fix itself),
 * an unreachable or sealed Vault is asked again every MIGRATE_STORE_POLL_MS until the bound.
 */
async function waitUsable(store: KeyStore, signal: AbortSignal): Promise<void> {
  const until = performance.now() + MIGRATE_STORE_READY_MS;
  for (;;) {
    try {
      await store.status(AbortSignal.any([signal, AbortSignal.timeout(MIGRATE_STORE_READY_MS)]));
      return;
    } catch (err) {
      signal.throwIfAborted();
      const retry =
        store.kind === "vault" && (err instanceof KeystoreUnreachableError || isTimeout(err));
      if (err instanceof VaultMountMismatchError || !retry || performance.now() >= until) {
        const why = isTimeout(err) ? "no answer from the keystore" : (err as Error).message;
        throw new Error(retry ? `${why} (waited ${MIGRATE_STORE_READY_MS / 1000} s)` : why);
      }
      await sleep(MIGRATE_STORE_POLL_MS, signal);
    }
  }
}

const isTimeout = (err: unknown) =>
  err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");

/** Opens the keystore of one side and waits until it is usable; one clear line when it is not. */
export async function openUsableStore(
  flag: string,
  path: string,
  config: Config,
  signal: AbortSignal,
): Promise<KeyStore> {
  const label = `${flag} ${path}`;
  const diag = new DiagnosticLog(label);
  let store: KeyStore;
  try {
    store = await connectStore(config, undefined, diag.logger);
  } catch (err) {
    throw new CommandError(`${label}: cannot open the keystore: ${(err as Error).message}`);
  }
  try {
    await waitUsable(store, signal);
  } catch (err) {
    await store.close();
    if (signal.aborted) throw new CommandError("interrupted before anything was copied");
    throw new CommandError(`${label}: the keystore is not usable: ${(err as Error).message}`);
  }
  diag.release();
  return store;
}
