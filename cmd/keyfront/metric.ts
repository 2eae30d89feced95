// `keyfront metric [--rate 5s] [-n COUNT] [--json]` (kes-api.md §11.4): a live view of /v1/metrics.
// On a terminal the view is redrawn in place every --rate until Ctrl-C; otherwise one snapshot
// line (or JSON object with --json) is printed per interval. `-n` stops after COUNT snapshots.

import type { KeyfrontClient } from "../../internal/client/client.js";
import { parseDuration } from "../../internal/config/duration.js";
import { CLIENT_OPTIONS, explainError, parseCommand, withClient } from "./client-env.js";
import { bold, formatBytes, formatDuration, isTerminal, printJson, useColor } from "./format.js";
import { result, UsageError } from "./output.js";
import { untilInterrupted } from "./signals.js";

const USAGE = "keyfront metric [--rate 5s] [-n/--count N] [--json] [-k] [-s HOST:PORT]";

export interface Snapshot {
  success: number;
  error: number;
  failure: number;
  active: number;
  /** Requests per second since the previous snapshot (0 for the first). */
  rate: number;
  /** Mean response time in ms since the previous snapshot (or since start). */
  latency_ms: number;
  uptime: number;
  cpus: number;
  threads: number;
  heap: number;
  stack: number;
  audit_events: number;
  error_events: number;
}

/** Sums of a Prometheus text exposition's samples by metric name (labels summed). */
export function parseMetrics(text: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[2]?.includes('le="')) continue;
    const value = Number(m[3]);
    if (Number.isFinite(value)) sums.set(m[1] as string, (sums.get(m[1] as string) ?? 0) + value);
  }
  return sums;
}

function snapshotOf(
  m: Map<string, number>,
  prev: Map<string, number> | undefined,
  seconds: number,
): Snapshot {
  const v = (k: string) => m.get(k) ?? 0;
  const d = (k: string) => v(k) - (prev?.get(k) ?? 0);
  const total = ["success", "error", "failure"].map((k) => `kes_http_request_${k}`);
  const requests = total.reduce((a, k) => a + d(k), 0);
  const count = d("kes_http_response_time_count");
  return {
    success: v("kes_http_request_success"),
    error: v("kes_http_request_error"),
    failure: v("kes_http_request_failure"),
    active: v("kes_http_request_active"),
    rate: prev === undefined || seconds <= 0 ? 0 : requests / seconds,
    latency_ms: count > 0 ? (d("kes_http_response_time_sum") / count) * 1000 : 0,
    uptime: v("kes_system_up_time"),
    cpus: v("kes_system_num_cpu_used"),
    threads: v("kes_system_num_threads"),
    heap: v("kes_system_mem_heap_used"),
    stack: v("kes_system_mem_stack_used"),
    audit_events: v("kes_log_audit_events"),
    error_events: v("kes_log_error_events"),
  };
}

function render(s: Snapshot, endpoint: string, color: boolean): string {
  return [
    `${bold("Endpoint", color)}   ${endpoint}    ${bold("Uptime", color)} ${formatDuration(s.uptime)}`,
    `${bold("Requests", color)}   ${s.success} OK   ${s.error} 4xx   ${s.failure} 5xx   ${s.active} active`,
    `${bold("Rate", color)}       ${s.rate.toFixed(1)} req/s   ${bold("Latency", color)} ${s.latency_ms.toFixed(1)}ms`,
    `${bold("System", color)}     ${s.cpus} CPUs   heap ${formatBytes(s.heap)}   stack ${formatBytes(s.stack)}`,
    `${bold("Events", color)}     ${s.audit_events} audit   ${s.error_events} error`,
  ].join("\n");
}

async function poll(
  client: KeyfrontClient,
  opts: { rateMs: number; count: number; json: boolean; color: boolean },
  signal: AbortSignal,
) {
  let prev: Map<string, number> | undefined;
  let prevAt = 0;
  const live = isTerminal() && !opts.json;
  for (let i = 0; opts.count === 0 || i < opts.count; i++) {
    if (i > 0) await sleep(opts.rateMs, signal);
    if (signal.aborted) return;
    const now = performance.now();
    const m = parseMetrics(await client.metrics(signal));
    const s = snapshotOf(m, prev, (now - prevAt) / 1000);
    [prev, prevAt] = [m, now];
    if (opts.json) printJson(s);
    else if (live) result(`\x1b[H\x1b[2J${render(s, client.endpoints.join(","), opts.color)}`);
    else
      result(
        `requests=${s.success + s.error + s.failure} ok=${s.success} 4xx=${s.error} 5xx=${s.failure} active=${s.active} rate=${s.rate.toFixed(1)}/s latency=${s.latency_ms.toFixed(1)}ms heap=${s.heap}`,
      );
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

export async function runMetric(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      ...CLIENT_OPTIONS,
      rate: { type: "string", default: "5s" },
      count: { type: "string", short: "n" },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  let rateMs: number;
  try {
    rateMs = parseDuration(values.rate);
  } catch (err) {
    throw new UsageError(`--rate: ${(err as Error).message}`);
  }
  if (rateMs < 100) throw new UsageError("--rate must be at least 100ms");
  const count = values.count === undefined ? 0 : Number(values.count);
  if (!Number.isInteger(count) || count < 0) throw new UsageError("--count must be a whole number");
  const opts = { rateMs, count, json: values.json, color: useColor(values.color) };
  await withClient(values, (client) =>
    untilInterrupted((signal) =>
      poll(client, opts, signal).catch((err) => {
        if (!signal.aborted) throw explainError(err, client.identity);
      }),
    ),
  );
  return 0;
}
