// The result of `keyfront doctor`: one record per check (stable id, ok | warn | fail, what was
// found, what to do) and its two renderings, one line per check for people and one JSON document
// for machines. Pure. A warning never fails the run: it names something that works today but
// needs attention (a certificate close to expiry, plain-HTTP Vault, a standby node).

export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  /** Stable, dotted: `config`, `tls.cert.expiry`, `vault.mount`, … */
  readonly id: string;
  readonly status: CheckStatus;
  /** What was found, one sentence. */
  readonly message: string;
  /** What to do; empty when there is nothing to do. */
  readonly hint: string;
}

export const ok = (id: string, message: string): CheckResult => ({
  id,
  status: "ok",
  message,
  hint: "",
});
export const warn = (id: string, message: string, hint = ""): CheckResult => ({
  id,
  status: "warn",
  message,
  hint,
});
export const fail = (id: string, message: string, hint = ""): CheckResult => ({
  id,
  status: "fail",
  message,
  hint,
});

/** 0 when no check failed (warnings pass), 1 otherwise. */
export function exitCodeOf(results: readonly CheckResult[]): 0 | 1 {
  return results.some((r) => r.status === "fail") ? 1 : 0;
}

const LABEL: Record<CheckStatus, string> = { ok: "ok  ", warn: "WARN", fail: "FAIL" };

/** One line per check: `ok   tls.cert.expiry  valid until …` / `FAIL … → what to do`. */
export function formatText(results: readonly CheckResult[]): string {
  const width = Math.max(0, ...results.map((r) => r.id.length));
  const lines = results.map((r) => {
    const text = r.hint === "" ? r.message : `${r.message} → ${r.hint}`;
    return `${LABEL[r.status]} ${r.id.padEnd(width)}  ${oneLine(text)}`;
  });
  const failed = results.filter((r) => r.status === "fail").length;
  const warned = results.filter((r) => r.status === "warn").length;
  lines.push(
    failed === 0
      ? `${results.length} checks: all passed${warned > 0 ? ` (${warned} with a warning)` : ""}`
      : `${results.length} checks: ${failed} failed, ${warned} warned`,
  );
  return `${lines.join("\n")}\n`;
}

/** `{"ok": bool, "checks": [{id, status, message, hint}]}`; field names are stable. */
export function formatJson(results: readonly CheckResult[]): string {
  const checks = results.map(({ id, status, message, hint }) => ({ id, status, message, hint }));
  return `${JSON.stringify({ ok: exitCodeOf(results) === 0, checks }, null, 2)}\n`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, "; ");
}
