// The one substitution readme.test.ts makes when it runs README's blocks: an `npm` first on PATH
// that forwards to the real npm, except for two commands:
//   * `npm ci` runs once per clone; later calls say so and do nothing (it is slow, and the clone's
//     node_modules is already exactly what the lockfile says);
//   * `npm test` runs one small folder (internal/policy) of the suite: the whole suite is what the
//     outer run (and CI) runs, and running it from inside itself would recurse.
// Everything else a block does runs unchanged.

import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const INNER_TEST_FOLDER = "internal/policy";

/** Writes `dir/npm` and returns `dir`. */
export function writeNpmShim(dir: string): string {
  const realNpm = execFileSync("bash", ["-c", "command -v npm"], { encoding: "utf8" }).trim();
  if (!realNpm) throw new Error("npm is not on PATH");
  mkdirSync(dir, { recursive: true });
  const script = `#!/usr/bin/env bash
# readme.test.ts's npm shim (test/readme/npm-shim.ts): npm ci once per clone, npm test narrowed.
real=${JSON.stringify(realNpm)}
mark=${JSON.stringify(join(dir, "npm-ci-done"))}
case "\${1:-}" in
  ci)
    if [ -e "$mark" ]; then
      echo "readme test (npm shim): npm ci already ran in this clone; not repeated" >&2
      exit 0
    fi
    "$real" "$@" && touch "$mark"
    ;;
  test)
    shift
    for a in "$@"; do
      if [ "$a" = "--" ]; then exec "$real" test "$@" ${INNER_TEST_FOLDER}; fi
    done
    echo "readme test (npm shim): npm test narrowed to ${INNER_TEST_FOLDER}" >&2
    exec "$real" test "$@" -- ${INNER_TEST_FOLDER}
    ;;
  *) exec "$real" "$@" ;;
esac
`;
  writeFileSync(join(dir, "npm"), script);
  chmodSync(join(dir, "npm"), 0o755);
  return dir;
}
