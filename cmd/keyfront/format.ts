// Output helpers of the client commands (DESIGN.md §12): JSON for machines, tables and colour only
// on a terminal, dates as KES prints them. Everything here writes to stdout through `result`;
// it must never print diagnostics (those go to stderr via output.ts `note`).

import { result } from "./output.js";

/** Whether stdout is a terminal (human output) — the KES CLI's `isTerm(os.Stdout)`. */
export function isTerminal(): boolean {
  return process.stdout.isTTY === true;
}

/** Colour on a terminal unless NO_COLOR is set or `--color never`; always with `--color always`. */
export function useColor(color?: string): boolean {
  if (color === "always") return true;
  if (color === "never") return false;
  return isTerminal() && (process.env.NO_COLOR ?? "") === "";
}

const wrap = (open: number, close: number) => (text: string, on: boolean) =>
  on ? `\x1b[${open}m${text}\x1b[${close}m` : text;
export const bold = wrap(1, 22);
export const underline = wrap(4, 24);
export const dim = wrap(2, 22);
export const green = wrap(32, 39);
export const red = wrap(31, 39);

/** JSON on stdout: indented on a terminal, one line otherwise. */
export function printJson(value: unknown): void {
  result(JSON.stringify(value, null, isTerminal() ? 2 : undefined));
}

/** `YYYY-MM-DD hh:mm:ss` in local time, as KES's `key info` prints dates. */
export function formatDate(iso: string | undefined): string {
  if (iso === undefined || iso === "") return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  );
}

/** Aligned `Label  value` lines. */
export function printFields(fields: ReadonlyArray<readonly [string, string]>, color: boolean) {
  const width = Math.max(...fields.map(([k]) => k.length));
  result(fields.map(([k, v]) => `${bold(k.padEnd(width), color)}  ${v}`).join("\n"));
}

/** A table with an underlined header on a terminal; bare rows (tab-free, aligned) otherwise. */
export function printTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  color: boolean,
): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const out = rows.map(line);
  if (isTerminal()) out.unshift(underline(line(header), color));
  if (out.length > 0) result(out.join("\n"));
}

/** A list of names: a JSON array with --json, else a one-column table under `header`. */
export function printNames(
  header: string,
  names: readonly string[],
  opts: { json?: boolean | undefined; color: boolean },
): void {
  if (opts.json) printJson(names);
  else
    printTable(
      [header],
      names.map((n) => [n]),
      opts.color,
    );
}

/** Human duration: `3d 4h`, `5m 2s`, `42s` (shared with the Vault certificate expiry notice). */
export { formatDuration } from "../../internal/config/duration.js";

/** Human bytes: `12.3 MiB`. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
