// Audit events: one per request (keyfront audits every request, not only create/delete as KES
// HEAD does, kes-api.md §12.2, §15). Written as JSON lines to stdout when `log.audit` is on, and
// to /v1/log/audit subscribers. An event names the path and identity, never a body.

import { pino } from "pino";
import type { LogHub } from "./hub.js";

export interface AuditEvent {
  time: Date;
  method: string;
  path: string;
  ip: string;
  identity: string;
  /** The trusted TLS proxy the request came through (kes-api.md §5.5); `ip` is then the client's. */
  proxy?: { identity: string; ip: string } | undefined;
  code: number;
  /** keyfront: the key version a key route used or made (issue 10); absent elsewhere. */
  version?: number | undefined;
  /** Response time in nanoseconds (what the KES SDK parses). */
  durationNs: bigint;
}

export interface AuditSink {
  write(line: string): void;
}

export function renderAuditEvent(e: AuditEvent): string {
  const identity = e.identity === "" ? "" : `,"identity":${JSON.stringify(e.identity)}`;
  const proxy = e.proxy === undefined ? "" : `,"proxy":${JSON.stringify(e.proxy)}`;
  const version = e.version === undefined ? "" : `,"version":${e.version}`;
  return (
    `{"time":"${e.time.toISOString()}","request":{"ip":${JSON.stringify(e.ip)},` +
    `"method":"${e.method}","path":${JSON.stringify(e.path)}${identity}${proxy}},` +
    `"response":{"code":${e.code},"time":${e.durationNs}${version}}}\n`
  );
}

export class AuditLog {
  private readonly out: AuditSink | undefined;
  private readonly hub: LogHub;

  /** `enabled` writes events to `out` (default: buffered stdout). */
  constructor(hub: LogHub, enabled: boolean, out?: AuditSink) {
    this.hub = hub;
    this.out = enabled ? (out ?? pino.destination({ dest: 1, sync: false })) : undefined;
  }

  get active(): boolean {
    return this.out !== undefined || this.hub.size > 0;
  }

  record(e: AuditEvent): void {
    if (!this.active) return;
    const line = renderAuditEvent(e);
    this.out?.write(line);
    this.hub.publish(line);
  }

  flush(): void {
    const out = this.out as { flushSync?: () => void } | undefined;
    try {
      out?.flushSync?.();
    } catch {
      // stdout closed: nothing left to flush to
    }
  }
}
