import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring, SealedValueError } from './keyring.js';

const OLD = 'o'.repeat(32);
const NEW = 'n'.repeat(32);

describe('createKeyring', () => {
  it('signs deterministically, so a derived token can be handed out again', () => {
    const keys = createKeyring(NEW);
    expect(keys.sign('e2b-envd', 'sandbox-1')).toBe(keys.sign('e2b-envd', 'sandbox-1'));
    expect(keys.verify('e2b-envd', 'sandbox-1', keys.sign('e2b-envd', 'sandbox-1'))).toBe(true);
  });

  it('signs what it signed before the keyring existed the same way (HMAC-SHA256 of purpose:message, base64url)', () => {
    const before = createHmac('sha256', OLD).update('e2b-envd:sandbox-1').digest('base64url');
    expect(createKeyring(OLD).sign('e2b-envd', 'sandbox-1')).toBe(before);
  });

  it('signs with the current key and still accepts the previous key\'s signatures during the grace period', () => {
    const minted = createKeyring(OLD).sign('e2b-envd', 'sandbox-1');
    const rotated = createKeyring(NEW, OLD);

    expect(rotated.sign('e2b-envd', 'sandbox-1')).toBe(createKeyring(NEW).sign('e2b-envd', 'sandbox-1'));
    expect(rotated.sign('e2b-envd', 'sandbox-1')).not.toBe(minted);
    expect(rotated.verify('e2b-envd', 'sandbox-1', minted)).toBe(true);
  });

  it('refuses the old key\'s signatures once the previous key is dropped', () => {
    const minted = createKeyring(OLD).sign('e2b-envd', 'sandbox-1');
    expect(createKeyring(NEW).verify('e2b-envd', 'sandbox-1', minted)).toBe(false);
  });

  it('refuses a signature for another message, another purpose, a truncated one and an empty one', () => {
    const keys = createKeyring(NEW, OLD);
    const signature = keys.sign('e2b-envd', 'sandbox-1');

    expect(keys.verify('e2b-envd', 'sandbox-2', signature)).toBe(false);
    expect(keys.verify('preview', 'sandbox-1', signature)).toBe(false);
    expect(keys.verify('e2b-envd', 'sandbox-1', signature.slice(0, -1))).toBe(false);
    expect(keys.verify('e2b-envd', 'sandbox-1', '')).toBe(false);
  });

  it('keeps purposes apart: a colon in a purpose is refused rather than allowed to collide with a message', () => {
    const keys = createKeyring(NEW);
    expect(() => keys.sign('e2b-envd:sandbox', '1')).toThrow(/purpose/);
    expect(() => keys.verify('', 'x', 'y')).toThrow(/purpose/);
  });
});

describe('sealed values (AES-256-GCM)', () => {
  it('opens what it sealed, and never holds the plaintext in the sealed form', () => {
    const keys = createKeyring(NEW);
    const sealed = keys.seal('app-config', 'postgres://u:hunter2@db/app');
    expect(sealed).not.toContain('hunter2');
    expect(sealed).toMatch(/^v1\./);
    expect(keys.open('app-config', sealed)).toBe('postgres://u:hunter2@db/app');
  });

  it('seals the same value differently each time (a fresh IV), so equal secrets do not show as equal rows', () => {
    const keys = createKeyring(NEW);
    expect(keys.seal('app-config', 'same')).not.toBe(keys.seal('app-config', 'same'));
  });

  it("opens the previous key's values during a rotation, and refuses them once it is dropped", () => {
    const sealed = createKeyring(OLD).seal('app-config', 'kept');
    expect(createKeyring(NEW, OLD).open('app-config', sealed)).toBe('kept');
    expect(() => createKeyring(NEW).open('app-config', sealed)).toThrow(SealedValueError);
  });

  it('refuses an altered value, another purpose, and what is not a sealed value at all', () => {
    const keys = createKeyring(NEW);
    const sealed = keys.seal('app-config', 'secret');
    const [prefix, iv, tag, data] = sealed.split('.');
    const flipped = Buffer.from(data!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => keys.open('app-config', [prefix, iv, tag, flipped.toString('base64url')].join('.'))).toThrow(SealedValueError);
    expect(() => keys.open('other-purpose', sealed)).toThrow(SealedValueError);
    expect(() => keys.open('app-config', 'plaintext')).toThrow(SealedValueError);
    expect(() => keys.seal('app:config', 'x')).toThrow(/purpose/);
  });
});
