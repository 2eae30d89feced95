// Parses Go-syntax durations (time.ParseDuration) into milliseconds, as KES config files use them
// (kes-api.md §10.1). Pure: no I/O. It must never accept a bare non-zero number: KES's YAML library
// rejects integers for durations ("very unfriendly", yaml.v3), so `timeout: 5` is an error here too.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3, // µ (micro sign)
  "\u03bcs": 1e-3, // μ (Greek mu)
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** keyfront's lifecycle durations (deletion window, rotation period) also take days. */
const UNIT_MS_WITH_DAYS: Readonly<Record<string, number>> = { ...UNIT_MS, d: 86_400_000 };

const TERM = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/;

/**
 * Go duration syntax: `[-+]?([0-9]*(\.[0-9]*)?unit)+` or `0`, e.g. `300ms`, `1.5h`, `1h30m`, `-2s`.
 * Returns milliseconds (fractional for sub-millisecond values). Throws an Error naming the problem.
 */
export function parseDuration(s: string, opts: { days?: boolean } = {}): number {
  const units = opts.days === true ? UNIT_MS_WITH_DAYS : UNIT_MS;
  const quoted = JSON.stringify(s);
  let rest = s;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw new Error(`invalid duration ${quoted}`);
  let total = 0;
  while (rest !== "") {
    const m = TERM.exec(rest);
    const whole = m?.[1] ?? "";
    const frac = m?.[2];
    const unit = m?.[3] ?? "";
    if (m === null || (whole === "" && (frac === undefined || frac === ""))) {
      throw new Error(`invalid duration ${quoted}`);
    }
    if (unit === "") throw new Error(`missing unit in duration ${quoted}`);
    const factor = units[unit];
    if (factor === undefined)
      throw new Error(`unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    total += Number(`${whole === "" ? "0" : whole}.${frac ?? ""}0`) * factor;
    rest = rest.slice(m[0].length);
  }
  if (!Number.isFinite(total)) throw new Error(`invalid duration ${quoted}`);
  return sign * total;
}

/** Human duration: `3d 4h`, `5m 2s`, `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** A lifecycle duration (`7d`, `90d`, `36h`, `0`): Go syntax plus `d` for 24 hours. */
export const parseLifecycleDuration = (s: string): number => parseDuration(s, { days: true });

/** Milliseconds as the shortest exact lifecycle duration text: `90d`, `36h`, `90s`, `0`. */
export function formatLifecycleDuration(ms: number): string {
  if (ms === 0) return "0";
  for (const [unit, factor] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const) {
    if (ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}
