import { defineConfig } from "vitest/config";

// Unit tests sit beside the pure modules; integration tests live in test/.
// Integration tests spawn servers and CLIs, so they get generous (but bounded) timeouts.
export default defineConfig({
  test: {
    include: ["internal/**/*.test.ts", "cmd/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
