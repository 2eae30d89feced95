// `keyfront log [--audit | --error] [--json]` (kes-api.md §11.4, §3.9): follows the server's audit
// stream (a table: Time, Status, Identity, IP, API, Latency) or its error log (one message per
// line) until Ctrl-C, which ends the command with exit 0. `--json` re-emits events as JSON lines.

import type { AuditEvent } from "../../internal/client/types.js";
import { CLIENT_OPTIONS, explainError, parseCommand, withClient } from "./client-env.js";
import { green, isTerminal, red, underline, useColor } from "./format.js";
import { CommandError, result, UsageError } from "./output.js";
import { untilInterrupted } from "./signals.js";

const USAGE = "keyfront log [--audit | --error] [--json] [-k] [-s HOST:PORT]";

const COLUMNS = ["Time", "Status", "Identity", "IP", "API", "Latency"];
const WIDTHS = [8, 6, 16, 15, 40];

function row(cells: string[]): string {
  return cells.map((c, i) => (i < WIDTHS.length ? c.padEnd(WIDTHS[i] ?? 0) : c)).join("  ");
}

/** Audit `response.time` is nanoseconds in keyfront (KES HEAD sent milliseconds, §12.2). */
function formatLatency(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(1)}s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)}ms`;
  return `${Math.round(ns / 1e3)}µs`;
}

export function formatAuditEvent(e: AuditEvent, color: boolean): string {
  const t = new Date(e.time);
  const time = Number.isNaN(t.getTime()) ? e.time : t.toTimeString().slice(0, 8);
  const code = e.response.code;
  const status = code < 400 ? green(String(code), color) : red(String(code), color);
  const id = e.request.identity ?? "";
  const api = `${e.request.method ?? ""} ${e.request.path}`.trim();
  return row([
    time,
    status + " ".repeat(Math.max(0, 6 - String(code).length)),
    id.slice(0, 16),
    e.request.ip ?? "",
    api,
    formatLatency(e.response.time),
  ]);
}

export async function runLog(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      ...CLIENT_OPTIONS,
      audit: { type: "boolean", default: false },
      error: { type: "boolean", default: false },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.audit && values.error)
    throw new UsageError("--audit and --error are mutually exclusive");
  const color = useColor(values.color);
  await withClient(values, (client) =>
    untilInterrupted(async (signal) => {
      try {
        if (values.error) {
          for await (const e of client.errorLog(signal)) {
            result(values.json ? JSON.stringify(e) : e.message);
          }
        } else {
          if (!values.json && isTerminal()) result(underline(row(COLUMNS), color));
          for await (const e of client.auditLog(signal)) {
            result(values.json ? JSON.stringify(e) : formatAuditEvent(e, color));
          }
        }
      } catch (err) {
        if (!signal.aborted) throw explainError(err, client.identity);
      }
      if (!signal.aborted) throw new CommandError("the server closed the log stream");
    }),
  );
  return 0;
}
