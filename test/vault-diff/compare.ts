// Compares the normalised answers of a server with a recorded fixture: status, compared headers
// and body, field by field, each difference named by step and JSON path. Differences the fixture's
// allow-list names (with a reason) are reported as allowed, never silently dropped.

import type { Answer } from "./run.js";

export interface Allowed {
  /** A step name, or a prefix ending in `*`. */
  step: string;
  /** A path: "status", "headers.content-type", "body.data.x" — it and everything under it. */
  where: string;
  reason: string;
}

export interface Fixture {
  producer: { server: string; version: string; tag: string; commit: string; mode: string };
  note: string;
  skipped: string[];
  allow: Allowed[];
  answers: Answer[];
}

export interface Difference {
  step: string;
  where: string;
  expected: unknown;
  actual: unknown;
  allowed?: string;
}

export function compareAnswers(fixture: Fixture, actual: readonly Answer[]): Difference[] {
  const diffs: Difference[] = [];
  const got = new Map(actual.map((a) => [a.step, a]));
  const want = new Map(fixture.answers.map((a) => [a.step, a]));
  for (const expected of fixture.answers) {
    const a = got.get(expected.step);
    if (!a) {
      diffs.push({ step: expected.step, where: "step", expected: "answered", actual: "not run" });
      continue;
    }
    deepDiff(expected.step, "status", expected.status, a.status, diffs);
    deepDiff(expected.step, "headers", expected.headers, a.headers, diffs);
    deepDiff(expected.step, "body", expected.body, a.body, diffs);
  }
  for (const a of actual) {
    if (!want.has(a.step)) {
      diffs.push({ step: a.step, where: "step", expected: "not in fixture", actual: "answered" });
    }
  }
  for (const d of diffs) {
    const rule = fixture.allow.find((r) => matches(r, d));
    if (rule) d.allowed = rule.reason;
  }
  return diffs;
}

function matches(rule: Allowed, d: Difference): boolean {
  const step = rule.step.endsWith("*")
    ? d.step.startsWith(rule.step.slice(0, -1))
    : d.step === rule.step;
  return (
    step &&
    (d.where === rule.where ||
      d.where.startsWith(`${rule.where}.`) ||
      d.where.startsWith(`${rule.where}[`))
  );
}

function deepDiff(step: string, where: string, e: unknown, a: unknown, out: Difference[]): void {
  if (isObject(e) && isObject(a)) {
    for (const k of new Set([...Object.keys(e), ...Object.keys(a)])) {
      deepDiff(step, `${where}.${k}`, e[k], a[k], out);
    }
    return;
  }
  if (Array.isArray(e) && Array.isArray(a) && e.length === a.length) {
    for (const [i, x] of e.entries()) deepDiff(step, `${where}[${i}]`, x, a[i], out);
    return;
  }
  if (JSON.stringify(e) !== JSON.stringify(a)) out.push({ step, where, expected: e, actual: a });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One line per difference, allowed ones marked with their reason. */
export function formatDifferences(diffs: readonly Difference[]): string {
  return diffs
    .map((d) => {
      const line = `${d.step} ${d.where}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`;
      return d.allowed ? `  allowed  ${line} (${d.allowed})` : `  DIFFERS  ${line}`;
    })
    .join("\n");
}
