/**
 * What the browser tests run against: the built CLI's `serve` on a SQLite store synced from the
 * emulator, and helpers to start it, add a user, and wait for its output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, runCli, startCli } from '../sync/cli.js';

export interface RunningServe {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `defender-graph serve` and resolves with the URL it prints once it listens. */
export async function startServe(args: string[]): Promise<RunningServe> {
  const { child, done } = startCli(['serve', '--port', '0', ...args], { DEFENDER_GRAPH_DB: '' });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = / at (https?:\/\/[^\s]+) /.exec(out);
      if (match) resolveUrl(match[1] as string);
    });
    void done.then((r) =>
      reject(new Error(`serve ended (${r.code}) before listening:\n${r.stdout}${r.stderr}`)),
    );
  });
  return {
    url,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await done;
    },
  };
}

/** `defender-graph users add`, the password on stdin as a script would pipe it. */
export async function addUser(
  db: string,
  name: string,
  role: 'admin' | 'viewer',
  password: string,
): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'users', 'add', name, '--role', role, '--db', db], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(`${password}\n`);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`users add failed (${code}): ${stderr}`);
}

export async function syncOnce(config: string, db: string): Promise<void> {
  const result = await runCli(['sync', '--config', config, '--db', db, '--json'], {
    DEFENDER_GRAPH_DB: '',
  });
  if (result.code !== 0) throw new Error(`sync failed (${result.code}): ${result.stderr}`);
}
