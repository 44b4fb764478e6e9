import { describe, expect, it } from 'vitest';
import { EnvironmentNameSchema } from '@berth/contracts';
import { backoffMs, randomEnvironmentName } from './environments.domain.js';

describe('environment domain', () => {
  it('random names are valid environment names of the form adjective-animal-NN', () => {
    for (let i = 0; i < 200; i++) {
      const name = randomEnvironmentName();
      expect(EnvironmentNameSchema.safeParse(name).success).toBe(true);
      expect(name).toMatch(/^[a-z]+-[a-z]+-\d{2}$/);
    }
    expect(randomEnvironmentName(() => 0)).toBe('brave-otter-10');
  });

  it('backs off exponentially from one second and caps at a minute', () => {
    expect([1, 2, 3, 4].map(backoffMs)).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(30)).toBe(60_000);
  });
});
