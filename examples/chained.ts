/**
 * The chained-promise script: install GraphicsMagick in a sandbox, make an image inside it (there is
 * no internet to download one), thumbnail it, and check the result, with live output on stdout.
 *
 * Run: npm run demo   (or: npx tsx examples/chained.ts)
 */
import { APT_CAPABILITIES, DockerRunner } from '../src/index.js';

// apt-get needs the network, root and a few capabilities back; the rest of the sandbox stays at its
// hardened defaults (no other capabilities, no-new-privileges, memory/CPU/pids limits).
const runner = new DockerRunner({ network: true, user: 'root', capAdd: APT_CAPABILITIES });
runner.output.pipe(process.stdout);

try {
  await runner.start();
  await runner.run('apt-get update', { check: true });
  await runner.run('DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends graphicsmagick', { check: true });
  await runner.run('gm convert -size 640x480 gradient:steelblue-orange input.jpg', { check: true });
  await runner.run('gm convert -size 120x120 input.jpg -resize 120x120 +profile "*" thumbnail.jpg', { check: true });
  const { stdout } = await runner.run('gm identify -format "%w %h %m\\n" thumbnail.jpg', { check: true });
  const [width, height, format] = stdout.trim().split(' ');
  console.log(`\nthumbnail.jpg: ${width}x${height} ${format}`);
  if (format !== 'JPEG' || Math.max(Number(width), Number(height)) !== 120) {
    throw new Error(`unexpected thumbnail: ${stdout.trim()}`);
  }
} finally {
  await runner.stop();
}
