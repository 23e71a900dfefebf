/**
 * The smallest Docker registry that lets the engine pull: the v2 API's read side (`/v2/`,
 * manifests, blobs) over plain HTTP on 127.0.0.1, which the engine trusts without TLS
 * (127.0.0.0/8 is an insecure registry by default). It serves one image taken from the engine
 * itself with `docker save`, its layers gzipped, so a pull is real: layers downloaded, verified
 * and extracted, with the engine's own progress messages. No registry image or network needed.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { docker } from '../helpers/docker.js';

interface Blob {
  bytes: Buffer;
  mediaType: string;
}

/** A running registry serving `repository:tag`. */
export interface LocalRegistry {
  /** `127.0.0.1:<port>/<repository>:<tag>`: what to pull. */
  reference: string;
  /** The compressed layers' short ids, as the engine's progress names them (12 hex digits). */
  layerIds: string[];
  close(): Promise<void>;
}

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

/** Serves the engine's local image `source` as `<repository>:<tag>` on a free port of 127.0.0.1. */
export async function serveImage(source: string, repository: string, tag: string): Promise<LocalRegistry> {
  const files = await saveImage(source);
  const [entry] = JSON.parse(mustGet(files, 'manifest.json').toString('utf8')) as Array<{ Config: string; Layers: string[] }>;
  if (!entry) throw new Error(`docker save ${source} has no manifest entry`);
  const blobs = new Map<string, Blob>();
  const add = (bytes: Buffer, mediaType: string): { digest: string; size: number; mediaType: string } => {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    blobs.set(digest, { bytes, mediaType });
    return { digest, size: bytes.length, mediaType };
  };
  const config = add(mustGet(files, entry.Config), 'application/vnd.docker.container.image.v1+json');
  const layers = entry.Layers.map((path) => add(gzipSync(mustGet(files, path)), 'application/vnd.docker.image.rootfs.diff.tar.gzip'));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPE, config, layers }));
  const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

  const server = createServer((request, response) => {
    const url = request.url ?? '';
    const send = (status: number, body: Buffer, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'Docker-Distribution-API-Version': 'registry/2.0', 'Content-Length': String(body.length), ...headers });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (url === '/v2/' || url === '/v2') return send(200, Buffer.from('{}'), { 'Content-Type': 'application/json' });
    const manifestMatch = new RegExp(`^/v2/${repository}/manifests/([^/?]+)$`).exec(url);
    if (manifestMatch && (manifestMatch[1] === tag || manifestMatch[1] === manifestDigest)) {
      return send(200, manifest, { 'Content-Type': MANIFEST_TYPE, 'Docker-Content-Digest': manifestDigest });
    }
    const blobMatch = new RegExp(`^/v2/${repository}/blobs/(sha256:[0-9a-f]{64})$`).exec(url);
    const blob = blobMatch ? blobs.get(blobMatch[1] as string) : undefined;
    if (blob) return send(200, blob.bytes, { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': blobMatch?.[1] as string });
    return send(404, Buffer.from(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: `no ${url}` }] })), { 'Content-Type': 'application/json' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    reference: `127.0.0.1:${port}/${repository}:${tag}`,
    layerIds: layers.map((layer) => layer.digest.slice('sha256:'.length, 'sha256:'.length + 12)),
    close: () => closeServer(server),
  };
}

/** The files of `docker save <image>`, by path. */
async function saveImage(image: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    stream.on('end', () => {
      files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  (await docker.getImage(image).get()).pipe(extract);
  await done;
  return files;
}

function mustGet(files: Map<string, Buffer>, path: string): Buffer {
  const file = files.get(path);
  if (!file) throw new Error(`docker save has no ${path} (it has ${[...files.keys()].join(', ')})`);
  return file;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
