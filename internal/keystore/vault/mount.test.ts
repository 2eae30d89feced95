// Table tests of judgeMount: what each answer of `sys/internal/ui/mounts/<engine>` means for the
// configured K/V layout (vault-api.md §4.2, §4.3, §1.4).

import { describe, expect, it } from "vitest";
import type { KvLayout } from "./kv.js";
import { judgeMount } from "./mount.js";

const layout = (version: "v1" | "v2", engine = "kv"): KvLayout => ({
  engine,
  version,
  prefix: "",
});
const res = (status: number, body: unknown) => ({
  status,
  body,
  errors: (body as { errors?: string[] } | undefined)?.errors ?? [],
  warnings: [],
});
const info = (path: string, type: string, options: unknown) =>
  res(200, { data: { path, type, options } });
const PREFLIGHT = res(403, {
  errors: [
    'preflight capability check returned 403, please ensure client\'s policies grant access to path "kv/"',
  ],
});

describe("judgeMount", () => {
  it.each([
    ["v2 on v2", layout("v2"), info("kv/", "kv", { version: "2" }), "ok"],
    ["v1 on options null", layout("v1"), info("kv/", "kv", null), "ok"],
    ["v1 on version '1'", layout("v1"), info("kv/", "kv", { version: "1" }), "ok"],
    ["v1 on legacy generic", layout("v1"), info("kv/", "generic", null), "ok"],
    ["v1 inside a v1 mount", layout("v1", "kv/team"), info("kv/", "kv", null), "ok"],
    ["v1 on a 404 (Vault < 0.10)", layout("v1"), res(404, { errors: [] }), "ok"],
  ])("%s → ok", (_label, l, r) => {
    expect(judgeMount(l, "", r)).toMatchObject({ kind: "ok" });
  });

  it.each([
    [
      "v2 on v1",
      layout("v2"),
      info("kv/", "kv", null),
      "keystore.vault.version is v2, but the mount 'kv/' is K/V v1: set keystore.vault.version: v1",
    ],
    [
      "v1 on v2",
      layout("v1"),
      info("kv/", "kv", { version: 2 }),
      "keystore.vault.version is v1, but the mount 'kv/' is K/V v2: set keystore.vault.version: v2",
    ],
    [
      "v2 on a 404 (Vault < 0.10)",
      layout("v2"),
      res(404, { errors: [] }),
      "Vault older than 0.10 only has K/V v1): set keystore.vault.version: v1",
    ],
    ["no mount or no access", layout("v2"), PREFLIGHT, "the K/V mount 'kv/' does not exist"],
    [
      "not a K/V engine",
      layout("v1"),
      info("kv/", "transit", null),
      "is of type 'transit', not a K/V secrets engine",
    ],
    [
      "v2 engine inside a v2 mount",
      layout("v2", "kv/team"),
      info("kv/", "kv", { version: "2" }),
      "keystore.vault.engine 'kv/team' lies inside the K/V v2 mount 'kv/': set keystore.vault.engine: kv",
    ],
    [
      "older Vault without a token (400 missing client token)",
      layout("v2"),
      res(400, { errors: ["missing client token"] }),
      "cannot tell the K/V version of 'kv/': sys/internal/ui/mounts answered HTTP 400: missing client token",
    ],
    [
      "a policy denial without preflight",
      layout("v1"),
      res(403, { errors: ["1 error occurred:\n\t* permission denied\n\n"] }),
      "answered HTTP 403: permission denied",
    ],
    ["a 200 without data", layout("v1"), res(200, {}), "cannot tell the K/V version"],
  ])("%s → mismatch", (_label, l, r, message) => {
    const verdict = judgeMount(l, "", r);
    expect(verdict?.kind).toBe("mismatch");
    expect(verdict?.kind === "mismatch" && verdict.message).toContain(message);
  });

  it("names the namespace", () => {
    const verdict = judgeMount(layout("v2"), "tenant-a", info("kv/", "kv", null));
    expect(verdict?.kind === "mismatch" && verdict.message).toContain(
      "the mount 'kv/' in namespace 'tenant-a' is K/V v1",
    );
  });

  it.each([500, 502, 503, 429, 412])("HTTP %i says nothing about the mount", (status) => {
    expect(judgeMount(layout("v2"), "", res(status, { errors: ["x"] }))).toBeUndefined();
  });
});
