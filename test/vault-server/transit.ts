// Transit subset of the Vault test server: named aes256-gcm96 keys with versions, encrypt (upsert),
// decrypt with Vault's error texts, rotate, and data keys, in the `vault:vN:` ciphertext format
// (vault-api.md §9). Test fixture only: keys live in memory and must never be logged or returned.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { type Backend, type Ctx, fail, none, ok, type Reply } from "./state.js";
import { multiError } from "./util.js";

interface TransitKey {
  versions: Buffer[]; // index 0 = version 1
  minDecryptionVersion: number;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function seal(key: Buffer, plaintext: Buffer, aad: Buffer | undefined): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  if (aad !== undefined) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer, aad: Buffer | undefined): Buffer | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, NONCE_BYTES));
  if (aad !== undefined) decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}

function b64(value: unknown): Buffer | undefined {
  if (typeof value !== "string") return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  return Buffer.from(value, "base64");
}

function encrypt(key: TransitKey, d: Record<string, unknown>): Reply {
  if (typeof d.plaintext !== "string") return fail(400, "missing plaintext to encrypt");
  const plaintext = b64(d.plaintext);
  if (plaintext === undefined) return fail(400, "failed to base64-decode plaintext");
  const version = Number(d.key_version ?? 0) || key.versions.length;
  const material = key.versions[version - 1];
  if (material === undefined) return fail(400, "invalid key version");
  const aad = d.associated_data === undefined ? undefined : b64(d.associated_data);
  const ct = seal(material, plaintext, aad);
  return ok({ ciphertext: `vault:v${version}:${ct.toString("base64")}`, key_version: version });
}

function decrypt(key: TransitKey, d: Record<string, unknown>): Reply {
  if (typeof d.ciphertext !== "string" || d.ciphertext === "")
    return fail(400, "missing ciphertext to decrypt");
  if (!d.ciphertext.startsWith("vault:")) return fail(400, "invalid ciphertext: no prefix");
  const parts = d.ciphertext.split(":");
  if (parts.length !== 3) return fail(400, "invalid ciphertext: wrong number of fields");
  const version = /^v\d+$/.test(parts[1] as string) ? Number((parts[1] as string).slice(1)) : NaN;
  if (!Number.isInteger(version))
    return fail(400, "invalid ciphertext: version number could not be decoded");
  if (version > key.versions.length) return fail(400, "invalid ciphertext: version is too new");
  if (version < key.minDecryptionVersion)
    return fail(400, "ciphertext or signature version is disallowed by policy (too old)");
  const sealed = b64(parts[2]);
  if (sealed === undefined) return fail(400, "invalid ciphertext: could not decode base64");
  const aad = d.associated_data === undefined ? undefined : b64(d.associated_data);
  const plaintext = open(key.versions[version - 1] as Buffer, sealed, aad);
  if (plaintext === undefined) return fail(400, "cipher: message authentication failed");
  return ok({ plaintext: plaintext.toString("base64") });
}

function dataKey(key: TransitKey, kind: string, d: Record<string, unknown>): Reply {
  if (kind !== "plaintext" && kind !== "wrapped")
    return fail(400, "Invalid path, must be 'plaintext' or 'wrapped'");
  const bits = Number(d.bits ?? 256);
  if (![128, 256, 512].includes(bits)) return fail(400, "invalid bit length");
  const plaintext = randomBytes(bits / 8);
  const version = key.versions.length;
  const ct = seal(key.versions[version - 1] as Buffer, plaintext, undefined);
  const data: Record<string, unknown> = {
    ciphertext: `vault:v${version}:${ct.toString("base64")}`,
    key_version: version,
  };
  if (kind === "plaintext") data.plaintext = plaintext.toString("base64");
  return ok(data);
}

function keyInfo(name: string, key: TransitKey): Record<string, unknown> {
  const keys: Record<string, number> = {};
  key.versions.forEach((_, i) => {
    keys[String(i + 1)] = Math.floor(Date.now() / 1000);
  });
  return {
    name,
    type: "aes256-gcm96",
    keys,
    latest_version: key.versions.length,
    min_decryption_version: key.minDecryptionVersion,
    min_encryption_version: 0,
    deletion_allowed: false,
    derived: false,
    exportable: false,
    supports_encryption: true,
    supports_decryption: true,
  };
}

export function createTransitBackend(): Backend {
  const keys = new Map<string, TransitKey>();
  const newKey = (): TransitKey => ({ versions: [randomBytes(32)], minDecryptionVersion: 1 });
  return {
    exists(ctx: Ctx): boolean | undefined {
      const m = /^(keys|encrypt)\/([^/]+)$/.exec(ctx.path);
      return m ? keys.has(m[2] as string) : undefined;
    },
    handle(ctx: Ctx): Reply {
      const d = ctx.data ?? {};
      const write = ctx.op === "create" || ctx.op === "update";
      const [sect, name, extra] = ctx.path.split("/") as [
        string,
        string | undefined,
        string | undefined,
      ];
      if (sect === "keys" && (name === undefined || name === "")) {
        const list = [...keys.keys()].sort();
        return ctx.op === "list" && list.length > 0 ? ok({ keys: list }) : none();
      }
      if (name === undefined || name === "") return fail(404, multiError("unsupported path"));
      if (sect === "keys" && extra === undefined) {
        if (ctx.op === "read")
          return keys.has(name) ? ok(keyInfo(name, keys.get(name) as TransitKey)) : none();
        if (ctx.op === "delete") return fail(400, "deletion is not allowed for this key");
        if (!keys.has(name)) keys.set(name, newKey());
        return ok(keyInfo(name, keys.get(name) as TransitKey));
      }
      if (!write) return fail(405, multiError("unsupported operation"));
      if (sect === "keys" && extra === "rotate") {
        const key = keys.get(name);
        if (key === undefined) return fail(400, "key not found");
        key.versions.push(randomBytes(32));
        return ok(keyInfo(name, key));
      }
      if (sect === "encrypt") {
        if (!keys.has(name) && typeof d.plaintext === "string") keys.set(name, newKey());
        const key = keys.get(name);
        return key === undefined ? fail(400, "missing plaintext to encrypt") : encrypt(key, d);
      }
      const key =
        sect === "decrypt"
          ? keys.get(name)
          : sect === "datakey"
            ? keys.get(extra ?? "")
            : undefined;
      if (sect === "decrypt")
        return key === undefined ? fail(400, "encryption key not found") : decrypt(key, d);
      if (sect === "datakey") {
        if (extra === undefined) return fail(404, multiError("unsupported path"));
        if (name !== "plaintext" && name !== "wrapped") {
          return fail(400, "Invalid path, must be 'plaintext' or 'wrapped'");
        }
        return key === undefined ? fail(400, "encryption key not found") : dataKey(key, name, d);
      }
      return fail(404, multiError("unsupported path"));
    },
  };
}
