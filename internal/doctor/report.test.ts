import { describe, expect, test } from "vitest";
import { exitCodeOf, fail, formatJson, formatText, ok, warn } from "./report.js";

describe("report", () => {
  const results = [
    ok("config", "c.yaml is valid"),
    warn("tls.cert.expiry", "expires in 3 days", "renew it"),
    fail("vault.state", "Vault is sealed", "unseal it"),
  ];

  test("warnings pass, a failure fails", () => {
    expect(exitCodeOf(results.slice(0, 2))).toBe(0);
    expect(exitCodeOf(results)).toBe(1);
    expect(exitCodeOf([])).toBe(0);
  });

  test("one line per check, with the hint after an arrow, and a summary", () => {
    expect(formatText(results)).toBe(
      [
        "ok   config           c.yaml is valid",
        "WARN tls.cert.expiry  expires in 3 days → renew it",
        "FAIL vault.state      Vault is sealed → unseal it",
        "3 checks: 1 failed, 1 warned",
        "",
      ].join("\n"),
    );
    expect(formatText(results.slice(0, 2)).split("\n").at(-2)).toBe(
      "2 checks: all passed (1 with a warning)",
    );
  });

  test("a message with newlines stays on one line", () => {
    expect(formatText([fail("x", "a\n  b")]).split("\n")[0]).toBe("FAIL x  a; b");
  });

  test("JSON: ok and the checks with stable fields", () => {
    expect(JSON.parse(formatJson(results))).toEqual({
      ok: false,
      checks: [
        { id: "config", status: "ok", message: "c.yaml is valid", hint: "" },
        { id: "tls.cert.expiry", status: "warn", message: "expires in 3 days", hint: "renew it" },
        { id: "vault.state", status: "fail", message: "Vault is sealed", hint: "unseal it" },
      ],
    });
  });
});
