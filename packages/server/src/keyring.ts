import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The keys everything Berth signs is keyed by (BERTH_SECRET). New signatures
 * use the current key; verification also accepts the previous one, so a key
 * can be rotated without breaking what was handed out under the old one
 * during a grace period.
 */
export interface Keyring {
  /** A deterministic signature of `message` for one purpose (the same inputs give the same signature). */
  sign(purpose: string, message: string): string;
  /** Whether `signature` is this purpose's signature of `message` under the current or the previous key. */
  verify(purpose: string, message: string, signature: string): boolean;
}

/** Purposes are constant names; a colon in one could make two purposes' inputs collide. */
const PURPOSE = /^[a-z0-9][a-z0-9.-]*$/;

function mac(key: string, purpose: string, message: string): Buffer {
  if (!PURPOSE.test(purpose)) throw new Error(`invalid signing purpose ${JSON.stringify(purpose)}`);
  // `purpose:message` keeps the envd tokens Berth minted before the keyring existed valid under the same key.
  return createHmac('sha256', key).update(`${purpose}:${message}`).digest();
}

export function createKeyring(current: string, previous?: string): Keyring {
  const keys = previous === undefined ? [current] : [current, previous];
  return {
    sign: (purpose, message) => mac(current, purpose, message).toString('base64url'),
    verify(purpose, message, signature) {
      const given = Buffer.from(signature);
      // Every key is tried, matched or not, so the time taken does not tell which key signed.
      let valid = false;
      for (const key of keys) {
        const expected = Buffer.from(mac(key, purpose, message).toString('base64url'));
        if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
      }
      return valid;
    },
  };
}
