import type { Member, Organization, OrgQuota, Team } from '@berth/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openWebApp, screenshot, signIn, type Browser } from '../support/browser.js';
import type { Caller, TestServer } from '../support/server.js';

/**
 * An organization's settings page, driven by its owner and the people she
 * brings in: olga makes acme on her account page and invites ada by name; ada,
 * in a browser of her own, accepts on her dashboard, is made a viewer, then is
 * removed and loses acme. A single-use link brings bob in through the sign-in
 * page; he joins a team, and sees the page without a single control to manage it.
 */
let server: TestServer;
let base: string;
let owner: Browser;
let guest: Browser;
let page: Page;
let other: Page;
let close: () => Promise<void>;
let olga: Caller;
let link = '';
const PASSWORD = 'a-long-enough-password';

beforeAll(async () => {
  ({ server, base, browser: owner, page, close } = await openWebApp());
  guest = await launchBrowser();
  other = await guest.context.newPage();
  ({ caller: olga } = await server.signUp('olga', PASSWORD));
  await server.createUser('ada', PASSWORD);
  await server.createUser('bob', PASSWORD);
});
afterAll(async () => {
  await guest?.close();
  await close?.();
});

const members = async () => (await olga.get('/api/v1/orgs/acme/members')).json<{ items: Member[] }>().items;
const roleOf = async (username: string) => (await members()).find((m) => m.user.username === username)?.role ?? null;

describe('organization settings in a real browser', () => {
  it('makes an organization on the account page and lands on its settings', async () => {
    await signIn(page, base, 'olga', PASSWORD);
    await page.getByRole('link', { name: 'Account' }).click();
    const form = page.getByRole('form', { name: 'Create an organization' });
    await form.getByLabel('Organization name').fill('Acme');
    await expect.poll(() => form.getByLabel('Organization slug').inputValue()).toBe('acme');
    await form.getByRole('button', { name: 'Create organization' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('Acme');
    await expect.poll(() => page.getByTestId('org-status').textContent(), { timeout: 30_000 }).toBe('active');
    expect(await page.getByTestId('org-role').textContent()).toBe('owner');
    // The app acts in the new organization: the header offers its settings.
    expect(await page.getByRole('combobox', { name: 'Organization' }).inputValue()).toBe('acme');
    await expect.poll(() => page.getByRole('banner').getByRole('link', { name: 'Organization settings' }).isVisible()).toBe(true);
  });

  it('invites a user by name, who accepts on their dashboard and is switched to the organization', async () => {
    const invite = page.getByRole('form', { name: 'Invite to the organization' });
    await invite.getByLabel('Username').fill('ada');
    await invite.getByLabel('Role').selectOption('member');
    await invite.getByRole('button', { name: 'Invite', exact: true }).click();
    await expect.poll(() => invite.getByRole('status').textContent()).toBe('Invited ada as member.');
    await expect.poll(() => page.getByRole('table', { name: 'Open invitations' }).getByRole('rowheader', { name: 'ada' }).isVisible()).toBe(true);
    await screenshot(page, 'org-settings-invited');

    await signIn(other, base, 'ada', PASSWORD);
    const accept = other.getByRole('button', { name: 'Accept the invitation to Acme' });
    await expect.poll(() => accept.isVisible(), { timeout: 15_000 }).toBe(true);
    await screenshot(other, 'org-invitation-pending');
    await accept.click();
    await expect.poll(() => other.getByRole('combobox', { name: 'Organization' }).inputValue(), { timeout: 15_000 }).toBe('acme');
    await expect.poll(() => other.locator('.dashboard-org').textContent()).toContain('In Acme, as member');
    expect(await other.getByRole('button', { name: /Accept the invitation/ }).count()).toBe(0);
    expect(await roleOf('ada')).toBe('member');
  });

  it("changes the member's role to viewer, which the member's app follows", async () => {
    await page.reload();
    const role = page.getByRole('combobox', { name: 'Role of ada' });
    await expect.poll(() => role.inputValue(), { timeout: 15_000 }).toBe('member');
    await role.selectOption('viewer');
    await expect.poll(() => roleOf('ada')).toBe('viewer');
    await expect.poll(() => role.inputValue()).toBe('viewer');

    await other.reload();
    await expect.poll(() => other.locator('.dashboard-org').textContent(), { timeout: 15_000 }).toContain('as viewer');
    // A viewer makes no environments.
    expect(await other.getByRole('button', { name: 'New environment' }).count()).toBe(0);
  });

  it('removes the member after asking, and the removed one loses the organization', async () => {
    await page.getByRole('button', { name: 'Remove ada' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove ada?' });
    await dialog.getByRole('button', { name: 'Remove member' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Members of Acme' }).getByRole('rowheader', { name: 'ada' }).count()).toBe(0);
    expect(await roleOf('ada')).toBeNull();

    await other.reload();
    // Back in her personal organization, the only one she has: no switcher, and acme forgotten.
    await expect.poll(() => other.getByRole('heading', { name: 'Environments' }).isVisible(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => other.evaluate('localStorage.getItem("berth.org")')).toBeNull();
    expect(await other.getByRole('combobox', { name: 'Organization' }).count()).toBe(0);
    await other.goto(`${base}/orgs/acme`);
    await expect.poll(() => other.getByRole('heading', { name: 'Organization not found' }).isVisible(), { timeout: 15_000 }).toBe(true);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => other.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
  });

  it('shows a single-use invitation link once', async () => {
    const invite = page.getByRole('form', { name: 'Invite to the organization' });
    await invite.getByLabel('Role').selectOption('member');
    await invite.getByRole('button', { name: 'Create invitation link' }).click();
    const secret = page.getByTestId('invitation-link');
    await expect.poll(() => secret.isVisible(), { timeout: 15_000 }).toBe(true);
    link = ((await secret.textContent()) ?? '').trim();
    expect(link).toMatch(new RegExp(`^${base}/invitations/accept#.+`));
    await expect.poll(() => page.getByRole('table', { name: 'Open invitations' }).getByRole('rowheader', { name: 'single-use link' }).count()).toBe(1);
    await screenshot(page, 'org-settings-link');
    await page.getByRole('region', { name: 'New invitation link' }).getByRole('button', { name: 'Done' }).click();
    expect(await secret.count()).toBe(0);
    await page.reload();
    await expect.poll(() => page.getByRole('table', { name: 'Open invitations' }).isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.getByTestId('invitation-link').count()).toBe(0);
    expect(await page.getByText(link.split('#')[1]!).count()).toBe(0);
  });

  it('lets a third user join through the link, signing in on the way', async () => {
    await other.goto(link);
    await other.getByLabel('Username').fill('bob');
    await other.getByLabel('Password').fill(PASSWORD);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => other.locator('.dashboard-org').textContent(), { timeout: 15_000 }).toContain('In Acme, as member');
    expect(new URL(other.url()).pathname).toBe('/');
    expect(new URL(other.url()).hash).toBe('');
    expect(await roleOf('bob')).toBe('member');

    // The link worked once.
    await page.goto(link);
    await expect.poll(() => page.getByRole('heading', { name: 'Could not join the organization' }).isVisible(), { timeout: 15_000 }).toBe(true);
    await page.goto(`${base}/orgs/acme`);
    await expect.poll(() => page.getByRole('table', { name: 'Members of Acme' }).getByRole('rowheader', { name: 'bob' }).isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.getByRole('table', { name: 'Open invitations' }).count()).toBe(0);
  });

  it('creates a team and adds a member to it', async () => {
    const create = page.getByRole('form', { name: 'Create a team' });
    await create.getByLabel('Team name').fill('Core');
    await create.getByRole('button', { name: 'Create team' }).click();
    const team = page.getByRole('region', { name: /^Core/ });
    await expect.poll(() => team.isVisible(), { timeout: 15_000 }).toBe(true);
    await team.getByLabel('Member', { exact: true }).selectOption('bob');
    await team.getByLabel('Team role').selectOption('member');
    await team.getByRole('button', { name: 'Add to team' }).click();
    await expect.poll(() => team.getByRole('list', { name: 'Members of Core' }).getByRole('listitem').textContent(), { timeout: 15_000 }).toContain('bob');
    const teams = (await olga.get('/api/v1/orgs/acme/teams')).json<{ items: Team[] }>().items;
    expect(teams.map((t) => ({ slug: t.slug, members: t.members.map((m) => [m.user.username, m.role]) }))).toEqual([{ slug: 'core', members: [['bob', 'member']] }]);
    await screenshot(page, 'org-settings-owner');
  });

  it('sets the quota within the ceiling, and says why when above it', async () => {
    const form = page.getByRole('form', { name: 'Change the quota' });
    const ceiling = (await olga.get('/api/v1/orgs/acme/quota')).json<OrgQuota>().ceiling.credits;
    await form.getByLabel('Credits', { exact: true }).fill(String(ceiling + 1));
    await form.getByRole('button', { name: 'Save quota' }).click();
    await expect.poll(() => form.getByRole('alert').textContent(), { timeout: 15_000 }).toMatch(/\S/);
    await form.getByLabel('Credits', { exact: true }).fill(String(ceiling - 1));
    await form.getByLabel('Member credit cap').fill('2');
    await form.getByRole('button', { name: 'Save quota' }).click();
    await expect.poll(() => form.getByRole('status').textContent(), { timeout: 15_000 }).toBe('Quota saved.');
    expect(await form.getByRole('alert').count()).toBe(0);
    const quota = (await olga.get('/api/v1/orgs/acme/quota')).json<OrgQuota>();
    expect([quota.credits, quota.memberCreditCap]).toEqual([ceiling - 1, 2]);
    expect(await page.getByTestId('org-credits-used').textContent()).toBe(`0 of ${ceiling - 1} (${ceiling - 1} left)`);
  });

  it("shows the organization's audit trail to its owner", async () => {
    await page.reload();
    const audit = page.getByRole('region', { name: 'Audit log' });
    await expect.poll(() => audit.getByRole('cell', { name: 'org.member.remove' }).isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await audit.getByRole('cell', { name: 'org.team.create' }).count()).toBe(1);
  });

  it('shows a member the page without any control to manage it', async () => {
    await other.getByRole('banner').getByRole('link', { name: 'Organization settings' }).click();
    await expect.poll(() => other.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('Acme');
    await expect.poll(() => other.getByRole('table', { name: 'Members of Acme' }).getByRole('rowheader', { name: 'olga' }).isVisible(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => other.getByRole('list', { name: 'Members of Core' }).textContent(), { timeout: 15_000 }).toContain('bob');
    expect(await other.getByTestId('org-role').textContent()).toBe('member');
    expect(await other.getByText('only its owners and admins change it').isVisible()).toBe(true);
    for (const name of ['Role of olga', 'Role of bob']) expect(await other.getByRole('combobox', { name }).count()).toBe(0);
    for (const name of [/^Remove/, 'Invite', 'Create invitation link', 'Create team', 'Add to team', /^Delete/, 'Suspend', /^Revoke/, 'Save quota']) {
      expect(await other.getByRole('button', { name }).count(), String(name)).toBe(0);
    }
    expect(await other.getByRole('heading', { name: 'Invitations' }).count()).toBe(0);
    expect(await other.getByRole('form').count()).toBe(0);
    // The quota is there to read; the audit trail is for owners and admins.
    await expect.poll(() => other.getByTestId('org-credits-used').textContent(), { timeout: 15_000 }).toMatch(/^0 of \d+/);
    expect(await other.getByRole('button', { name: 'Save quota' }).count()).toBe(0);
    expect(await other.getByRole('heading', { name: 'Audit log' }).count()).toBe(0);
    await screenshot(other, 'org-settings-member');
    const org = (await olga.get('/api/v1/orgs/acme')).json<Organization>();
    expect(org.status).toBe('active');
  });

  it('logged no console errors but the expected ones', () => {
    // Before signing in, /me answers 401; the spent link answers the owner 404, a quota above the ceiling a refusal.
    const signedOut = /status of 401|GET \/api\/v1\/me -> 401/;
    const refused = /status of (404|403|422)|POST \/api\/v1\/invitations\/accept -> 404|PATCH \/api\/v1\/orgs\/acme\/quota -> (403|422)/;
    expect(owner.consoleErrors.filter((e) => !signedOut.test(e) && !refused.test(e))).toEqual([]);
    // Once removed, acme answers ada's calls 404 (the app then forgets it), and its settings page too.
    const removed = /status of 404|GET \/api\/v1\/[a-z/]+ -> 404/;
    expect(guest.consoleErrors.filter((e) => !signedOut.test(e) && !removed.test(e))).toEqual([]);
  });
});
