import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { CLOUDS, defenderRegionHost } from './clouds.js';
import { ConfigError } from './errors.js';
import { proxyFromEnvironment } from './proxy.js';
import {
  configFileSchema,
  instanceSchema,
  monitoringSchema,
  type InstanceConfig,
  type MonitoringConfig,
  type RetentionConfig,
} from './instance-config.js';

export const DEFAULT_CONFIG_FILE = 'defender-graph.yaml';

export { ConfigError };

export interface LoadedConfig {
  /** The file read, or undefined when the instance came from AZURE_* environment variables. */
  file?: string;
  instances: InstanceConfig[];
  /** Things to tell the operator that do not stop the program (a secret readable by others). */
  warnings: string[];
  /** `monitoring:` with its defaults; paths absolute, `${VAR}` secrets substituted. */
  monitoring: MonitoringConfig;
  /** `retention:`, when the file has it. */
  retention?: RetentionConfig;
}

/** Instance fields that may hold `${VAR}` and are never displayed. */
const INSTANCE_SECRETS = ['clientSecret', 'certificatePassword'] as const;

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Reads `--config FILE` (or `defender-graph.yaml` in the working directory); with neither, builds
 * one instance from AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET.
 */
export function loadConfig(
  options: { file?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  // Read again by each Microsoft client; checked here so a bad variable stops before any sync.
  proxyFromEnvironment(env);
  if (options.file !== undefined) return loadConfigFile(resolve(cwd, options.file), env);
  const defaultFile = resolve(cwd, DEFAULT_CONFIG_FILE);
  if (existsSync(defaultFile)) return loadConfigFile(defaultFile, env);
  return {
    instances: withAuthorityHost([instanceFromEnvironment(env, cwd)], env),
    warnings: [],
    monitoring: monitoringSchema.parse({}),
  };
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read the config file (${(err as Error).message})`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const line = syntaxError.linePos?.[0]?.line;
    throw new ConfigError(
      `${file}${line ? `:${line}` : ''}: not valid YAML or JSON (${syntaxError.message.split('\n')[0]})`,
    );
  }
  const raw = documentValue(doc, file, lineCounter);
  const parsed = configFileSchema.safeParse(
    substituteSecrets(raw, env, (path) => locate(path, file, doc, lineCounter)),
  );
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => describeIssue(issue, file, doc, lineCounter)).join('\n'),
    );
  }
  const folder = dirname(file);
  const where = (path: (string | number)[]) => locate(path, file, doc, lineCounter);
  const names = new Set<string>();
  const instances = parsed.data.instances.map((parsedInstance, index) => {
    if (names.has(parsedInstance.name)) {
      throw new ConfigError(`${where(['instances', index, 'name'])}: duplicate instance name`);
    }
    names.add(parsedInstance.name);
    const instance = resolvePaths(parsedInstance, folder);
    for (const field of ['caFile', 'certificatePath'] as const) {
      const path = instance[field];
      if (path !== undefined && !existsSync(path)) {
        throw new ConfigError(`${where(['instances', index, field])}: file not found: ${path}`);
      }
    }
    return instance;
  });
  return {
    file,
    instances: withAuthorityHost(instances, env),
    warnings: secretReadableByOthers(file, raw),
    monitoring: resolveMonitoring(parsed.data.monitoring, folder, where),
    ...(parsed.data.retention ? { retention: parsed.data.retention } : {}),
  };
}

/** A file holding a literal client secret must be readable by its owner alone. */
function secretReadableByOthers(file: string, raw: unknown): string[] {
  if (process.platform === 'win32') return [];
  const instances = isRecord(raw) && Array.isArray(raw.instances) ? raw.instances : [];
  const holdsSecret = instances.some(
    (instance: unknown) =>
      isRecord(instance) &&
      INSTANCE_SECRETS.some((field) => {
        const value = instance[field];
        return typeof value === 'string' && value.replace(ENV_REFERENCE, '') !== '';
      }),
  );
  const mode = statSync(file).mode & 0o777;
  if (!holdsSecret || (mode & 0o077) === 0) return [];
  return [
    `${file}: holds a client secret and is readable by ${mode & 0o007 ? 'others' : 'its group'} (mode ${mode.toString(8)}); run: chmod 600 ${file}`,
  ];
}

/**
 * The document as plain data. Aliases fail only here (an alias to an anchor not yet set, or more
 * alias expansions than the yaml library allows against "billion laughs"): name the line of the
 * alias at fault, else of the first alias.
 */
function documentValue(doc: Document, file: string, lineCounter: LineCounter): unknown {
  try {
    return doc.toJS();
  } catch (err) {
    let first: number | undefined;
    let unresolved: number | undefined;
    visit(doc, {
      Alias(_key, alias) {
        const line = alias.range ? lineCounter.linePos(alias.range[0]).line : undefined;
        first ??= line;
        if (unresolved === undefined && alias.resolve(doc) === undefined) unresolved = line;
      },
    });
    const line = unresolved ?? first;
    const reason = (err as Error).message.split('\n')[0];
    throw new ConfigError(
      `${file}${line ? `:${line}` : ''}: YAML aliases cannot be expanded (${reason})`,
    );
  }
}

/** Picks `--instance NAME`, or the only instance; a config with several needs a name. */
export function selectInstance(config: LoadedConfig, name?: string): InstanceConfig {
  const source = config.file ?? 'environment';
  if (name !== undefined) {
    const found = config.instances.find((i) => i.name === name);
    if (!found) {
      throw new ConfigError(
        `${source}: no instance named "${name}" (have: ${config.instances.map((i) => i.name).join(', ')})`,
      );
    }
    return found;
  }
  if (config.instances.length > 1) {
    throw new ConfigError(
      `${source}: ${config.instances.length} instances configured; choose one with --instance (${config.instances.map((i) => i.name).join(', ')})`,
    );
  }
  return config.instances[0]!;
}

/**
 * One instance from the variables the Azure SDKs read: AZURE_TENANT_ID and AZURE_CLIENT_ID with
 * AZURE_CLIENT_SECRET, else AZURE_CLIENT_CERTIFICATE_PATH (and _PASSWORD), else
 * AZURE_FEDERATED_TOKEN_FILE (workload identity), in EnvironmentCredential's order.
 */
export function instanceFromEnvironment(
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): InstanceConfig {
  const missing = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID'].filter((name) => !env[name]);
  const credential = environmentCredential(env, cwd);
  if (credential === undefined) missing.push('AZURE_CLIENT_SECRET');
  if (missing.length > 0) {
    throw new ConfigError(
      `no ${DEFAULT_CONFIG_FILE} found and ${missing.join(', ')} not set: pass --config FILE or set AZURE_TENANT_ID, AZURE_CLIENT_ID and one of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE`,
    );
  }
  const parsed = instanceSchema.safeParse({
    name: env.DEFENDER_GRAPH_INSTANCE_NAME ?? env.AZURE_TENANT_ID,
    tenantId: env.AZURE_TENANT_ID,
    clientId: env.AZURE_CLIENT_ID,
    ...credential,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = ENV_FIELD_VARIABLES[String(issue.path[0])] ?? String(issue.path[0]);
    throw new ConfigError(`environment ${variable}: ${issue.message}`);
  }
  return parsed.data;
}

function environmentCredential(
  env: NodeJS.ProcessEnv,
  cwd: string,
): Partial<InstanceConfig> | undefined {
  if (env.AZURE_CLIENT_SECRET) return { clientSecret: env.AZURE_CLIENT_SECRET };
  if (env.AZURE_CLIENT_CERTIFICATE_PATH) {
    const certificatePath = resolve(cwd, env.AZURE_CLIENT_CERTIFICATE_PATH);
    if (!existsSync(certificatePath))
      throw new ConfigError(
        `environment AZURE_CLIENT_CERTIFICATE_PATH: file not found: ${certificatePath}`,
      );
    return {
      certificatePath,
      ...(env.AZURE_CLIENT_CERTIFICATE_PASSWORD
        ? { certificatePassword: env.AZURE_CLIENT_CERTIFICATE_PASSWORD }
        : {}),
    };
  }
  // WorkloadIdentityCredential reads the token file itself, every time it asks for a token.
  if (env.AZURE_FEDERATED_TOKEN_FILE) return { credential: 'workloadIdentity' };
  return undefined;
}

const ENV_FIELD_VARIABLES: Record<string, string> = {
  name: 'DEFENDER_GRAPH_INSTANCE_NAME',
  tenantId: 'AZURE_TENANT_ID',
  clientId: 'AZURE_CLIENT_ID',
  clientSecret: 'AZURE_CLIENT_SECRET',
  certificatePath: 'AZURE_CLIENT_CERTIFICATE_PATH',
  certificatePassword: 'AZURE_CLIENT_CERTIFICATE_PASSWORD',
};

/**
 * AZURE_AUTHORITY_HOST, as every Azure SDK reads it: the login host of each instance whose config
 * names none (`endpoints.authority` wins).
 */
function withAuthorityHost(instances: InstanceConfig[], env: NodeJS.ProcessEnv): InstanceConfig[] {
  const host = env.AZURE_AUTHORITY_HOST?.trim();
  if (!host) return instances;
  const checked = instanceSchema.shape.endpoints.safeParse({ authority: host });
  if (!checked.success)
    throw new ConfigError(
      `environment AZURE_AUTHORITY_HOST: ${checked.error.issues[0]!.message} (got ${host})`,
    );
  return instances.map((instance) =>
    instance.endpoints.authority === undefined
      ? { ...instance, endpoints: { ...instance.endpoints, authority: host } }
      : instance,
  );
}

/** Replaces `${VAR}` in a secret field; `field` names it in the error when VAR is unset. */
function fromEnvironment(text: string, env: NodeJS.ProcessEnv, field: string): string {
  return text.replace(ENV_REFERENCE, (_match, name: string) => {
    const value = env[name];
    if (value === undefined || value === '')
      throw new ConfigError(`${field}: environment variable ${name} is not set`);
    return value;
  });
}

/**
 * `clientSecret: ${VAR}` (and the SMTP password, the webhook secret) read the secret from the
 * environment, so the file can be committed.
 */
function substituteSecrets(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  where: (path: (string | number)[]) => string,
): unknown {
  if (!isRecord(raw) || !Array.isArray(raw.instances)) return raw;
  const monitoring = isRecord(raw.monitoring) ? { ...raw.monitoring } : undefined;
  if (monitoring && typeof monitoring.webhookSecret === 'string')
    monitoring.webhookSecret = fromEnvironment(
      monitoring.webhookSecret,
      env,
      where(['monitoring', 'webhookSecret']),
    );
  if (monitoring && isRecord(monitoring.email) && typeof monitoring.email.password === 'string')
    monitoring.email = {
      ...monitoring.email,
      password: fromEnvironment(
        monitoring.email.password,
        env,
        where(['monitoring', 'email', 'password']),
      ),
    };
  return {
    ...raw,
    ...(monitoring ? { monitoring } : {}),
    instances: raw.instances.map((instance: unknown, index) => {
      if (!isRecord(instance)) return instance;
      const substituted = { ...instance };
      for (const field of INSTANCE_SECRETS) {
        const value = instance[field];
        if (typeof value === 'string')
          substituted[field] = fromEnvironment(value, env, where(['instances', index, field]));
      }
      return substituted;
    }),
  };
}

function resolveMonitoring(
  monitoring: MonitoringConfig | undefined,
  folder: string,
  where: (path: (string | number)[]) => string,
): MonitoringConfig {
  const resolved = monitoring ?? monitoringSchema.parse({});
  const absolute = (path: string | undefined) =>
    path === undefined || isAbsolute(path) ? path : resolve(folder, path);
  const rulesFolder = absolute(resolved.rulesFolder);
  if (rulesFolder !== undefined && !existsSync(rulesFolder))
    throw new ConfigError(
      `${where(['monitoring', 'rulesFolder'])}: folder not found: ${rulesFolder}`,
    );
  const email = resolved.email && { ...resolved.email, caFile: absolute(resolved.email.caFile) };
  return { ...resolved, rulesFolder, email, caFile: absolute(resolved.caFile) };
}

function resolvePaths(instance: InstanceConfig, folder: string): InstanceConfig {
  const absolute = (path: string | undefined) =>
    path === undefined || isAbsolute(path) ? path : resolve(folder, path);
  return {
    ...instance,
    caFile: absolute(instance.caFile),
    certificatePath: absolute(instance.certificatePath),
    ...(instance.people && {
      people: { roster: absolute(instance.people.roster), rules: absolute(instance.people.rules) },
    }),
  };
}

function describeIssue(
  issue: z.core.$ZodIssue,
  file: string,
  doc: Document,
  lineCounter: LineCounter,
): string {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  // An unknown key is reported on its object: point the line at the key itself.
  const linePath = issue.code === 'unrecognized_keys' ? [...path, ...issue.keys.slice(0, 1)] : path;
  return `${locate(path, file, doc, lineCounter, linePath)}: ${issue.message}`;
}

/** `file:line: instances[0] (Contoso).tenantId` for a path in the document. */
function locate(
  path: (string | number)[],
  file: string,
  doc: Document,
  lineCounter: LineCounter,
  linePath = path,
): string {
  const node = linePath.length > 0 ? nearestNode(doc, linePath) : undefined;
  const line = node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  const raw = doc.toJS() as unknown;
  let where = '';
  for (const [i, part] of path.entries()) {
    if (typeof part === 'number') {
      where += `[${part}]`;
      if (i === 1 && path[0] === 'instances') where += ` (${instanceLabelName(raw, part)})`;
    } else {
      where += where === '' ? part : `.${part}`;
    }
  }
  return `${file}${line ? `:${line}` : ''}: ${where || '(top level)'}`;
}

/** The deepest YAML node that exists along the path (a missing field points at its parent). */
function nearestNode(doc: Document, path: (string | number)[]) {
  for (let depth = path.length; depth > 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (isNode(node)) return node;
  }
  return undefined;
}

function instanceLabelName(raw: unknown, index: number): string {
  const instances = isRecord(raw) && Array.isArray(raw.instances) ? raw.instances : [];
  const instance: unknown = instances[index];
  return isRecord(instance) && typeof instance.name === 'string' ? instance.name : 'unnamed';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The hosts and token scopes one instance talks to, after cloud, region and overrides. */
export interface ResolvedEndpoints {
  authority: string;
  /** Graph origin (plus any path prefix), without `/v1.0`. */
  graph: string;
  /** Defender origin (plus any path prefix), without `/api`. */
  defender: string;
  graphScope: string;
  defenderScope: string;
  /** True when the authority is not a Microsoft cloud's: instance discovery must be skipped. */
  customAuthority: boolean;
}

export function resolveEndpoints(instance: InstanceConfig): ResolvedEndpoints {
  const cloud = CLOUDS[instance.cloud];
  const trim = (url: string) => url.replace(/\/+$/, '');
  const regional = instance.defenderRegion
    ? defenderRegionHost(instance.defenderRegion)
    : undefined;
  return {
    authority: trim(instance.endpoints.authority ?? cloud.authority),
    graph: trim(instance.endpoints.graph ?? cloud.graph),
    defender: trim(instance.endpoints.defender ?? regional ?? cloud.defender),
    graphScope: `${cloud.graphResource}/.default`,
    defenderScope: `${cloud.defenderResource}/.default`,
    customAuthority: instance.endpoints.authority !== undefined,
  };
}

/** The instance as it may be displayed: credentials replaced, everything else as configured. */
export function redactInstance(instance: InstanceConfig): Record<string, unknown> {
  return {
    ...instance,
    clientSecret: instance.clientSecret === undefined ? undefined : '[REDACTED]',
    certificatePassword: instance.certificatePassword === undefined ? undefined : '[REDACTED]',
  };
}
