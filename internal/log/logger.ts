// The one pino factory: the error log (stderr, and the /v1/log/error stream) with redaction as a
// second line of defence. The first line of defence is that no caller hands a secret to a logger.
// Level numbers are KES's slog levels (kes-api.md §10.5): DEBUG -4, INFO 0, WARN 4, ERROR 8.

import { type DestinationStream, type Level, type Logger, pino } from "pino";
import type { LogHub } from "./hub.js";

export type { Logger } from "pino";

/** Field names whose values are never written, wherever they appear. */
export const REDACTED_FIELDS = [
  "key",
  "plaintext",
  "ciphertext",
  "context",
  "token",
  "secret",
  "secret_id",
  "password",
  "hmacKey",
  "value",
  "authorization",
  "x-vault-token",
];

/** Maps a slog level to the pino level that shows the same records. */
export function pinoLevelOf(slogLevel: number): Level | "silent" {
  if (slogLevel <= -4) return "debug";
  if (slogLevel <= 0) return "info";
  if (slogLevel <= 4) return "warn";
  if (slogLevel <= 8) return "error";
  return "silent";
}

/** Renders a pino JSON line as the text message delivered on /v1/log/error. */
function streamLine(json: string): string {
  try {
    const rec = JSON.parse(json) as Record<string, unknown>;
    const { level, time, msg, pid: _p, hostname: _h, ...rest } = rec;
    const label = pino.levels.labels[Number(level)]?.toUpperCase() ?? String(level);
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)}`)
      .join(" ");
    const text = `time=${new Date(Number(time)).toISOString()} level=${label} msg=${JSON.stringify(msg ?? "")}${fields ? ` ${fields}` : ""}`;
    return `${JSON.stringify({ message: text })}\n`;
  } catch {
    return "";
  }
}

export interface ErrorLoggerOptions {
  level: number;
  hub: LogHub;
  /** Where records go besides the hub; default stderr. */
  destination?: DestinationStream;
}

export function createErrorLogger(opts: ErrorLoggerOptions): Logger {
  const out = opts.destination ?? pino.destination({ dest: 2, sync: true });
  const hubStream: DestinationStream = {
    write(line: string) {
      if (opts.hub.size === 0) return;
      const rendered = streamLine(line);
      if (rendered) opts.hub.publish(rendered);
    },
  };
  const level = pinoLevelOf(opts.level);
  const paths = REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);
  return pino(
    {
      level,
      base: null,
      redact: { paths, censor: "[redacted]" },
      serializers: { err: pino.stdSerializers.err },
    },
    pino.multistream([
      { stream: out, level: level === "silent" ? "fatal" : level },
      { stream: hubStream, level: level === "silent" ? "fatal" : level },
    ]),
  );
}
