// The README block rules of readme.test.ts: languages, sections, indented fences, directives.

import { describe, expect, it } from "vitest";
import { directiveOf, fencedBlocks, languageProblems, shellSections } from "./blocks.js";

const md = [
  "# title",
  "```sh",
  "echo before",
  "```",
  "## One",
  "```",
  "keyfront server [--dev]",
  "```",
  "* item:",
  "  ```hcl",
  '  path "x" {}',
  "  ```",
  "```bash",
  "npm start",
  '# readme: serves until stopped, ready at "Server is up"',
  "```",
  "## Two",
  "```sh",
  "# readme: not run here: needs a real Vault (VAULT_ADDR)",
  "vault status",
  "```",
  "```python",
  "print()",
  "```",
].join("\n");

describe("README block rules", () => {
  const blocks = fencedBlocks(md);

  it("finds every block with its language, section and unindented text", () => {
    expect(blocks.map((b) => [b.line, b.lang, b.section])).toEqual([
      [2, "sh", ""],
      [6, "", "One"],
      [10, "hcl", "One"],
      [13, "bash", "One"],
      [18, "sh", "Two"],
      [22, "python", "Two"],
    ]);
    expect(blocks[2]?.text).toBe('path "x" {}\n');
  });

  it("refuses untagged blocks and unknown languages", () => {
    const problems = languageProblems(blocks);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^README\.md:6 \(One\): an untagged block/);
    expect(problems[1]).toMatch(/^README\.md:22 \(Two\): unknown language 'python'/);
  });

  it("groups shell blocks by section and reads their directives", () => {
    const sections = shellSections(blocks);
    expect(sections.map((s) => [s.section, s.blocks.map((b) => b.directive)])).toEqual([
      ["", [{ kind: "run" }]],
      ["One", [{ kind: "serve", readyText: "Server is up" }]],
      ["Two", [{ kind: "skip", reason: "needs a real Vault (VAULT_ADDR)" }]],
    ]);
  });

  it("refuses an unknown or repeated directive, and an unclosed block", () => {
    const block = { line: 3, lang: "sh", section: "S", text: "# readme: skip this\n" };
    expect(() => directiveOf(block)).toThrow(/README\.md:3: unknown directive/);
    const twice = "# readme: not run here: a\n# readme: not run here: b\n";
    expect(() => directiveOf({ ...block, text: twice })).toThrow(/more than one/);
    expect(() => fencedBlocks("```sh\necho\n")).toThrow(/README\.md:1: the block is never closed/);
  });
});
