import { describe, expect, test } from "vitest";
import { parseConfigText } from "../../internal/config/load.js";
import { firstRunConfigYaml } from "./first-run-config.js";

describe("the first-run configuration", () => {
  test("loads without warnings and keeps deleted keys 7 days", () => {
    const { config, warnings } = parseConfigText(
      firstRunConfigYaml("a".repeat(64)),
      "keyfront.yaml",
      {},
    );
    expect(warnings).toEqual([]);
    expect(config.deletion).toStrictEqual({ windowMs: 7 * 86_400_000, decrypt: "deny" });
    expect(config.keystore).toStrictEqual({ kind: "fs", fs: { path: "data" } });
  });
});
