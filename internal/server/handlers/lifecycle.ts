// Handlers of keyfront's key-lifecycle routes (issue 10, design §3): rotate, versions, rewrap,
// configure, disable/enable, restore and purge. Thin adapters: decode → key service → encode.
// Rewrap never puts a plaintext into its answer, and no handler logs key material.

import { parseLifecycleDuration } from "../../config/duration.js";
import { errBody, errConfigureBody } from "../../errors.js";
import { MAX_ROTATE_PERIOD_MS, MIN_ROTATE_PERIOD_MS } from "../../limits.js";
import { emptyReply, jsonReply, type Reply, type RequestContext } from "../route.js";
import { decode } from "./keys.js";
import { keyName } from "./resource.js";
import { rotateText, versionsJson } from "./version-wire.js";

const EMPTY = Buffer.alloc(0);

/** Adds a new version of the key, which generate and encrypt use from now on. */
export async function rotateKey(ctx: RequestContext): Promise<Reply> {
  const name = keyName(ctx.resource);
  const made = await ctx.state.keys.rotate(name, ctx.identity, ctx.signal);
  ctx.state.scheduler.nudge(name);
  ctx.audit.version = made.version;
  ctx.rt.log.info(
    { name, identity: ctx.identity, version: made.version },
    `secret key '${name}' rotated to version ${made.version}`,
  );
  return jsonReply({ name, version: made.version, created_at: made.createdAt });
}

export async function listVersions(ctx: RequestContext): Promise<Reply> {
  const name = keyName(ctx.resource);
  const list = await ctx.state.keys.versions(name, ctx.signal);
  ctx.audit.version = list.latest;
  return jsonReply({
    name,
    latest: list.latest,
    min_decryption_version: list.minDecryptionVersion,
    versions: versionsJson(list.versions),
  });
}

const REWRAP = { ciphertext: "bytes", context: "bytes" } as const;

/** A ciphertext sealed again under the newest version; the plaintext never leaves the service. */
export async function rewrapKey(ctx: RequestContext): Promise<Reply> {
  const name = keyName(ctx.resource);
  const body = decode(ctx, REWRAP, errBody);
  const out = await ctx.state.keys.rewrap(
    name,
    body.ciphertext ?? EMPTY,
    body.context ?? EMPTY,
    ctx.signal,
  );
  ctx.audit.version = out.version;
  return jsonReply({ ciphertext: out.ciphertext.toString("base64"), version: String(out.version) });
}

const CONFIGURE = { min_decryption_version: "uint", rotate: "string" } as const;

/**
 * The rotation period of `rotate`: "" or "0" → none, else MIN..MAX_ROTATE_PERIOD_MS, or 400.
 * The error names the field, never echoes its value (DESIGN.md: request values stay out of
 * answers and logs).
 */
function rotatePeriod(text: string): number {
  if (text === "") return 0;
  let ms: number;
  try {
    ms = parseLifecycleDuration(text);
  } catch {
    throw errConfigureBody("rotate: not a duration such as 90d, 36h or 0");
  }
  if (ms === 0) return 0;
  if (ms < MIN_ROTATE_PERIOD_MS || ms > MAX_ROTATE_PERIOD_MS) {
    throw errConfigureBody('rotate: out of range (want "" or 0, or 1s to 36500d)');
  }
  return Math.round(ms);
}

/** Sets the minimum decryption version and/or the rotation period; answers the new settings. */
export async function configureKey(ctx: RequestContext): Promise<Reply> {
  const name = keyName(ctx.resource);
  const body = decode(ctx, CONFIGURE, () => errConfigureBody());
  const min = body.min_decryption_version;
  if (min === undefined && body.rotate === undefined) {
    throw errConfigureBody("set min_decryption_version, rotate or both");
  }
  if (min === 0) throw errConfigureBody("min_decryption_version: versions start at 1");
  const change = {
    ...(min === undefined ? {} : { minDecryptionVersion: min }),
    ...(body.rotate === undefined ? {} : { rotateMs: rotatePeriod(body.rotate) }),
  };
  const s = await ctx.state.keys.configure(name, change, ctx.identity, ctx.signal);
  ctx.state.scheduler.nudge(name);
  ctx.rt.log.info({ name, identity: ctx.identity, ...change }, `secret key '${name}' configured`);
  return jsonReply({
    name,
    enabled: s.enabled,
    min_decryption_version: s.minDecryptionVersion,
    rotate: rotateText(s.rotateMs),
  });
}

function setEnabled(enabled: boolean) {
  return async (ctx: RequestContext): Promise<Reply> => {
    const name = keyName(ctx.resource);
    await ctx.state.keys.setEnabled(name, enabled, ctx.identity, ctx.signal);
    const what = enabled ? "enabled" : "disabled";
    ctx.rt.log.info({ name, identity: ctx.identity }, `secret key '${name}' ${what}`);
    return emptyReply();
  };
}

export const disableKey = setEnabled(false);
export const enableKey = setEnabled(true);

/** A key pending deletion is back, as it was. */
export async function restoreKey(ctx: RequestContext): Promise<Reply> {
  const name = keyName(ctx.resource);
  await ctx.state.keys.restore(name, ctx.identity, ctx.signal);
  ctx.state.scheduler.nudge(name);
  ctx.rt.log.info({ name, identity: ctx.identity }, `secret key '${name}' restored`);
  return emptyReply();
}

/** Destroys a key pending deletion before its window ends (an explicit admin action). */
export async function purgeKey(ctx: RequestContext): Promise<Reply> {
  const name = keyName(ctx.resource);
  await ctx.state.keys.purge(name, ctx.identity, ctx.signal);
  ctx.rt.log.info({ name, identity: ctx.identity }, `secret key '${name}' purged`);
  return emptyReply();
}
