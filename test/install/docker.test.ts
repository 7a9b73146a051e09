import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Why the image cannot be built here, or undefined when a Docker daemon answers. */
function dockerUnavailable(): string | undefined {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (info.error) return `no docker command (${info.error.message})`;
  if (info.status !== 0)
    return `no Docker daemon answers (${(info.stderr || info.stdout).trim().split('\n').pop()})`;
  return undefined;
}

const unavailable = dockerUnavailable();
const tag = `defender-graph-test:${process.pid}`;

describe('the Dockerfile', () => {
  afterAll(async () => {
    if (unavailable === undefined) await run('docker', ['image', 'rm', '--force', tag]);
  });

  it.skipIf(unavailable !== undefined)(
    `builds an image that runs the demo as a non-root user with /data as a volume${unavailable ? ` (skipped: ${unavailable})` : ''}`,
    async () => {
      await run('docker', ['build', '--tag', tag, '.'], { maxBuffer: 64 * 1024 * 1024 });
      const { stdout: inspected } = await run('docker', [
        'image',
        'inspect',
        '--format',
        '{{json .Config.User}} {{json .Config.Volumes}} {{json .Config.WorkingDir}}',
        tag,
      ]);
      expect(inspected.trim()).toBe('"node" {"/data":{}} "/data"');
      const demo = await run(
        'docker',
        ['run', '--rm', tag, 'demo', '--users', '20', '--groups', '4', '--machines', '10'],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      expect(demo.stdout).toContain('Where to look next');
    },
    1_800_000,
  );
});
