import { createRequire } from 'node:module';

/** The package's version; dist/cli/ and src/cli/ both sit two levels below package.json. */
export function packageVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}
