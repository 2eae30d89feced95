// Handlers of the /v1/key/* routes (kes-api.md §3.6): decode the body, call the key service,
// encode the answer. Only generate and decrypt put plaintext into a response.

import { parseAlgorithm } from "../../crypto/algorithm.js";
import {
  ApiError,
  errAlgorithm,
  errBody,
  errImportBody,
  errKeySize,
  errListLimit,
} from "../../errors.js";
import type { Dek, Sealed } from "../../keys/key-service.js";
import type { Opened } from "../../keys/ring-crypto.js";
import { KEY_BYTES, LIST_PAGE_SIZE, MIN_LIST_LIMIT } from "../../limits.js";
import { BodyDecodeError, type Decoded, decodeJsonBody, type FieldKind } from "../body.js";
import { emptyReply, jsonLine, jsonReply, type Reply, type RequestContext } from "../route.js";
import { keyName, listingPrefix } from "./resource.js";
import { requestedVersion, rotateText, versionsJson } from "./version-wire.js";

/** Decodes a body, turning any decoding problem into `error()` with the detail attached. */
export function decode<S extends Record<string, FieldKind>>(
  ctx: RequestContext,
  schema: S,
  error: () => ApiError,
): Decoded<S> {
  try {
    return decodeJsonBody(ctx.body, schema);
  } catch (err) {
    if (err instanceof BodyDecodeError) {
      const e = error();
      throw new ApiError(e.status, e.message, { "X-Keyfront-Detail": err.message });
    }
    throw err;
  }
}

const EMPTY = Buffer.alloc(0);

export async function createKey(ctx: RequestContext): Promise<Reply> {
  const name = keyName(ctx.resource);
  await ctx.state.keys.create(name, ctx.identity, ctx.signal);
  ctx.state.scheduler.created(name);
  ctx.rt.log.info({ name, identity: ctx.identity }, `secret key '${name}' created`);
  return emptyReply();
}

const IMPORT = { key: "bytes", cipher: "string", bytes: "bytes", algorithm: "string" } as const;

/** Accepts `{key, cipher}` (HEAD) and the older `{bytes, algorithm}` (kes-api.md §3.6). */
export async function importKey(ctx: RequestContext): Promise<Reply> {
  const name = keyName(ctx.resource);
  const body = decode(ctx, IMPORT, errImportBody);
  const legacy = body.key === undefined && body.bytes !== undefined;
  const key = legacy ? body.bytes : body.key;
  const cipher = legacy ? body.algorithm || "AES256" : (body.cipher ?? "");
  const algorithm = parseAlgorithm(cipher);
  if (algorithm === undefined) throw errAlgorithm(cipher);
  if (key === undefined || key.length !== KEY_BYTES) throw errKeySize(cipher);
  try {
    await ctx.state.keys.import(name, key, algorithm, ctx.identity, ctx.signal);
  } finally {
    key.fill(0);
  }
  ctx.state.scheduler.created(name);
  ctx.rt.log.info({ name, identity: ctx.identity }, `secret key '${name}' created`);
  return emptyReply();
}

/** KES's fields (those of version 1, as KES wrote them), then keyfront's lifecycle fields. */
export async function describeKey(ctx: RequestContext): Promise<Reply> {
  const d = await ctx.state.keys.describe(keyName(ctx.resource), ctx);
  ctx.audit.version = d.version;
  return jsonReply({
    name: d.name,
    algorithm: d.algorithm,
    created_at: d.createdAt,
    ...(d.createdBy === "" ? {} : { created_by: d.createdBy }),
    version: d.version,
    versions: versionsJson(d.versions),
    enabled: d.enabled,
    min_decryption_version: d.minDecryptionVersion,
    rotate: rotateText(d.rotateMs),
  });
}

/** `?limit`: absent → the default page size; otherwise a decimal integer in 1..1024, or 400. */
function pageLimit(text: string | null): number {
  if (text === null) return LIST_PAGE_SIZE;
  const n = /^[0-9]{1,10}$/.test(text) ? Number(text) : 0;
  if (n < MIN_LIST_LIMIT || n > LIST_PAGE_SIZE) throw errListLimit();
  return n;
}

/**
 * Complete listings by default (the KES SDK misuses continue_at as a prefix). keyfront extension:
 * `?continue_at=<name>` and/or `?limit=<n>` ask for one page and a working continue_at.
 */
export async function listKeys(ctx: RequestContext): Promise<Reply> {
  const prefix = listingPrefix(ctx.resource);
  const query = new URLSearchParams(ctx.req.url?.split("?")[1] ?? "");
  const startAt = query.get("continue_at") ?? "";
  const limitText = query.get("limit");
  const paged = limitText !== null || query.has("continue_at");
  const limit = paged ? pageLimit(limitText) : 0;
  if (startAt !== "" && !startAt.startsWith(prefix)) {
    return jsonReply({ names: [] });
  }
  const page = await ctx.state.keys.list(prefix, startAt, limit, ctx.signal);
  return jsonReply(
    page.continueAt === ""
      ? { names: page.names }
      : { names: page.names, continue_at: page.continueAt },
  );
}

/** With `keystore.deletion.window` > 0 the key becomes pending deletion; else it is purged. */
export async function deleteKey(ctx: RequestContext): Promise<Reply> {
  const name = keyName(ctx.resource);
  await ctx.state.keys.delete(name, ctx.identity, ctx.signal);
  ctx.state.scheduler.nudge(name);
  const pending = ctx.state.config.deletion.windowMs > 0;
  const what = pending ? "pending deletion" : "deleted";
  ctx.rt.log.info({ name, identity: ctx.identity }, `secret key '${name}' ${what}`);
  return emptyReply();
}

const GENERATE = { context: "bytes", version: "string" } as const;

/**
 * The answers of generate and decrypt, the hot path, byte for byte what JSON.stringify writes
 * (a fast-check test holds them to it): standard base64 and a decimal version need no escaping,
 * so the line is put together directly instead of walking an object and scanning each character.
 */
export function dekJson(plaintext: Buffer, ciphertext: Buffer, version: number): string {
  return `{"plaintext":"${plaintext.toString("base64")}","ciphertext":"${ciphertext.toString("base64")}","version":"${version}"}\n`;
}

export function plaintextJson(plaintext: Buffer): string {
  return `{"plaintext":"${plaintext.toString("base64")}"}\n`;
}

function dekReply(ctx: RequestContext, dek: Dek): Reply {
  ctx.audit.version = dek.version;
  const reply = jsonLine(dekJson(dek.plaintext, dek.ciphertext, dek.version));
  dek.plaintext.fill(0);
  return reply;
}

/** Synchronous when the key is cached: the hot path of a key service. */
export function generateKey(ctx: RequestContext): Reply | Promise<Reply> {
  const name = keyName(ctx.resource);
  const body = ctx.body.length > 0 ? decode(ctx, GENERATE, errBody) : undefined;
  const version = requestedVersion(body?.version);
  const dek = ctx.state.keys.generate(name, body?.context ?? EMPTY, ctx, version);
  return dek instanceof Promise ? dek.then((d) => dekReply(ctx, d)) : dekReply(ctx, dek);
}

const ENCRYPT = { plaintext: "bytes", context: "bytes", version: "string" } as const;

/** encrypt's answer, written directly as dekJson is (and held to JSON.stringify the same way). */
export function sealedJson(ciphertext: Buffer, version: number): string {
  return `{"ciphertext":"${ciphertext.toString("base64")}","version":"${version}"}\n`;
}

function sealedReply(ctx: RequestContext, sealed: Sealed): Reply {
  ctx.audit.version = sealed.version;
  return jsonLine(sealedJson(sealed.ciphertext, sealed.version));
}

/** Synchronous when the key is cached, like generate. The plaintext is zeroed however it ends. */
export function encryptKey(ctx: RequestContext): Reply | Promise<Reply> {
  const name = keyName(ctx.resource);
  const body = decode(ctx, ENCRYPT, errBody);
  const plaintext = body.plaintext ?? EMPTY;
  let sealed: Sealed | Promise<Sealed>;
  try {
    const version = requestedVersion(body.version);
    sealed = ctx.state.keys.encrypt(name, plaintext, body.context ?? EMPTY, ctx, version);
  } catch (err) {
    plaintext.fill(0);
    throw err;
  }
  if (sealed instanceof Promise) {
    return sealed
      .then((s) => sealedReply(ctx, s))
      .finally(() => {
        plaintext.fill(0);
      });
  }
  plaintext.fill(0);
  return sealedReply(ctx, sealed);
}

const DECRYPT = { ciphertext: "bytes", context: "bytes", version: "string" } as const;

function plaintextReply(ctx: RequestContext, opened: Opened): Reply {
  ctx.audit.version = opened.version;
  const reply = jsonLine(plaintextJson(opened.plaintext));
  opened.plaintext.fill(0);
  return reply;
}

/** Synchronous when the key is cached, like generate. */
export function decryptKey(ctx: RequestContext): Reply | Promise<Reply> {
  const name = keyName(ctx.resource);
  const body = decode(ctx, DECRYPT, errBody);
  const ciphertext = body.ciphertext ?? EMPTY;
  const version = requestedVersion(body.version);
  const opened = ctx.state.keys.decryptVersioned(
    name,
    ciphertext,
    body.context ?? EMPTY,
    ctx,
    version,
  );
  return opened instanceof Promise
    ? opened.then((o) => plaintextReply(ctx, o))
    : plaintextReply(ctx, opened);
}

const HMAC = { message: "bytes", version: "string" } as const;

export async function hmacKey(ctx: RequestContext): Promise<Reply> {
  const name = keyName(ctx.resource);
  const body = decode(ctx, HMAC, errBody);
  const version = requestedVersion(body.version);
  const mac = await ctx.state.keys.hmac(name, body.message ?? EMPTY, ctx, version);
  ctx.audit.version = mac.version;
  return jsonReply({ hmac: mac.hmac.toString("base64"), version: String(mac.version) });
}
