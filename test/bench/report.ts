// The bench's printed table and target lines.

import type { Cell } from "./paired.js";

export const fmt = (n: number, d = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d })
    : "-";

export function printHeader(title: string, a: string, b: string): void {
  console.log(`\n${title}`);
  console.log(
    [
      "scenario".padEnd(26),
      "conn",
      `${a} req/s`.padStart(9),
      `${a} p50/99`.padStart(10),
      `${a} µs`.padStart(7),
      `${b} req/s`.padStart(9),
      `${b} p50/99`.padStart(10),
      `${b} µs`.padStart(7),
      "ratio",
      " p99x",
      " cpux",
      "errs",
    ].join(" "),
  );
}

export function printCell(c: Cell): void {
  console.log(
    [
      c.scenario.padEnd(26),
      String(c.connections).padStart(4),
      fmt(c.a.rps).padStart(9),
      `${c.a.p50}/${c.a.p99}`.padStart(10),
      fmt(c.a.cpuUs).padStart(7),
      fmt(c.b.rps).padStart(9),
      `${c.b.p50}/${c.b.p99}`.padStart(10),
      fmt(c.b.cpuUs).padStart(7),
      fmt(c.ratio, 2).padStart(5),
      fmt(c.p99x, 2).padStart(5),
      fmt(c.cpux, 2).padStart(5),
      String(c.a.errors + c.a.non2xx + c.b.errors + c.b.non2xx).padStart(4),
      ` [${c.pairRatios.map((r) => fmt(r, 2)).join(" ")}]`,
    ].join(" "),
  );
}

/**
 * The cell's context switches per request, both sides (medians, all threads of the server's
 * processes): a wait is a wake-up later, which costs this VM 100–180 µs of CPU.
 */
export function printSwitches(c: Cell, a: string, b: string): void {
  const of = (m: Cell["a"]) => `${fmt(m.waits, 3)} waits + ${fmt(m.preempts, 3)} preemptions`;
  console.log(
    `  ${c.scenario} @${c.connections}, context switches per request: ${a} ${of(c.a)}; ${b} ${of(c.b)}`,
  );
}

export interface TargetLine {
  name: string;
  value: number;
  bound: number;
  met: boolean;
  text: string;
}

/** A target and whether the measured `value` meets it (`percent` prints both as %). */
export function targetLine(
  name: string,
  value: number,
  bound: number,
  op: ">=" | "<=" | "<" | "==",
  percent = false,
): TargetLine {
  const met =
    op === ">="
      ? value >= bound
      : op === "<="
        ? value <= bound
        : op === "<"
          ? value < bound
          : value === bound;
  const show = (n: number, digits: number) =>
    percent ? `${fmt(n * 100, digits - 1)}%` : fmt(n, n % 1 === 0 ? 0 : digits);
  // A miss that rounds to its bound (0.947 against 0.95) is printed with the digit that shows it.
  const digits = !met && show(value, 2) === show(bound, 2) ? 3 : 2;
  const text = `${met ? "met    " : "NOT met"}  ${name}: ${show(value, digits)} (target ${op} ${show(bound, 2)})`;
  return { name, value, bound, met, text };
}
