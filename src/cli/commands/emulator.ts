import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { writeEmulatorConfigFile } from '../../emulator/config-file.js';
import { DEFAULT_HOSTILE_VALUES, MAX_HOSTILE_DEPTH } from '../../emulator/tenant/hostile-values.js';
import {
  DEFAULT_TENANT_SIZES,
  startEmulator,
  type RunningEmulator,
} from '../../emulator/server.js';
import { UsageError } from '../../util/usage-error.js';
import { jsonOption } from '../options.js';

interface EmulatorFlags {
  port: string;
  host: string;
  seed: string;
  users?: string;
  groups?: string;
  machines?: string;
  cves?: string;
  logonUsersPerMachine?: string;
  vulnsPerMachine?: string;
  quotaScale: string;
  tokenLifetime: string;
  dataDir: string;
  writeConfig?: string;
  now?: string;
  hostileValues?: string;
  hostileDepth?: string;
  advancedHunting?: boolean;
  huntingRowCap?: string;
  json?: boolean;
}

function integer(
  flag: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got '${value}'`);
  return n;
}

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n))
    throw new UsageError(`--${flag} must be a positive number, got '${value}'`);
  return n;
}

function isoDate(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new UsageError(`--${flag} must be an ISO date such as 2026-11-01, got '${value}'`);
  return ms;
}

function summary(emulator: RunningEmulator, seed: number, configPath: string | undefined): string {
  const s = emulator.sizes;
  const lines = [
    `defender-graph emulator listening on ${emulator.url}`,
    `  tenant      ${emulator.tenantId} (seed ${seed})`,
    `  data        ${s.users} users, ${s.groups} groups, ${s.machines} machines, ${s.cves} CVEs, ` +
      `${s.logonUsersPerMachine} logon users and ${s.vulnerabilitiesPerMachine} vulnerabilities per machine`,
    `  identity    ${emulator.url}/${emulator.tenantId}/oauth2/v2.0/token (authority ${emulator.url})`,
    `  graph       ${emulator.url}/graph/v1.0`,
    `  defender    ${emulator.url}/defender/api`,
    `  admin       ${emulator.url}/admin/truth | /admin/advance | /admin/faults | /admin/stats`,
    `  CA file     ${emulator.caFile}`,
    `  client id   ${emulator.clientId} (secret in the config file, certificate ${emulator.clientCertificateFile})`,
    configPath
      ? `  config      ${configPath}: point the collector at it with --config ${configPath}`
      : '  config      pass --write-config FILE to get a ready-to-use instance configuration',
    'Press Ctrl+C to stop.',
  ];
  return `${lines.join('\n')}\n`;
}

/** `--users`, `--groups`, `--machines`, `--cves`: the tenant sizes `emulator` and `demo` both take. */
export function addTenantSizeOptions(command: Command): Command {
  const d = DEFAULT_TENANT_SIZES;
  return command
    .option('--users <n>', `directory users (default ${d.users})`)
    .option('--groups <n>', `groups (default ${d.groups})`)
    .option('--machines <n>', `Defender machines (default ${d.machines})`)
    .option('--cves <n>', `distinct CVEs (default ${d.cves})`);
}

export function registerEmulator(program: Command): void {
  const d = DEFAULT_TENANT_SIZES;
  const command = program
    .command('emulator')
    .description(
      'Run the simulated Microsoft tenant (identity platform, Microsoft Graph, Defender for Endpoint API, admin API) over HTTPS on 127.0.0.1 until SIGINT/SIGTERM.',
    )
    .option('--port <n>', 'port to listen on; 0 picks any free port', '0')
    .addOption(
      new Option('--host <address>', 'listen address (loopback only)')
        .choices(['127.0.0.1'])
        .default('127.0.0.1'),
    )
    .option('--seed <n>', 'seed of the deterministic tenant data and fault sequence', '1');
  addTenantSizeOptions(command)
    .option(
      '--logon-users-per-machine <n>',
      `logon users per machine (default ${d.logonUsersPerMachine})`,
    )
    .option(
      '--vulns-per-machine <n>',
      `vulnerabilities per machine (default ${d.vulnerabilitiesPerMachine})`,
    )
    .option('--quota-scale <x>', "multiplies every quota; 1 = Microsoft's documented quotas", '1')
    .option('--token-lifetime <seconds>', 'access-token lifetime', '3599')
    .option(
      '--data-dir <dir>',
      'where the CA, certificates and app secrets are kept',
      './data/emulator',
    )
    .option(
      '--write-config <file>',
      'once listening, write an instance configuration (YAML) for the collector',
    )
    .option(
      '--now <date>',
      "the tenant's clock (ISO date); timestamps are relative to it (default: today)",
    )
    .option(
      '--hostile-values <n>',
      'every n-th user gets a hostile jobTitle (NUL, unpaired surrogates, formula starts, …; docs/emulator.md)',
    )
    .option(
      '--hostile-depth <levels>',
      'with --hostile-values: user 1 gets a jobTitle object nested this deep',
    )
    .option(
      '--advanced-hunting',
      'grant the app Defender AdvancedQuery.Read.All, so the collector takes the Advanced Hunting path for logon users',
    )
    .option(
      '--hunting-row-cap <n>',
      'rows one Advanced Hunting answer carries (default 100,000, as Microsoft); the written config follows',
    )
    .addOption(
      jsonOption('print one JSON line describing the running emulator instead of the summary'),
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 stopped by SIGINT/SIGTERM, 1 could not start (e.g. port in use), 2 bad flag.',
    )
    .action(async (flags: EmulatorFlags) => {
      // Listening for signals before anything is printed: a supervisor may signal as soon as it reads the output.
      const stopRequested = new Promise<void>((stop) => {
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      const seed = integer('seed', flags.seed, 0, 2 ** 31 - 1)!;
      const quotaScale = positiveNumber('quota-scale', flags.quotaScale);
      const size = (flag: string, value: string | undefined) => integer(flag, value, 0, 10_000_000);
      const emulator = await startEmulator({
        port: integer('port', flags.port, 0, 65535),
        host: '127.0.0.1',
        seed,
        dataDir: resolve(flags.dataDir),
        users: size('users', flags.users),
        groups: size('groups', flags.groups),
        machines: size('machines', flags.machines),
        cves: size('cves', flags.cves),
        logonUsersPerMachine: size('logon-users-per-machine', flags.logonUsersPerMachine),
        vulnerabilitiesPerMachine: size('vulns-per-machine', flags.vulnsPerMachine),
        quotaScale,
        tokenLifetimeSeconds: integer('token-lifetime', flags.tokenLifetime, 1, 86_400),
        now: isoDate('now', flags.now),
        advancedHunting: flags.advancedHunting === true,
        huntingRowCap: integer('hunting-row-cap', flags.huntingRowCap, 1, 100_000),
        hostileValues:
          flags.hostileValues === undefined
            ? undefined
            : {
                ...DEFAULT_HOSTILE_VALUES,
                every: integer('hostile-values', flags.hostileValues, 1, 10_000_000)!,
                depth: integer('hostile-depth', flags.hostileDepth, 0, MAX_HOSTILE_DEPTH) ?? 0,
              },
      });
      const configPath = flags.writeConfig
        ? writeEmulatorConfigFile(
            flags.writeConfig,
            emulator.instanceConfig(),
            'emulator',
            emulator.tenant.roster(),
          )
        : undefined;
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({
            url: emulator.url,
            port: emulator.port,
            tenantId: emulator.tenantId,
            clientId: emulator.clientId,
            caFile: emulator.caFile,
            clientCertificateFile: emulator.clientCertificateFile,
            configPath: configPath ?? null,
            endpoints: {
              authority: emulator.url,
              graph: `${emulator.url}/graph`,
              defender: `${emulator.url}/defender`,
            },
            sizes: emulator.sizes,
          })}\n`,
        );
      } else {
        process.stdout.write(summary(emulator, seed, configPath));
      }
      await stopRequested;
      await emulator.close();
      if (!flags.json) process.stdout.write('emulator stopped\n');
    });
}
