// Copies the plain-JavaScript files under src/ (*.mjs, *.cjs) to the same place under dist/: tsc
// compiles .ts only, and these run as they are (e.g. src/docker/reaper-process.mjs, which the
// reaper spawns with a bare `node`). Then makes the CLI executable: tsc writes it 0644, and npm
// only sets the mode of a bin at install time, so in a clone built after `npm install` the
// node_modules/.bin/docker-shell link would point at a file that cannot be run.
// Run by `npm run build`, after tsc.
import { chmodSync, cpSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = resolve(root, process.argv[2] ?? 'dist'); // another output folder may be given

for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !/\.([mc]js|sh)$/.test(entry.name)) continue;
  const from = join(entry.parentPath ?? entry.path, entry.name); // parentPath: Node 20.12+
  cpSync(from, join(dist, relative(src, from)));
}

chmodSync(join(dist, 'cli', 'main.js'), 0o755);
