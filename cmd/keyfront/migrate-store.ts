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

/** A logger printing each warn/error record's message as one CLI diagnostic; mutable. */
export class DiagnosticLog {
  readonly logger: Logger;
  /** While muted (waiting for the store), records are dropped: the failure says it in one line. */
  muted = true;

  constructor(label: string) {
    const dest: DestinationStream = {
      write: (line: string) => {
        if (this.muted) return;
        const msg = messageOf(line);
        if (msg !== "") note(`${label}: ${msg}`);
      },
    };
    this.logger = pino({ level: "warn", base: null }, dest);
  }
}

function messageOf(line: string): string {
  try {
    const rec = JSON.parse(line) as { msg?: unknown };
    return typeof rec.msg === "string" ? rec.msg.replace(/\s+/g, " ").trim() : "";
  } catch {
    return "";
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
  diag.muted = false;
  return store;
}
