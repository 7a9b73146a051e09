import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../../server/auth/passwords.js';
import { newApiToken } from '../../server/auth/api-tokens.js';
import { ROLES, type Role } from '../../store/accounts.js';
import { StoreError } from '../../store/index.js';
import { withExistingStore, withStore } from '../../sync/command-support.js';
import { UsageError } from '../../util/usage-error.js';
import { printJson, printTable } from '../output.js';
import { dbOption, jsonOption } from '../options.js';

interface DbFlags {
  db?: string;
  json?: boolean;
}

const time = (ms: number) => new Date(ms).toISOString();

/** Lines from stdin: a pipe gives them as they are; a terminal asks without echoing. */
async function readPassword(): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const lines = createInterface({ input });
    for await (const line of lines) {
      lines.close();
      return line;
    }
    throw new UsageError('no password on stdin');
  }
  const ask = (prompt: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input, output: process.stderr, terminal: true });
      // readline has no hidden input: its echo is muted, the prompt itself still shown.
      const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s) =>
        write.call(rl, s.startsWith(prompt) ? prompt : '');
      rl.question(prompt, (answer) => {
        rl.close();
        process.stderr.write('\n');
        resolve(answer);
      });
    });
  const first = await ask('password: ');
  if ((await ask('again: ')) !== first) throw new UsageError('the two passwords differ');
  return first;
}

/** A store refusal that is the caller's mistake (a duplicate, an unknown user) is a usage error. */
async function usage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreError && /already exists|no user named/.test(err.message))
      throw new UsageError(err.message);
    throw err;
  }
}

export function registerUsers(program: Command): void {
  const users = program
    .command('users')
    .description('Local users and API tokens of `serve` (needed on any address but 127.0.0.1).')
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 the store failed or the user/token does not exist, 2 bad flag, short password or duplicate name.',
    );

  users
    .command('add')
    .argument('<name>', 'user name')
    .addOption(new Option('--role <role>', 'what the user may do').choices(ROLES).default('viewer'))
    .addOption(dbOption())
    .description(
      `Add a user. The password (at least ${MIN_PASSWORD_LENGTH} characters) is asked for on a terminal, else read from the first line of stdin; only its scrypt hash is stored.`,
    )
    .action(async (name: string, flags: DbFlags & { role: Role }) => {
      if (!/^[\w.@-]{1,100}$/.test(name))
        throw new UsageError('name: letters, digits, _ . @ - only (1 to 100 characters)');
      const password = await readPassword();
      if (password.length < MIN_PASSWORD_LENGTH)
        throw new UsageError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
      const passwordHash = await hashPassword(password);
      await withStore(flags.db, (store) =>
        usage(() =>
          store.accounts.addUser({ name, role: flags.role, passwordHash, createdOn: Date.now() }),
        ),
      );
      process.stdout.write(`user ${name} added (${flags.role})\n`);
    });

  users
    .command('list')
    .addOption(dbOption())
    .addOption(jsonOption('print JSON'))
    .description('List users (never their hashes).')
    .action(async (flags: DbFlags) => {
      const list = await withExistingStore(flags.db, (store) => store.accounts.listUsers());
      const rows = list.map((u) => ({ name: u.name, role: u.role, createdOn: u.createdOn }));
      if (flags.json) return printJson(rows);
      printTable(
        ['name', 'role', 'created'],
        rows.map((u) => [u.name, u.role, time(u.createdOn)]),
      );
    });

  users
    .command('remove')
    .argument('<name>', 'user name')
    .addOption(dbOption())
    .description('Remove a user and every API token it owns.')
    .action(async (name: string, flags: DbFlags) => {
      const removed = await withExistingStore(flags.db, (store) => store.accounts.removeUser(name));
      if (!removed) throw new Error(`no user named "${name}"`);
      process.stdout.write(`user ${name} removed\n`);
    });

  const tokens = users
    .command('token')
    .description('API tokens for scripts (Authorization: Bearer …).');

  tokens
    .command('add')
    .argument('<user>', 'the user whose role the token carries')
    .option('--label <text>', 'what the token is for', 'script')
    .addOption(dbOption())
    .addOption(jsonOption('print {id, token} as JSON'))
    .description('Create a token; it is printed once and only its SHA-256 is stored.')
    .action(async (user: string, flags: DbFlags & { label: string }) => {
      const { id, token, hash } = newApiToken();
      await withStore(flags.db, (store) =>
        usage(() =>
          store.accounts.addToken(
            { id, label: flags.label, userName: user, createdOn: Date.now() },
            hash,
          ),
        ),
      );
      if (flags.json) return printJson({ id, token });
      process.stdout.write(`token ${id} for ${user} (shown once, keep it secret):\n${token}\n`);
    });

  tokens
    .command('list')
    .addOption(dbOption())
    .addOption(jsonOption('print JSON'))
    .description('List tokens (ids and labels; the tokens themselves are not stored).')
    .action(async (flags: DbFlags) => {
      const list = await withExistingStore(flags.db, (store) => store.accounts.listTokens());
      if (flags.json) return printJson(list);
      printTable(
        ['id', 'user', 'label', 'created'],
        list.map((t) => [t.id, t.userName, t.label, time(t.createdOn)]),
      );
    });

  tokens
    .command('remove')
    .argument('<id>', 'token id (from `users token list`)')
    .addOption(dbOption())
    .description('Revoke a token.')
    .action(async (id: string, flags: DbFlags) => {
      const removed = await withExistingStore(flags.db, (store) => store.accounts.removeToken(id));
      if (!removed) throw new Error(`no token with id "${id}"`);
      process.stdout.write(`token ${id} removed\n`);
    });
}
