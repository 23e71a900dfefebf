// Empties dist/ before `npm run build`: tsc never deletes, so a module removed or renamed in src/
// (or a source map from an older build) would otherwise stay in dist/ and ship in the package.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

rmSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'), { recursive: true, force: true });
