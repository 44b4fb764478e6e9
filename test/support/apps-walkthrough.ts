import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Release } from '@berth/contracts';
import { afterAll, expect } from 'vitest';
import { freePort } from './ports.js';
import { readmeBlock } from './readme.js';
import type { useReadmeShell } from './readme-shell.js';
import { ADMIN } from './server.js';
import { waitFor } from './wait.js';

type ReadmeShell = ReturnType<typeof useReadmeShell>;

/**
 * The README's "Deploy an app", as a reader runs it after the walkthrough: its shell block, step by
 * step, by bash against a real Berth. `alsoVisit` is another way to the app (through Caddy), asked
 * each time the block's own visit is.
 */
export function useAppsWalkthrough(shell: ReadmeShell) {
  let daemonPidFile: string | undefined;
  afterAll(async () => {
    // The README's git daemon detached itself: it stops with the test.
    const pid = daemonPidFile && Number(await readFile(daemonPidFile, 'utf8').catch(() => ''));
    if (pid) process.kill(pid);
  });

  return async function walk(alsoVisit?: () => Promise<string>): Promise<void> {
    const { server, run } = shell;
    const port = await freePort();
    const steps = (await readmeBlock('## Deploy an app', 'sh')).replaceAll('9418', String(port)).split(/\n(?=# Once release 1 is live|# Config:|# Deploy the branch)/);
    expect(steps).toHaveLength(4);
    const [create, visitStep, config, redeploy] = steps as [string, string, string, string];
    const visit = async (expected: string) => {
      expect(await run(visitStep)).toBe(expected);
      if (alsoVisit) expect(await alsoVisit()).toBe(expected);
    };
    await shell.signIn();
    const admin = await server.login(ADMIN.username, ADMIN.password);
    const live = (n: number) =>
      waitFor(`release ${n} live`, async () => {
        const app = (await admin.api.call('apps.list')).items[0];
        const { items } = await admin.api.call('apps.releases', { params: { id: app!.id } });
        const release = items.find((r: Release) => r.number === n);
        if (release?.status === 'failed') throw new Error(`release ${n} failed: ${release.error}`);
        return release?.status === 'live' ? release : undefined;
      }, 240_000, 250);

    await run(create);
    daemonPidFile = path.join(shell.dir, 'git-daemon.pid');
    expect(await shell.variable('APP')).toMatch(/^[0-9a-f-]{36}$/);
    await live(1);
    await visit('hello from Berth\n');

    expect(JSON.parse(await run(config))).toEqual({ items: [{ name: 'API_KEY', value: '••••••••', secret: true }, { name: 'GREETING', value: 'the README', secret: false }] });
    await live(2);
    await visit('hello from the README\n');

    // The deploy (release 3) and, right behind it, the rollback (release 4): the later request wins.
    await run(redeploy);
    const rolledBack = await live(4);
    expect(rolledBack).toMatchObject({ kind: 'rollback', rollbackOf: 1 });
    // Release 1's config had no GREETING: the rollback serves it as it was.
    await visit('hello from Berth\n');
  };
}
