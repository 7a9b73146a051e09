import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { InstanceConfig } from '../../src/config/instance-config.js';

/** The built CLI (`npx tsc -p tsconfig.build.json`; `npm test` builds first). */
export const CLI = resolve('dist/cli/main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<CliResult>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  // Decoded as a stream: a multi-byte character may be split across two chunks.
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (stdout += d));
  child.stderr!.on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolveDone) =>
    child.on('close', (code, signal) => resolveDone({ code, signal, stdout, stderr })),
  );
  return { child, done, stderr: () => stderr };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** Resolves once the child's stderr contains `text`. */
export function waitForStderr(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolveWait, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        child.stderr!.off('data', onData);
        resolveWait();
      }
    };
    child.stderr!.on('data', onData);
    child.on('close', () => reject(new Error(`process ended before printing "${text}":\n${seen}`)));
  });
}

export function writeConfig(dir: string, instance: InstanceConfig): string {
  const file = join(dir, 'defender-graph.yaml');
  writeFileSync(file, stringify({ instances: [instance] }), { mode: 0o600 });
  return file;
}
