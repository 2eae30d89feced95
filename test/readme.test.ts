// README.md, run the way a newcomer runs it: in a fresh clone of HEAD, every shell block
// (```sh / ```bash) runs as pasted, in README order, each section's blocks in that section's
// context (a block marked `# readme: serves until stopped, ready at "…"` keeps serving for the
// next blocks of its section). Rules and directives: test/readme/blocks.ts. A block that is not
// run says so loudly. Each block runs in its own process group, bounded in time; a block that
// leaves a process behind fails, and the group is stopped either way.
// The one substitution: an `npm` shim first on PATH (test/readme/npm-shim.ts) runs `npm ci` once
// per clone and narrows `npm test` to one folder (the full suite is this run; it must not
// recurse). Also: `npm start`'s banner prints a curl line that works when pasted.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers/server.js";
import { fencedBlocks, languageProblems, type ShellBlock, shellSections } from "./readme/blocks.js";
import { writeNpmShim } from "./readme/npm-shim.js";
import {
  blockFile,
  groupAlive,
  type RunningBlock,
  startBlock,
  stopGroup,
  waitExit,
  waitReady,
} from "./readme/run-block.js";

const INNER = process.env.KEYFRONT_README_TEST === "inner";
/** A section runs all its blocks: an npm ci, a build and the narrowed tests at most. */
const SECTION_TIMEOUT_MS = 1_500_000;

const work = INNER ? "" : mkdtempSync(join(tmpdir(), "keyfront-readme-"));
const clone = join(work, "clone");
const shimDir = join(work, "shim");
if (!INNER) {
  // Clone the working tree's HEAD: what a newcomer gets from the repository.
  execFileSync("git", ["clone", "--quiet", "--no-hardlinks", ROOT, clone], { stdio: "pipe" });
  writeNpmShim(shimDir);
}
const blocks = INNER ? [] : fencedBlocks(readFileSync(join(clone, "README.md"), "utf8"));

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const where = (b: ShellBlock) => `README.md:${b.line} (${b.section})`;

async function runSection(section: { section: string; blocks: ShellBlock[] }): Promise<void> {
  const serving: { block: ShellBlock; run: RunningBlock }[] = [];
  try {
    for (const b of section.blocks) {
      if (b.directive.kind === "skip") {
        console.warn(`\n!!! ${where(b)}: README block NOT RUN: ${b.directive.reason}\n`);
        continue;
      }
      const run = startBlock(b.text, { cwd: clone, file: blockFile(work, b.line), shimDir });
      const pgid = run.proc.pid as number;
      if (b.directive.kind === "serve") {
        serving.push({ block: b, run });
        const ready = await waitReady(run, b.directive.readyText);
        expect(
          ready,
          `${where(b)} never printed "${b.directive.readyText}":\n${run.output()}`,
        ).toBe(true);
        continue;
      }
      const code = await waitExit(run);
      const leftover = groupAlive(pgid);
      await stopGroup(pgid);
      expect(code, `${where(b)} exited with ${code ?? "a timeout"}:\n${run.output()}`).toBe(0);
      expect(leftover, `${where(b)} left a process running:\n${run.output()}`).toBe(false);
    }
  } finally {
    for (const s of serving) await stopGroup(s.run.proc.pid as number);
  }
}

if (INNER) {
  it("is run by the outer test run, not inside the clone", () => {
    console.warn("readme.test.ts: the fresh-clone run is done by the outer test run");
  });
}

if (!INNER)
  describe("README.md in a fresh clone", () => {
    it("tags every block with a known language (shell blocks sh/bash, synopses text)", () => {
      expect(languageProblems(blocks)).toEqual([]);
    });

    const sections = INNER ? [] : shellSections(blocks);
    it("has shell blocks to run", () => {
      expect(sections.length).toBeGreaterThan(0);
    });
    for (const section of sections) {
      const lines = section.blocks.map((b) => b.line).join(", ");
      it(
        `runs the shell blocks of "${section.section}" as pasted (lines ${lines})`,
        async () => {
          await runSection(section);
        },
        SECTION_TIMEOUT_MS,
      );
    }

    it("leaves nothing in the clone that git would pick up (secrets stay in ignored or temp dirs)", () => {
      const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], {
        cwd: clone,
        encoding: "utf8",
      });
      expect(status).toBe("");
    });

    it("npm start prints a curl line that works when pasted", async () => {
      // After the blocks above: the clone is installed and built; my-key is the curl line's key.
      rmSync(join(clone, "data/my-key"), { force: true });
      const port = 17000 + Math.floor(Math.random() * 20000);
      const proc = spawn("npm", ["start", "--", "--addr", `127.0.0.1:${port}`], {
        cwd: clone,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      let out = "";
      proc.stdout.on("data", (c: Buffer) => {
        out += c.toString();
      });
      proc.stderr.on("data", (c: Buffer) => {
        out += c.toString();
      });
      try {
        for (let i = 0; i < 1200 && !out.includes("Server is up") && proc.exitCode === null; i++)
          await new Promise((r) => setTimeout(r, 250));
        expect(out, out.slice(-2000)).toContain("Server is up");
        expect(out).toMatch(/Admin\s+[0-9a-f]{64}/);
        const curl = /^\s+(curl .*)$/m.exec(out)?.[1];
        expect(curl, "the banner prints a curl line").toBeDefined();
        const result = execFileSync("bash", ["-ec", curl as string], {
          cwd: clone,
          encoding: "utf8",
          timeout: 60_000,
        });
        const lines = result.trim().split("\n");
        const dek = JSON.parse(lines[lines.length - 1] as string) as { plaintext: string };
        expect(Buffer.from(dek.plaintext, "base64")).toHaveLength(32);
      } finally {
        await stopGroup(proc.pid as number);
      }
    }, 300_000);
  });
