/**
 * A stepwise image-processing pipeline in a sandbox with no network: build (or reuse) an image with
 * GraphicsMagick, put a folder of input images in, inspect each, make 120x120 thumbnails, combine
 * them into a contact sheet, take the results out, and check their dimensions on the host from the
 * files' own bytes (not from the container's word).
 *
 * Run: npx tsx examples/image-pipeline.ts [output-dir]
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageSize } from 'image-size';
import { DockerRunner } from '../src/index.js';
import { GM_IMAGE, ensureGraphicsMagickImage } from './lib/graphicsmagick.js';

const outputDir = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'pipeline-out-')));

/** A binary PPM (P6): the simplest format GraphicsMagick reads, written here without any library. */
function gradientPpm(width: number, height: number, seed: number): Buffer {
  const header = Buffer.from(`P6\n${width} ${height}\n255\n`);
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = (x * 255) / width;
      pixels[i + 1] = (y * 255) / height;
      pixels[i + 2] = (seed * 60) % 256;
    }
  }
  return Buffer.concat([header, pixels]);
}

// 1. An image with GraphicsMagick: built from the offline base over Debian's packages, then reused.
await ensureGraphicsMagickImage(undefined, { onOutput: (line) => process.stdout.write(`[build] ${line}\n`) });

// 2. Inputs, made locally: landscape, portrait and square, so the thumbnails differ.
const inputDir = await mkdtemp(join(tmpdir(), 'pipeline-in-'));
const sizes: [number, number][] = [
  [640, 480],
  [300, 600],
  [400, 400],
  [1024, 256],
];
await Promise.all(sizes.map(([w, h], i) => writeFile(join(inputDir, `input-${i + 1}.ppm`), gradientPpm(w, h, i))));

await using runner = await DockerRunner.start({ image: GM_IMAGE });
try {
  await runner.putDirectory(inputDir, 'inputs');

  // 3. Step by step, each a command in the same shell.
  const identify = await runner.run('gm identify inputs/*.ppm', { check: true });
  console.log(identify.stdout.trim());
  await runner.run(
    'mkdir -p thumbs && for f in inputs/*.ppm; do n=$(basename "$f" .ppm); gm convert -size 120x120 "$f" -resize 120x120 +profile "*" "thumbs/$n.jpg"; done',
    { check: true },
  );
  await runner.run('gm montage -geometry 120x120+4+4 -tile 2x2 thumbs/*.jpg contact-sheet.jpg', { check: true });

  // 4. Results out, and checked from their bytes.
  await runner.getDirectory('thumbs', join(outputDir, 'thumbs'));
  await writeFile(join(outputDir, 'contact-sheet.jpg'), await runner.getFile('contact-sheet.jpg'));
} finally {
  await rm(inputDir, { recursive: true, force: true });
}

for (const name of (await readdir(join(outputDir, 'thumbs'))).sort()) {
  const { width, height, type } = imageSize(await readFile(join(outputDir, 'thumbs', name)));
  console.log(`thumbs/${name}: ${width}x${height} ${type}`);
  if (type !== 'jpg' || Math.max(width, height) !== 120) throw new Error(`${name} is not a 120px thumbnail`);
}
const sheet = imageSize(await readFile(join(outputDir, 'contact-sheet.jpg')));
console.log(`contact-sheet.jpg: ${sheet.width}x${sheet.height} ${sheet.type}`);
// A 2x2 tile of 120px cells with 4px borders on every side: 2 * (120 + 8) = 256.
if (sheet.width !== 256 || sheet.height !== 256) throw new Error('unexpected contact sheet size');
console.log(`outputs in ${outputDir}`);
