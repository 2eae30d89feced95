import { describe, expect, test } from "vitest";
import { parseConfigText } from "../config/load.js";
import { checkIdentities, checkMinioRoutes } from "./policy-checks.js";

const A = "a".repeat(64);
const B = "b".repeat(64);

function configOf(policies: string, api = "") {
  const text = `admin: { identity: disabled }\ntls: { key: k, cert: c }\n${api}policy:\n${policies}keystore: { fs: { path: p } }\n`;
  return parseConfigText(text, "c.yml", {}).config;
}

const minio = (allow: string, ids = `[${A}]`) =>
  `  minio:\n    allow: ${allow}\n    identities: ${ids}\n`;
const FULL =
  "[/v1/key/create/*, /v1/key/generate/*, /v1/key/decrypt/*, /v1/key/list/*, /v1/status, /v1/metrics]";

describe("checkMinioRoutes", () => {
  test.each([
    ["every route", FULL, "ok", "policy 'minio' allows every route MinIO calls"],
    [
      "key prefixes narrower than the route",
      "[/v1/key/create/minio-*, /v1/key/generate/minio-*, /v1/key/decrypt/minio-*, /v1/key/list/minio-*, /v1/status, /v1/metrics]",
      "ok",
      "policy 'minio' allows every route MinIO calls",
    ],
    ["one wide prefix", "[/v1/*]", "ok", "policy 'minio' allows every route MinIO calls"],
    [
      "no status",
      "[/v1/key/*, /v1/metrics]",
      "fail",
      `policy 'minio' does not allow /v1/status: MinIO reports "insufficient permissions"`,
    ],
    [
      "no create nor status",
      "[/v1/key/generate/*, /v1/key/decrypt/*]",
      "fail",
      `policy 'minio' does not allow /v1/key/create/<key>, /v1/status: MinIO reports "insufficient permissions"`,
    ],
    [
      "no metrics nor list",
      "[/v1/key/create/*, /v1/key/generate/*, /v1/key/decrypt/*, /v1/status]",
      "warn",
      "policy 'minio' does not allow /v1/metrics, /v1/key/list/<key> (MinIO's KMS metrics and key listing)",
    ],
  ])("%s", (_name, allow, status, message) => {
    const [r] = checkMinioRoutes(configOf(minio(allow)));
    expect(r).toMatchObject({ id: "minio.routes.minio", status, message });
  });

  test("a deny rule takes a route away, as the server's matcher does", () => {
    const config = configOf(`${minio(FULL)}    deny: [/v1/status]\n`);
    expect(checkMinioRoutes(config)[0]?.status).toBe("fail");
  });

  test("skip_auth on /v1/status opens it to every client", () => {
    const config = configOf(
      minio("[/v1/key/*, /v1/metrics]"),
      "api:\n  /v1/status:\n    skip_auth: true\n",
    );
    expect(checkMinioRoutes(config)[0]?.status).toBe("ok");
  });

  test("no policy that generates and decrypts: a warning, not one line per policy", () => {
    const results = checkMinioRoutes(configOf(minio("[/v1/key/describe/*]")));
    expect(results).toEqual([expect.objectContaining({ id: "minio.routes", status: "warn" })]);
  });

  test("a policy without identities is no MinIO policy", () => {
    const results = checkMinioRoutes(configOf(minio(FULL, "[]")));
    expect(results.map((r) => r.id)).toEqual(["minio.routes"]);
  });
});

describe("checkIdentities", () => {
  test("one line for the admin and one per policy", () => {
    const config = configOf(
      `${minio(FULL)}  other:\n    allow: [/v1/status]\n    identities: [${B}, not-hex]\n  orphan:\n    allow: [/v1/status]\n`,
    );
    expect(checkIdentities(config).map((r) => [r.id, r.status, r.message])).toEqual([
      ["identity.admin", "ok", "no admin identity (disabled): only policy identities have access"],
      ["policy.minio", "ok", "policy 'minio': 1 identity"],
      [
        "policy.other",
        "fail",
        "policy 'other' lists 'not-hex', which no client can have (an identity is 64 lowercase hex digits)",
      ],
      ["policy.orphan", "fail", "policy 'orphan' has no identity: no client can use it"],
    ]);
  });
});
