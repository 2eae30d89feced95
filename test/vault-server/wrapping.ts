// Response wrapping of the Vault test server: `X-Vault-Wrap-TTL` parsing, replacing a reply by a
// single-use wrapping token, `sys/wrapping/unwrap` and `sys/wrapping/lookup` (vault-api.md §5.3,
// quirk 20). It must never let a wrapping token be unwrapped twice or after its TTL.

import { envelopeOf, wrappedEnvelopeOf } from "./envelope.js";
import { fail, type Namespace, ok, type Reply, rawJson, type ServerState } from "./state.js";
import { findToken, mintToken, revokeToken } from "./token-store.js";
import { formatUtcNano, parseDurationSeconds } from "./util.js";

export const INVALID_WRAPPING_TOKEN = "wrapping token is not valid or does not exist";

/** Wrap TTL in seconds, 0 for no wrapping, or an error message (§1.5). */
export function parseWrapTtl(header: string | string[] | undefined): number | string {
  if (header === undefined || Array.isArray(header) || header === "") return 0;
  const secs = parseDurationSeconds(header);
  if (secs === undefined) return "error parsing X-Vault-Wrap-TTL header: invalid duration";
  if (secs < 0)
    return "error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative";
  return secs;
}

/** Stores `reply` behind a fresh wrapping token and returns the wrapped envelope. */
export function wrapReply(
  state: ServerState,
  ns: Namespace,
  reply: Extract<Reply, { kind: "response" }>,
  mountType: string,
  ttl: number,
  creationPath: string,
): Reply {
  const auth = reply.auth as { accessor?: string } | null | undefined;
  const wrappedAccessor = reply.wrappedAccessor ?? auth?.accessor;
  const creationTime = formatUtcNano(Date.now());
  const { entry } = mintToken(state, {
    ns,
    policies: ["response-wrapping"],
    noDefaultPolicy: true,
    path: creationPath,
    displayName: "",
    ttl,
    maxTtl: ttl,
    numUses: 1,
    renewable: false,
    orphan: true,
    wrap: {
      reply,
      mountType,
      creationPath,
      creationTime,
      ttl,
      ...(wrappedAccessor !== undefined ? { wrappedAccessor } : {}),
    },
  });
  return rawJson(
    wrappedEnvelopeOf({
      token: entry.id,
      accessor: entry.accessor,
      ttl,
      creationTime,
      creationPath,
      wrappedAccessor,
    }),
  );
}

/** `sys/wrapping/unwrap` of `token`: the original response with a fresh request_id, once. */
export function unwrapToken(state: ServerState, token: string): Reply {
  const entry = findToken(state, token);
  if (entry?.wrap === undefined) return fail(400, INVALID_WRAPPING_TOKEN);
  revokeToken(state, entry.id);
  return rawJson(envelopeOf(entry.wrap.reply, entry.wrap.mountType));
}

/** `sys/wrapping/lookup` (unauthenticated). */
export function lookupWrapping(state: ServerState, token: string): Reply {
  const entry = findToken(state, token);
  if (entry?.wrap === undefined) return fail(400, INVALID_WRAPPING_TOKEN);
  return ok({
    creation_path: entry.wrap.creationPath,
    creation_time: entry.wrap.creationTime,
    creation_ttl: entry.wrap.ttl,
  });
}
