/**
 * API tokens for scripts: 32 random bytes shown once, stored as their SHA-256 (a token has full
 * entropy, so a fast hash is enough; a password needs scrypt because people choose them).
 */
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'dgt_';

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function newApiToken(): { id: string; token: string; hash: string } {
  const id = randomBytes(6).toString('hex');
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { id, token, hash: hashApiToken(token) };
}
