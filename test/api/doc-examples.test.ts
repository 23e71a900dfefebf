/**
 * The TSDoc of the public surface, checked: every class, function and constant src/index.ts exports
 * has an `@example`, and every `@example` (of the exports and of their members) compiles against the
 * real API with the project's strict settings. An example that drifts from the API fails here, not
 * in a reader's editor. No Docker: the examples are type-checked, not run.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const indexPath = join(root, 'src/index.ts');

interface Example {
  /** e.g. `DockerRunner.run #1` */
  name: string;
  code: string;
  /** Set for an example on an options field written as `field: value`: checked inside an object of this type. */
  objectOf: string | undefined;
}

/** The comment text of a JSDoc node, without its `/**`, `*\/` and leading ` * `. */
function commentText(doc: ts.JSDoc): string {
  return doc
    .getText()
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, ''))
    .join('\n');
}

/** The bodies of a comment's `@example` tags: the fenced code when fenced, else the tag's text. */
function examplesIn(text: string): string[] {
  const blocks: string[] = [];
  let current: string[] | undefined;
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const tag = fenced ? undefined : /^@(\w+)\s?(.*)$/.exec(line);
    if (tag) {
      if (current) blocks.push(current.join('\n'));
      current = tag[1] === 'example' ? [tag[2] ?? ''] : undefined;
    } else current?.push(line);
  }
  if (current) blocks.push(current.join('\n'));
  return blocks.map((block) => {
    const fence = /```(?:ts|typescript)?\n([\s\S]*?)```/.exec(block);
    return (fence ? (fence[1] ?? '') : block).trim();
  });
}

function docsOf(node: ts.Node): ts.JSDoc[] {
  // A constant's comment sits on its statement.
  const holder = ts.isVariableDeclaration(node) ? node.parent.parent : node;
  return ts.getJSDocCommentsAndTags(holder).filter((doc): doc is ts.JSDoc => ts.isJSDoc(doc));
}

function collect(program: ts.Program): { examples: Example[]; imports: string[]; missing: string[] } {
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(indexPath);
  if (!index) throw new Error('src/index.ts is not in the program');
  const moduleSymbol = checker.getSymbolAtLocation(index);
  if (!moduleSymbol) throw new Error('src/index.ts is not a module');
  const examples: Example[] = [];
  const missing: string[] = [];
  const imports: string[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    imports.push(symbol.flags & ts.SymbolFlags.Value ? exported.name : `type ${exported.name}`);
    const declaration = symbol.declarations?.[0];
    if (!declaration) continue;
    const own = docsOf(declaration).flatMap((doc) => examplesIn(commentText(doc)));
    const wantsExample = ts.isClassDeclaration(declaration) || ts.isFunctionDeclaration(declaration) || ts.isVariableDeclaration(declaration);
    if (wantsExample && own.length === 0) missing.push(exported.name);
    own.forEach((code, i) => examples.push({ name: `${exported.name} #${i + 1}`, code, objectOf: undefined }));
    if (ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration)) {
      for (const member of declaration.members) {
        const memberName = member.name && ts.isIdentifier(member.name) ? member.name.text : undefined;
        if (!memberName) continue;
        docsOf(member)
          .flatMap((doc) => examplesIn(commentText(doc)))
          .forEach((code, i) => {
            const objectOf = ts.isInterfaceDeclaration(declaration) && /^\w+\s*:/.test(code) ? exported.name : undefined;
            examples.push({ name: `${exported.name}.${memberName} #${i + 1}`, code, objectOf });
          });
      }
    }
  }
  return { examples, imports, missing };
}

/** What the examples may take for granted: the whole public surface, a few Node modules, and the usual suspects. */
function prelude(imports: string[]): string {
  return [
    `import { ${imports.join(', ')} } from ${JSON.stringify(indexPath.replace(/\.ts$/, '.js'))};`,
    "import type Dockerode from 'dockerode';",
    "import { execFileSync, spawn } from 'node:child_process';",
    "import { createWriteStream } from 'node:fs';",
    "import type { IncomingMessage } from 'node:http';",
    "import { hostname } from 'node:os';",
    'declare const runner: DockerRunner;',
    'declare const pool: RunnerPool;',
    'declare const shell: SandboxShell;',
    'declare const docker: Dockerode;',
    'declare const container: Dockerode.Container;',
    'declare const request: IncomingMessage;',
    'declare const job: string, input: string, tag: string, dockerfile: string, id: string;',
    'declare const bytes: Uint8Array;',
    'declare const signal: AbortSignal;',
    'declare const ca: string, cert: string, key: string;',
    'declare const log: { info(text: string): void; warn(text: string): void };',
    '',
  ].join('\n');
}

function wrap(example: Example): string {
  // `import` lines of an example name what the prelude imports already.
  const body = example.code
    .split('\n')
    .filter((line) => !/^import .* from 'docker-shell';$/.test(line))
    .join('\n');
  const statements = example.objectOf ? `const options: ${example.objectOf} = {\n${body}\n};\nvoid options;` : body;
  return `export async function example(): Promise<void> {\n${statements}\n}\n`;
}

function compilerOptions(): ts.CompilerOptions {
  const file = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(file.config, ts.sys, root);
  return { ...parsed.options, noEmit: true };
}

describe('TSDoc of the public surface', () => {
  let examples: Example[] = [];
  let missing: string[] = [];
  const errors = new Map<string, string[]>();

  beforeAll(() => {
    const options = compilerOptions();
    const surface = ts.createProgram([indexPath], options);
    const found = collect(surface);
    examples = found.examples;
    missing = found.missing;
    const head = prelude(found.imports);
    // Lines before an example's first line: the prelude and the function's header.
    const offset = head.split('\n').length;
    const files = new Map(examples.map((example, i) => [join(root, `test/api/__example-${i}.ts`), head + wrap(example)]));
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (path) => files.has(path) || fileExists.call(host, path);
    host.readFile = (path) => files.get(path) ?? readFile.call(host, path);
    host.getSourceFile = (path, language, ...rest) => {
      const text = files.get(path);
      return text === undefined ? getSourceFile.call(host, path, language, ...rest) : ts.createSourceFile(path, text, language);
    };
    const program = ts.createProgram({ rootNames: [...files.keys()], options, host, oldProgram: surface });
    [...files.keys()].forEach((path, i) => {
      const source = program.getSourceFile(path);
      const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
      const example = examples[i] as Example;
      errors.set(
        example.name,
        diagnostics.map((d) => {
          const line = d.start === undefined || !d.file ? '?' : d.file.getLineAndCharacterOfPosition(d.start).line + 1 - offset;
          return `line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        }),
      );
    });
  }, 60_000);

  it('every exported class, function and constant has an @example', () => {
    expect(missing).toEqual([]);
  });

  it('finds the examples (the parser is not silently empty)', () => {
    expect(examples.length).toBeGreaterThan(60);
    expect(examples.map((e) => e.name)).toContain('DockerRunner #1');
    // An example's own text, as the file holds it:
    expect(readFileSync(join(root, 'src/docker/docker-runner.ts'), 'utf8')).toContain(examples.find((e) => e.name === 'DockerRunner.run #1')?.code);
  });

  it('every @example compiles against the public API', () => {
    const failing = [...errors].filter(([, messages]) => messages.length > 0).map(([name, messages]) => `${name}\n  ${messages.join('\n  ')}`);
    expect(failing, `examples that do not compile:\n${failing.join('\n')}`).toEqual([]);
  });
});
