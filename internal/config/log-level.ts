// Parses `log.error` / `log.audit` levels into slog levels (kes-api.md §10.5). Pure.
// It must never map an unknown word to a default: anything unrecognised is an error.

/** slog levels: DEBUG −4, INFO 0, WARN 4, ERROR 8; `off` is ERROR+1 (nothing is logged). */
export type LogLevel = number;

export const LOG_LEVEL_DEBUG = -4;
export const LOG_LEVEL_INFO = 0;
export const LOG_LEVEL_WARN = 4;
export const LOG_LEVEL_ERROR = 8;
export const LOG_LEVEL_OFF = LOG_LEVEL_ERROR + 1;

const NAMED: Readonly<Record<string, number>> = {
  DEBUG: LOG_LEVEL_DEBUG,
  INFO: LOG_LEVEL_INFO,
  WARN: LOG_LEVEL_WARN,
  ERROR: LOG_LEVEL_ERROR,
};

const LEVEL = /^([A-Z]+)(?:([+-])([0-9]+))?$/;
const INTEGER = /^[+-]?[0-9]+$/;

/** `""`/`on` → INFO, `off` → 9, `DEBUG|INFO|WARN|ERROR[±n]` (any case), or a bare integer. */
export function parseLogLevel(text: string): LogLevel {
  const s = text.trim().toUpperCase();
  if (s === "" || s === "ON") return LOG_LEVEL_INFO;
  if (s === "OFF") return LOG_LEVEL_OFF;
  if (INTEGER.test(s)) return checked(Number(s), text);
  const m = LEVEL.exec(s);
  const base = m?.[1] === undefined ? undefined : NAMED[m[1]];
  if (m === null || base === undefined) throw new Error(`invalid log level '${text}'`);
  const offset = m[3] === undefined ? 0 : Number(m[3]) * (m[2] === "-" ? -1 : 1);
  return checked(base + offset, text);
}

function checked(level: number, text: string): LogLevel {
  if (!Number.isSafeInteger(level) || Math.abs(level) > 2 ** 31) {
    throw new Error(`invalid log level '${text}'`);
  }
  return level;
}
