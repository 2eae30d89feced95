// Handlers of /version, /v1/ready, /v1/status, /v1/metrics, /v1/api and the log streams
// (kes-api.md §3.1–§3.5, §3.9). Status reports what the SDK expects: latency in nanoseconds and
// keystore_unavailable together with keystore_unreachable (keyfront fixes KES HEAD's drift).

import { availableParallelism, cpus } from "node:os";
import {
  errLogStreams,
  errStoreUnavailable,
  errStoreUnreachable,
  KeystoreUnreachableError,
} from "../../errors.js";
import { isCancelled } from "../../keys/key-service.js";
import { LOG_STREAM_MAX_BUFFERED_BYTES } from "../../limits.js";
import type { LogHub } from "../../log/hub.js";
import { emptyReply, jsonReply, type Reply, type RequestContext, STREAMED } from "../route.js";

export function version(ctx: RequestContext): Reply {
  return jsonReply({ version: ctx.rt.version, commit: ctx.rt.commit });
}

export async function ready(ctx: RequestContext): Promise<Reply> {
  try {
    await ctx.state.cache.status(ctx.signal);
    return emptyReply();
  } catch (err) {
    if (err instanceof KeystoreUnreachableError) throw errStoreUnreachable();
    throw errStoreUnavailable();
  }
}

const GO_ARCH: Record<string, string> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" };

export async function status(ctx: RequestContext): Promise<Reply> {
  const mem = process.memoryUsage();
  let store: Record<string, unknown>;
  try {
    const s = await ctx.state.cache.status(ctx.signal);
    store = {
      keystore_latency: Number(s.latencyNs > 0n ? s.latencyNs : 1n),
      ...(s.state !== undefined ? { keystore_state: s.state } : {}),
      ...(s.endpoint ? { keystore_endpoint: s.endpoint } : {}),
      ...(s.address ? { keystore_address: s.address } : {}),
    };
  } catch (first) {
    const err = await reasonOfOutage(ctx, first);
    const unreachable = err instanceof KeystoreUnreachableError;
    // A client that hung up cancelled the probe: that is no keystore failure (and nobody reads
    // this answer). A probe that ran into the route's timeout still is one.
    if (!isCancelled(ctx.signal, first)) ctx.rt.log.warn({ err }, "keystore status probe failed");
    const state = (err as { state?: unknown }).state;
    store = {
      keystore_unavailable: true,
      ...(unreachable ? { keystore_unreachable: true } : {}),
      keystore_error: err instanceof Error ? err.message : "keystore status probe failed",
      ...(typeof state === "string" ? { keystore_state: state } : {}),
    };
  }
  const warnings = ctx.state.store.warnings?.() ?? [];
  if (warnings.length > 0) store.keystore_warnings = warnings;
  return jsonReply({
    version: ctx.rt.version,
    os: process.platform,
    arch: GO_ARCH[process.arch] ?? process.arch,
    uptime: Math.round(ctx.rt.metrics.uptimeSeconds()),
    num_cpu: cpus().length,
    num_cpu_used: availableParallelism(),
    mem_heap_used: mem.heapUsed,
    mem_stack_used: mem.external,
    ...store,
  });
}

/**
 * While the cache is offline it only says "keystore is offline"; ask the store itself why
 * (e.g. "Vault is sealed") so that /v1/status tells the truth. Keeps the cache's error when the
 * store answers (the cache goes back online at its next probe).
 */
async function reasonOfOutage(ctx: RequestContext, err: unknown): Promise<unknown> {
  if (!ctx.state.cache.offline) return err;
  try {
    await ctx.state.store.status(ctx.signal);
    return err;
  } catch (reason) {
    return reason;
  }
}

export function metrics(ctx: RequestContext): Reply {
  return {
    status: 200,
    body: ctx.rt.metrics.render(),
    contentType: "text/plain; version=0.0.4; charset=utf-8",
  };
}

export function api(ctx: RequestContext): Reply {
  return jsonReply(
    ctx.state.router.routes().map((r) => ({
      method: r.spec.method,
      path: r.spec.path,
      max_body: r.spec.maxBody,
      timeout: Math.floor(r.timeoutMs / 1000),
    })),
  );
}

/**
 * Streams a hub's lines as ndjson until the client goes away or falls too far behind. A hub
 * that is full answers 503 before any header is written (the subscriber count is bounded).
 */
function stream(ctx: RequestContext, hub: LogHub): typeof STREAMED {
  const { res } = ctx;
  const unsubscribe = hub.subscribe({
    write: (line) => {
      res.write(line);
      return res.writableLength <= LOG_STREAM_MAX_BUFFERED_BYTES;
    },
    close: () => res.destroy(),
  });
  if (unsubscribe === undefined) throw errLogStreams(hub.maxSubscribers);
  // A client already gone never fires "close" again: its slot must not stay taken.
  if (res.destroyed) {
    unsubscribe();
    return STREAMED;
  }
  res.on("close", unsubscribe);
  res.writeHead(200, { "Content-Type": "application/x-ndjson" });
  res.flushHeaders();
  return STREAMED;
}

export const errorLog = (ctx: RequestContext): typeof STREAMED => stream(ctx, ctx.rt.errorHub);
export const auditLog = (ctx: RequestContext): typeof STREAMED => stream(ctx, ctx.rt.auditHub);
