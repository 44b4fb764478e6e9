import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

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
  /**
   * Encrypts `plaintext` for one purpose with AES-256-GCM under a key derived from the current key
   * (a fresh IV each time): what is stored holds no plaintext and cannot be altered unnoticed.
   */
  seal(purpose: string, plaintext: string): string;
  /** The plaintext `seal` was given, under the current or the previous key; throws SealedValueError when neither opens it. */
  open(purpose: string, sealed: string): string;
}

/** A sealed value that no key of the keyring opens (BERTH_SECRET changed without its previous value kept), or one altered. */
export class SealedValueError extends Error {}

const SEALED_PREFIX = 'v1';

/** Purposes are constant names; a colon in one could make two purposes' inputs collide. */
const PURPOSE = /^[a-z0-9][a-z0-9.-]*$/;

function mac(key: string, purpose: string, message: string): Buffer {
  if (!PURPOSE.test(purpose)) throw new Error(`invalid signing purpose ${JSON.stringify(purpose)}`);
  // `purpose:message` keeps the envd tokens Berth minted before the keyring existed valid under the same key.
  return createHmac('sha256', key).update(`${purpose}:${message}`).digest();
}

/** A purpose's own 256-bit key: a value sealed for one purpose never opens as another's. */
function sealingKey(key: string, purpose: string): Buffer {
  if (!PURPOSE.test(purpose)) throw new Error(`invalid sealing purpose ${JSON.stringify(purpose)}`);
  return Buffer.from(hkdfSync('sha256', key, 'berth-seal', purpose, 32));
}

function seal(key: string, purpose: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(key, purpose), iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [SEALED_PREFIX, iv, cipher.getAuthTag(), data].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

function open(key: string, purpose: string, sealed: string): string | undefined {
  const [prefix, iv, tag, data, ...rest] = sealed.split('.');
  if (prefix !== SEALED_PREFIX || iv === undefined || tag === undefined || data === undefined || rest.length > 0) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(key, purpose), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined; // another key's, or altered: the tag does not match
  }
}

export function createKeyring(current: string, previous?: string): Keyring {
  const keys = previous === undefined ? [current] : [current, previous];
  return {
    seal: (purpose, plaintext) => seal(current, purpose, plaintext),
    open(purpose, sealed) {
      for (const key of keys) {
        const plaintext = open(key, purpose, sealed);
        if (plaintext !== undefined) return plaintext;
      }
      throw new SealedValueError(`a sealed ${purpose} value opens under no key of this installation (was BERTH_SECRET changed without BERTH_SECRET_PREVIOUS?)`);
    },
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
