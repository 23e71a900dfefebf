/**
 * `--port` of `run` and `shell` against the real engine: the URL on stderr reaches a server in the
 * sandbox, whose network stays off; a bad value is a usage error.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, expectNoContainers, finished, newLabel, startCli, waitForText } from './cli-process.js';

const labels: string[] = [];
function label(): string[] {
  const made = newLabel();
  labels.push(made.value);
  return made.flag;
}

afterEach(async () => {
  await expectNoContainers(labels.splice(0));
});

/** A server in the sandbox that greets one client on `port` (then sends `padBytes` dots) and exits. */
const greetOnce = (port: number, padBytes = 0): string =>
  `perl -MIO::Socket::INET -e '$| = 1; $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => ${port}, Listen => 5, ReuseAddr => 1) or die; print "up\\n"; $c = $l->accept; print $c "hello from $ARGV[0]\\n" . ("." x $ARGV[1])' ${port} ${padBytes}`;

/** Connects to `url` and resolves with what the server sends before it closes. */
function readAll(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(Number(port), hostname);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

const URL_LINE = /port (\d+) of the sandbox is at (http:\/\/127\.0\.0\.1:\d+\/)/;

describe('--port', () => {
  it('run -p prints the URL of each forward on stderr, it reaches the server in the sandbox, and the answer arrives whole after the command ends', async () => {
    // The server exits as soon as it has written: the CLI must let its 2 MB reach the client first.
    const child = startCli(['run', ...label(), '-p', '8080', '--', greetOnce(8080, 2_000_000)]);
    const [line] = await Promise.all([waitForText(child.stderr, URL_LINE), waitForText(child.stdout, 'up\n')]);
    const url = URL_LINE.exec(line)?.[2] as string;
    expect(await readAll(url)).toBe(`hello from 8080\n${'.'.repeat(2_000_000)}`);
    expect((await finished(child)).code).toBe(0);
  });

  it('shell -p HOST_PORT:CONTAINER_PORT listens on that host port', async () => {
    const hostPort = 20_000 + Math.floor(Math.random() * 20_000);
    const child = startCli(['shell', ...label(), '-p', `${hostPort}:9090`, '-p', '9091']);
    const text = await waitForText(child.stderr, /port 9091 of the sandbox/);
    expect(text).toContain(`port 9090 of the sandbox is at http://127.0.0.1:${hostPort}/`);
    child.stdin.write(`${greetOnce(9090)}\n`);
    await waitForText(child.stdout, 'up\n');
    expect(await readAll(`http://127.0.0.1:${hostPort}/`)).toBe('hello from 9090\n');
    child.stdin.end();
    expect((await finished(child)).code).toBe(0);
  });

  it('a bad --port value is a usage error naming the format', async () => {
    const { code, stderr } = await cli(['run', '-p', '80:http', '--', 'true']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('[HOST_PORT:]CONTAINER_PORT');
  });
});
