import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The local test server (trust auth); tests create and drop their own database on it. */
export const POSTGRES_SERVER =
  process.env.DEFENDER_GRAPH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${POSTGRES_SERVER}/postgres` });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL tests need the server at ${POSTGRES_SERVER} (user postgres, trust auth): ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database; returns its URL and a function that drops it. */
export async function createTestDatabase(
  label: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `dg_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    url: `${POSTGRES_SERVER}/${name}`,
    drop: () =>
      admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
