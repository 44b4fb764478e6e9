import type { Environment, WarmPool } from '@berth/contracts';
import { expect, it } from 'vitest';
import { readmeBlock } from './support/readme.js';
import { useReadmeShell } from './support/readme-shell.js';
import { ADMIN } from './support/server.js';
import { waitFor } from './support/wait.js';

/** The README's warm pool, as an administrator runs it after the walkthrough: its shell blocks, run by bash against a real Berth. */
const shell = useReadmeShell({ env: { BERTH_POOL_CHECK_MS: '300' } });

it('keeps a pool that a create then claims from, as the README says', async () => {
  const { server, run } = shell;
  const [setUp, claim] = (await readmeBlock('### Warm pools', 'sh')).split('# Once it is ready');
  expect(setUp && claim, 'the section has its two steps').toBeTruthy();

  await shell.signIn();
  // curl prints the new pool, then the list with it (no newline between them).
  expect(await run(setUp!)).toMatch(/^\{"id":"[0-9a-f-]{36}","machineType":"small".*"size":2.*\}\{"items":\[\{"id"/);
  const admin = await server.login(ADMIN.username, ADMIN.password);
  const [made] = (await admin.api.call('pools.list')).items;
  expect(made).toMatchObject({ machineType: 'small', size: 2 });
  // A reader looks at the pool until it is ready.
  await waitFor('the README\'s pool to be ready', async () => (await admin.api.call('pools.list')).items.find((p: WarmPool) => p.id === made!.id)?.ready === 2, 60_000);

  const env = JSON.parse(await run(`# Once it is ready${claim}`)) as Environment;
  expect(env).toMatchObject({ status: 'running', type: 'small', owner: { username: ADMIN.username } });
});
