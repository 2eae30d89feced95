// README.md's fenced blocks, for readme.test.ts. The rule every block follows:
//   * ```sh and ```bash blocks are shell commands; the test runs every one of them as pasted.
//   * ```yaml, ```ts, ```hcl, ```json, ```nginx and ```text blocks are not shell; synopses (commands with
//     placeholders or alternatives, like `keyfront server [--config FILE]`) are ```text.
//   * Any other language, and an untagged ``` block, is an error: say what the block is.
// A shell block may carry one directive, a comment line in the block itself:
//   # readme: serves until stopped, ready at "TEXT"
//       the block keeps running (a server); once its output contains TEXT, the next blocks of the
//       same `##` section run, and it is stopped at the end of the section;
//   # readme: not run here: REASON
//       the block is not run (e.g. it needs a real Vault); the test says so loudly, with REASON.
// Any other `# readme:` line is an error.

export const SHELL_LANGUAGES = ["sh", "bash"] as const;
export const OTHER_LANGUAGES = ["yaml", "ts", "hcl", "json", "nginx", "text"] as const;

export type Directive =
  | { kind: "run" }
  | { kind: "serve"; readyText: string }
  | { kind: "skip"; reason: string };

export interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  /** The `##` section the block is in ("" before the first). */
  section: string;
  text: string;
}

export interface ShellBlock extends Block {
  directive: Directive;
}

const FENCE_OPEN = /^(\s*)```(\S*)\s*$/;
const FENCE_CLOSE = /^\s*```\s*$/;
const DIRECTIVE = /^\s*#\s*readme:\s*(.*?)\s*$/;
const SERVE = /^serves until stopped, ready at "([^"]+)"$/;
const SKIP = /^not run here: (\S.*)$/;

/** Every fenced block of a Markdown text, with its section (`## ` heading outside fences). */
export function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith("## ")) section = line.slice(3).trim();
    const open = FENCE_OPEN.exec(line);
    if (!open) continue;
    const indent = (open[1] as string).length;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !FENCE_CLOSE.test(lines[j] as string)) {
      body.push((lines[j] as string).slice(indent));
      j++;
    }
    if (j >= lines.length) throw new Error(`README.md:${i + 1}: the block is never closed`);
    blocks.push({ line: i + 1, lang: open[2] as string, section, text: `${body.join("\n")}\n` });
    i = j;
  }
  return blocks;
}

/** The directive of a shell block; throws on an unknown or repeated one. */
export function directiveOf(block: Block): Directive {
  const found = block.text
    .split("\n")
    .map((l) => DIRECTIVE.exec(l)?.[1])
    .filter((d): d is string => d !== undefined);
  if (found.length === 0) return { kind: "run" };
  if (found.length > 1) throw new Error(`README.md:${block.line}: more than one '# readme:' line`);
  const d = found[0] as string;
  const serve = SERVE.exec(d);
  if (serve) return { kind: "serve", readyText: serve[1] as string };
  const skip = SKIP.exec(d);
  if (skip) return { kind: "skip", reason: skip[1] as string };
  throw new Error(
    `README.md:${block.line}: unknown directive '# readme: ${d}' (want 'serves until stopped, ready at "TEXT"' or 'not run here: REASON')`,
  );
}

/** Problems of the blocks' languages: one line per block whose language is not known. */
export function languageProblems(blocks: Block[]): string[] {
  const known: readonly string[] = [...SHELL_LANGUAGES, ...OTHER_LANGUAGES];
  return blocks
    .filter((b) => !known.includes(b.lang))
    .map(
      (b) =>
        `README.md:${b.line} (${b.section}): ${b.lang === "" ? "an untagged block" : `unknown language '${b.lang}'`}; tag it ${known.join(", ")} (synopses are text)`,
    );
}

export function isShell(b: Block): boolean {
  return (SHELL_LANGUAGES as readonly string[]).includes(b.lang);
}

/** The shell blocks grouped by section, in README order. */
export function shellSections(blocks: Block[]): { section: string; blocks: ShellBlock[] }[] {
  const out: { section: string; blocks: ShellBlock[] }[] = [];
  for (const b of blocks.filter(isShell)) {
    const last = out[out.length - 1];
    const sb = { ...b, directive: directiveOf(b) };
    if (last && last.section === b.section) last.blocks.push(sb);
    else out.push({ section: b.section, blocks: [sb] });
  }
  return out;
}
