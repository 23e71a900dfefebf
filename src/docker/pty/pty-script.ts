/**
 * The bash wrapper behind a terminal, and how its start is read off the terminal's output. Pure.
 *
 * A `docker exec` with a TTY starts at 0x0 until the engine is asked to resize it, which it can only
 * do once the exec runs; a program that reads its size at once would see 0x0. So the wrapper says
 * it runs (`<token>`), waits for one line on the terminal (sent once the size is set), then says its
 * pid (`<token> <pid>`) and runs the command. Everything up to and including that second line is
 * the handshake, never shown: a newline the terminal echoed before `read -s` turned echo off lands
 * there too. Builtins only, so it needs nothing in the image but bash.
 */

/** argv of the exec. The command is a script line of its own, so bash execs a last simple command in place (`bash` is the pid reported). */
export function ptyArgv(token: string, command: string): string[] {
  const script = `printf '%s\\n' ${token}\nIFS= read -rs _\nprintf '%s %d\\n' ${token} "$$"\n${command}`;
  return ['bash', '--noprofile', '--norc', '-c', script];
}

/** What the wrapper has said so far. */
export type HandshakeState = { stage: 'starting' } | { stage: 'waiting' } | { stage: 'running'; pid: number; rest: Buffer };

/** Reads the handshake out of the terminal's first bytes (fed as they come, in one growing buffer). */
export function readHandshake(received: Buffer, token: string): HandshakeState {
  const text = received.toString('latin1');
  const ran = new RegExp(`${token} (\\d+)\\r?\\n`).exec(text);
  if (ran) return { stage: 'running', pid: Number(ran[1]), rest: received.subarray(ran.index + ran[0].length) };
  return new RegExp(`${token}\\r?\\n`).test(text) ? { stage: 'waiting' } : { stage: 'starting' };
}
