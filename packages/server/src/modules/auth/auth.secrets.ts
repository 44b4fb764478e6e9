import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** Argon2id (the library's default algorithm) with its default, OWASP-level cost. */
export const hashPassword = (password: string): Promise<string> => hash(password);

export const verifyPassword = (hashed: string, password: string): Promise<boolean> =>
  verify(hashed, password).catch(() => false);

/** A random secret with a readable prefix, so a leaked one is recognisable in a scanner. */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/**
 * Session and API token secrets carry 256 random bits, so a fast hash is enough:
 * what is stored cannot be replayed, and lookups by hash leak no timing about the secret.
 */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
