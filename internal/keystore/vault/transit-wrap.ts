// Optional wrapping of key values with Vault Transit (kes-api.md §8.3, vault-api.md §9): encrypt
// before a value is stored in K/V, decrypt a stored `vault:vN:` ciphertext after it is read. It
// must never put a value, plaintext or ciphertext into an error message or a log line.

import type { VaultConfig } from "../../config/config.js";
import { describeResponse, type VaultResponse } from "./http.js";
import * as kv from "./kv.js";
import type { Call } from "./session.js";

type CallFn = (req: Call, signal?: AbortSignal) => Promise<VaultResponse>;

/** The value to store: `value` itself, or its Transit ciphertext when Transit is configured. */
export async function wrapValue(
  call: CallFn,
  transit: VaultConfig["transit"],
  value: string,
  signal?: AbortSignal,
): Promise<string> {
  if (!transit) return value;
  const { path, body } = kv.transitEncrypt(transit, value);
  const res = await call({ method: "POST", path, body }, signal);
  const ciphertext = res.status === 200 ? kv.readCiphertext(res.body) : undefined;
  if (ciphertext === undefined)
    throw new Error(`vault: transit encrypt failed: ${describeResponse(res)}`);
  return ciphertext;
}

/** The key's value from what was stored: decrypted by Transit when it is a Transit ciphertext. */
export async function unwrapValue(
  call: CallFn,
  transit: VaultConfig["transit"],
  name: string,
  stored: string,
  signal?: AbortSignal,
): Promise<string> {
  if (!kv.TRANSIT_PREFIX.test(stored)) return stored;
  if (!transit)
    throw new Error(
      `vault: key '${name}' is encrypted with a Vault transit key, but no transit is configured`,
    );
  const { path, body } = kv.transitDecrypt(transit, stored);
  const res = await call({ method: "POST", path, body }, signal);
  const plain = res.status === 200 ? kv.readPlaintext(res.body) : undefined;
  if (plain === undefined)
    throw new Error(`vault: transit decrypt of '${name}' failed: ${describeResponse(res)}`);
  return plain;
}
