/**
 * The fenced code blocks of a Markdown file, sorted into what the README snippet test does with
 * them, and the rewrites that turn a block into a file that runs. Pure: no I/O.
 *
 * The conventions (also in the README's "Development" section and snippets.test.ts):
 * - ```ts blocks run as TypeScript modules; `from 'docker-shell'` means the sources (src/index.ts).
 *   A line `console.log(A, B); //=> a, b` states what it prints: the test checks that
 *   `[A, B]` deep-equals `[a, b]`.
 * - ```bash / ```sh blocks run in bash from the repository's root, stopping at the first failing
 *   command. A line ending with the comment `# exits N` must exit with N instead.
 * - ```text / ```json blocks are illustrations, unless preceded by `<!-- snippet: output -->`
 *   (compared with what the block above printed on stdout and stderr together) or
 *   `<!-- snippet: stdout -->` (its stdout only).
 * - `<!-- snippet: skip: REASON -->` before a code block excludes it, saying why.
 * - Any other block (no language, another language) is an error: nothing escapes by accident.
 */

/** What the test does with a block. */
export type BlockKind = 'ts' | 'bash' | 'shown';

/** A marker comment right before a block's fence. */
export type Marker = { kind: 'skip'; reason: string } | { kind: 'output' | 'stdout' };

export interface Block {
  kind: BlockKind;
  /** The fence's info string, e.g. `ts`. */
  lang: string;
  /** 1-based line of the opening fence; the code starts on the next line. */
  fenceLine: number;
  /** The block's text, without the fences, ending with a newline. */
  code: string;
  marker: Marker | undefined;
  /** The heading the block sits under, e.g. `Quick start`. */
  heading: string;
}

const RUN_LANGS: Record<string, BlockKind> = { ts: 'ts', typescript: 'ts', bash: 'bash', sh: 'bash', shell: 'bash' };
const SHOWN_LANGS = new Set(['text', 'json', 'console']);
const MARKER = /^<!--\s*snippet:\s*(skip|output|stdout)\s*(?::\s*([\s\S]*?))?\s*-->$/;

/** Splits `markdown` into its fenced blocks; throws on a block the test could not place. */
export function readBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const headingMatch = /^#{1,6}\s+(.*)$/.exec(line);
    if (headingMatch) heading = (headingMatch[1] as string).trim();
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(line);
    if (!fence) continue;
    const where = `README.md:${i + 1}`;
    if (fence[1] !== '') throw new Error(`${where}: an indented fence; the snippet test reads fences at the start of a line only`);
    const lang = (fence[3] as string).trim();
    const open = fence[2] as string;
    const closing = new RegExp(`^${open[0] === '`' ? '`' : '~'}{${open.length},}\\s*$`);
    const close = lines.findIndex((l, j) => j > i && closing.test(l));
    if (close < 0) throw new Error(`${where}: the fence is never closed`);
    const kind = RUN_LANGS[lang] ?? (SHOWN_LANGS.has(lang) ? 'shown' : undefined);
    if (!kind) throw new Error(`${where}: a block of language "${lang}": tag it ts, bash, sh, text or json`);
    const marker = markerBefore(lines, i, where);
    if (marker?.kind === 'skip' && kind === 'shown') throw new Error(`${where}: a skip marker on an illustration, which never runs`);
    if (marker && marker.kind !== 'skip' && kind !== 'shown')
      throw new Error(`${where}: an output marker on a ${lang} block; put it before the text block showing the output`);
    blocks.push({ kind, lang, fenceLine: i + 1, code: lines.slice(i + 1, close).join('\n') + '\n', marker, heading });
    i = close;
  }
  return blocks;
}

/** The `<!-- snippet: ... -->` comment (on one line or several) right before line `index`, if any. */
function markerBefore(lines: string[], index: number, where: string): Marker | undefined {
  let end = index - 1;
  while (end >= 0 && (lines[end] as string).trim() === '') end--;
  if (end < 0 || !(lines[end] as string).trim().endsWith('-->')) return undefined;
  let start = end;
  while (start > 0 && !(lines[start] as string).trim().startsWith('<!--')) start--;
  const text = lines
    .slice(start, end + 1)
    .map((line) => line.trim())
    .join(' ');
  if (!text.startsWith('<!--') || !/snippet/.test(text)) return undefined;
  const match = MARKER.exec(text);
  if (!match) throw new Error(`${where}: a snippet marker the test does not know: ${text}`);
  if (match[1] === 'skip') {
    const reason = (match[2] ?? '').trim();
    if (reason === '') throw new Error(`${where}: a skip marker must say why: <!-- snippet: skip: REASON -->`);
    return { kind: 'skip', reason };
  }
  return { kind: match[1] as 'output' | 'stdout' };
}

/** A line `console.log(ARGS); //=> EXPECTED`, with what it prints and what it should. */
const STATED = /^(\s*)console\.log\((.*)\);\s*\/\/=>\s*(.+?)\s*$/;

/**
 * The TypeScript module a ts block becomes: line N of the file is line N of the README (line 1
 * imports the check, the lines before the code are blank), `'docker-shell'` is `importPath`, and each
 * `//=>` line calls the check instead of printing only.
 */
export function tsModule(block: Block, importPath: string, checkPath: string): string {
  const head = [`import { stated as __stated } from ${JSON.stringify(checkPath)};`, ...Array<string>(block.fenceLine - 1).fill('')];
  const body = block.code.split('\n').map((line, k) => {
    const readmeLine = block.fenceLine + 1 + k;
    let out = line.replace(/from 'docker-shell'/g, `from ${JSON.stringify(importPath)}`);
    if (out.includes('//=>')) {
      const match = STATED.exec(out);
      if (!match) throw new Error(`README.md:${readmeLine}: \`//=>\` goes after \`console.log(...);\` on one line`);
      out = `${match[1]}__stated(${readmeLine}, [${match[2]}], [${match[3]}]);`;
    }
    return out;
  });
  return [...head, ...body].join('\n');
}

/** `# exits N` at the end of a command line. */
const EXITS = /^(.*?)\s+#\s*exits\s+(\d+)\b.*$/;

/**
 * The bash script a bash block becomes: line N is line N of the README, `set -e -o pipefail`, with
 * stderr into stdout when `merge`, and each `# exits N` line checked for that exit code.
 */
export function bashScript(block: Block, merge: boolean): string {
  const head = [`set -e -o pipefail${merge ? '; exec 2>&1' : ''}`, ...Array<string>(block.fenceLine - 1).fill('')];
  const body = block.code.split('\n').map((line, k) => {
    const match = EXITS.exec(line);
    if (!match) return line;
    const readmeLine = block.fenceLine + 1 + k;
    const want = match[2] as string;
    return (
      `if ${match[1]}; then __rc=0; else __rc=$?; fi; ` +
      `if [ "$__rc" != ${want} ]; then echo "README.md:${readmeLine}: exited with $__rc, the README says ${want}" >&2; exit 1; fi`
    );
  });
  return [...head, ...body].join('\n');
}

/**
 * Output as the README shows it, for comparison: npm's own warnings dropped (they come from the
 * machine's npm config), container ids, image ids and durations replaced by placeholders, trailing
 * blank lines and spaces gone.
 */
export function normalizeOutput(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('npm warn '))
    .map((line) =>
      line
        .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<id>')
        .replace(/\b[0-9a-f]{12}\b/g, '<id>')
        // A sandbox's start takes 300 ms or 1.6 s, as the machine is loaded: either is a duration.
        .replace(/\b\d+(?:\.\d+)? m?s\b/g, '<n> ms')
        .replace(/"durationMs":[\d.]+/g, '"durationMs":<n>')
        .trimEnd(),
    )
    .join('\n')
    .trim();
}

/** The npm scripts a skipped block names (`npm run X`, `npm test`), for checking that they exist. */
export function npmScriptsIn(code: string): string[] {
  const names = new Set<string>();
  for (const match of code.matchAll(/\bnpm\s+(?:run(?:-script)?\s+(?:-s\s+)?([\w:.-]+)|(test|start))\b/g)) names.add((match[1] ?? match[2]) as string);
  return [...names];
}
