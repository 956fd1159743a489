/**
 * Starts one of the compose stack's small Node servers (docker/*\/server.mjs) as a real process on a
 * free port for a test: waits for its JSON "listening" line, keeps its stdout, stops it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ScriptServer {
  url: string;
  /** Everything the process wrote to stdout so far. */
  output(): string;
  /** Resolves once `done(output)` holds (stdout arrives asynchronously, after the HTTP response). */
  waitForOutput(done: (out: string) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startScriptServer(
  script: string,
  env: Record<string, string> = {}
): Promise<ScriptServer> {
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-1024 * 1024);
  });
  child.stderr!.on('data', (b: Buffer) => {
    err = (err + b.toString('utf8')).slice(-64 * 1024);
  });
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${script} did not start: ${out}${err}`)), 10_000);
    const check = () => {
      const m = /"msg":"[^"]*listening"[^\n]*"port":(\d+)|"port":(\d+)[^\n]*"msg":"[^"]*listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(`http://127.0.0.1:${m[1] ?? m[2]}`);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`${script} exited ${code}: ${out}${err}`));
    });
  });
  return {
    url,
    output: () => out,
    waitForOutput: async (done, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (!done(out)) {
        if (Date.now() > deadline)
          throw new Error(`${script}: expected output did not appear: ${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
