import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CLI } from '../sync/cli.js';

/** Every file under deploy/, with the CLI command lines it runs. */
function deployFiles(): { file: string; commandLines: string[][] }[] {
  const found: { file: string; commandLines: string[][] }[] = [];
  for (const folder of ['deploy/systemd', 'deploy/kubernetes']) {
    for (const name of readdirSync(folder).sort()) {
      const file = join(folder, name);
      const text = readFileSync(file, 'utf8');
      found.push({
        file,
        commandLines: name.endsWith('.yaml') ? kubernetesArgs(text, file) : systemdExecStart(text),
      });
    }
  }
  return found;
}

/** `ExecStart=/usr/bin/defender-graph ARGS`: the ARGS (no quoting in these units). */
function systemdExecStart(text: string): string[][] {
  return [...text.matchAll(/^ExecStart=\S*defender-graph (.+)$/gm)].map((m) => m[1]!.split(/\s+/));
}

/** The `args` of every container of every document (the image's entrypoint is the CLI). */
function kubernetesArgs(text: string, file: string): string[][] {
  const lines: string[][] = [];
  for (const doc of parseAllDocuments(text)) {
    expect(doc.errors, file).toEqual([]);
    const manifest = doc.toJS() as Record<string, unknown>;
    const podSpec = findPodSpec(manifest);
    for (const container of podSpec?.containers ?? []) lines.push(container.args.map(String));
  }
  return lines;
}

interface PodSpec {
  containers: { args: unknown[] }[];
}

function findPodSpec(manifest: Record<string, unknown>): PodSpec | undefined {
  const path = POD_SPEC_PATHS[String(manifest.kind)];
  if (path === undefined) return undefined;
  let node: unknown = manifest;
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
  return node as PodSpec;
}

const POD_SPEC_PATHS: Record<string, string[]> = {
  Deployment: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

const helpTexts = new Map<string, string>();

function help(args: string[]): string {
  const key = args.join(' ');
  if (!helpTexts.has(key))
    helpTexts.set(
      key,
      execFileSync(process.execPath, [CLI, ...args, '--help'], { encoding: 'utf8' }),
    );
  return helpTexts.get(key)!;
}

/** Checks a command line against the CLI's own help: the command exists, and every flag. */
function problems(args: string[]): string[] {
  const [command, ...rest] = args;
  const commands = [...help([]).matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
  if (!commands.includes(command)) return [`unknown command ${command}`];
  const flags = new Set([...help([command!]).matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]));
  return rest
    .filter((arg) => arg.startsWith('--'))
    .filter((flag) => !flags.has(flag))
    .map((flag) => `${command}: unknown flag ${flag}`);
}

describe('the service files under deploy/ (built CLI)', () => {
  const files = deployFiles();

  it('are the systemd units and Kubernetes manifests the docs name', () => {
    expect(files.map((f) => f.file)).toEqual([
      'deploy/systemd/defender-graph-sync.service',
      'deploy/systemd/defender-graph-sync.timer',
      'deploy/systemd/defender-graph.service',
      'deploy/kubernetes/serve-deployment.yaml',
      'deploy/kubernetes/sync-cronjob.yaml',
    ]);
    const operations = readFileSync('docs/operations.md', 'utf8');
    for (const { file } of files) expect(operations).toContain(`(../${file})`);
  });

  it('run valid CLI command lines', () => {
    const lines = files.flatMap(({ file, commandLines }) =>
      commandLines.map((args) => ({ file, args })),
    );
    expect(lines.map(({ file, args }) => `${file}: ${args[0]}`)).toEqual([
      'deploy/systemd/defender-graph-sync.service: sync',
      'deploy/systemd/defender-graph.service: serve',
      'deploy/kubernetes/serve-deployment.yaml: serve',
      'deploy/kubernetes/sync-cronjob.yaml: sync',
    ]);
    for (const { file, args } of lines) expect(problems(args), file).toEqual([]);
  });

  it('the Dockerfile default command is valid too', () => {
    const cmd = /^CMD (\[.+\])$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    const args = JSON.parse(cmd!) as string[];
    expect(args[0]).toBe('demo');
    expect(problems(args)).toEqual([]);
  });
});
