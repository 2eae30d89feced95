// `keyfront doctor --probe`: a create, read and delete of a throwaway key through the configured
// keystore, exactly as the server would do them (the real KeyStore, Vault read-back included),
// bounded by DOCTOR_PROBE_TIMEOUT_MS. The key has a random name with a clear prefix, holds random
// bytes that are never printed, and is deleted even when a step fails.

import { randomBytes } from "node:crypto";
import { KeyNotFoundError } from "../errors.js";
import type { KeyStore } from "../keystore/keystore.js";
import { DOCTOR_PROBE_TIMEOUT_MS } from "../limits.js";
import { type CheckResult, fail, ok } from "./report.js";

export const PROBE_PREFIX = "keyfront-doctor-probe-";

export async function probeStore(store: KeyStore): Promise<CheckResult> {
  const name = `${PROBE_PREFIX}${randomBytes(8).toString("hex")}`;
  const value = randomBytes(32).toString("base64");
  const signal = AbortSignal.timeout(DOCTOR_PROBE_TIMEOUT_MS);
  let step = "create";
  let created = false;
  try {
    await store.create(name, value, signal);
    created = true;
    step = "read";
    const back = await store.get(name, signal);
    if (back !== value)
      return fail("probe", `key '${name}' read back differs from what was written`);
    step = "delete";
    await store.delete(name, signal);
    created = false;
    step = "read after delete";
    const gone = await store.get(name, signal).then(
      () => false,
      (err: unknown) => err instanceof KeyNotFoundError,
    );
    if (!gone) return fail("probe", `key '${name}' is still there after its delete`);
    return ok("probe", `created, read and deleted the throwaway key '${name}'`);
  } catch (err) {
    return fail(
      "probe",
      `${step} of the throwaway key '${name}' failed: ${(err as Error).message}`,
      hintOf(step),
    );
  } finally {
    // Always removed: also when the create failed (it may have been stored all the same).
    if (created || step === "create") {
      await store.delete(name, AbortSignal.timeout(DOCTOR_PROBE_TIMEOUT_MS)).catch(() => {});
    }
  }
}

function hintOf(step: string): string {
  return step === "create"
    ? "the keystore refuses writes: grant create (and read, delete) on the key path"
    : step === "read"
      ? "the keystore does not return what it stored: grant read on the key path"
      : "grant delete on the key path (Vault K/V v2: on metadata/)";
}
