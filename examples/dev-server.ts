/**
 * A dev server in the background: start a long-running server process beside the session, read its
 * log until it says it is ready, run commands in the session meanwhile (here: requests to it), and
 * stop it. The server is Perl with IO::Socket, which the base image has; it listens on the
 * sandbox's loopback, so it needs no network.
 *
 * Run: npx tsx examples/dev-server.ts
 */
import type { Readable } from 'node:stream';
import { DockerRunner } from '../src/index.js';

const SERVER = `
use IO::Socket::INET;
$| = 1;
my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 8080, Listen => 5, ReuseAddr => 1) or die "listen: $!\\n";
print "listening on 127.0.0.1:8080\\n";
my $count = 0;
while (my $client = $server->accept) {
  my $request = <$client>;
  $count++;
  print "request $count: $request";
  print $client "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nhello from the dev server (request $count)\\n";
  close $client;
}
`;

/** Echoes a log line by line, and resolves when a line matches `ready` (rejects if the log ends first). */
function followLog(log: Readable, prefix: string, ready: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let partial = '';
    log.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        console.log(`${prefix} ${line}`);
        if (ready.test(line)) resolve();
      }
    });
    log.once('end', () => reject(new Error('the server exited before it was ready')));
  });
}

await using runner = await DockerRunner.start();
await runner.putFile('server.pl', Buffer.from(SERVER));

const server = await runner.spawn('perl server.pl');
server.stderr.pipe(process.stderr);
await followLog(server.stdout, '[server]', /^listening on/);
console.log(`server ready, pid ${server.pid}; running: ${runner.processes().length}`);

// The session goes on beside it: its own state, its own commands.
await runner.run('cd /tmp && request() { exec 3<>/dev/tcp/127.0.0.1/8080; printf "GET /$1 HTTP/1.0\\r\\n\\r\\n" >&3; tail -n 1 <&3; exec 3<&-; }');
for (const path of ['', 'about', 'health']) {
  const { stdout } = await runner.run(`request ${path}`, { check: true });
  console.log(`[session] GET /${path} -> ${stdout.trim()}`);
}

await server.kill(); // SIGTERM to the server's whole process tree
const { signal, exitCode } = await server.wait();
console.log(`server ended by ${signal ?? `exit code ${exitCode}`}; running: ${runner.processes().length}`);
