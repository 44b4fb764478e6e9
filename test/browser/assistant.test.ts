import type { Environment, Organization } from '@berth/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebApp, screenshot, signIn } from '../support/browser.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.js';
import { ADMIN, type Caller, type TestServer } from '../support/server.js';
import { runningEnvironment, waitFor } from '../support/wait.js';

/**
 * The IDE's assistant panel against the fake OpenAI-compatible provider: what it
 * says before a provider is configured, a turn whose tool call writes the file
 * open in the editor, and Stop ending a turn whose provider stalls.
 */
let server: TestServer;
let base: string;
let page: Page;
let close: () => Promise<void>;
let fake: FakeOpenAi;
let admin: Caller;
let ada: Caller;
let env: Environment;
const PASSWORD = 'ada-password-1234';

beforeAll(async () => {
  fake = await startFakeOpenAi();
  ({ server, base, page, close } = await openWebApp());
  const adaId = await server.createUser('ada', PASSWORD);
  admin = await server.login(ADMIN.username, ADMIN.password);
  ada = await server.login('ada', PASSWORD);
  await admin.api.call('users.setQuota', { params: { id: adaId }, body: { aiUsesPerDay: 10 } });
  env = await runningEnvironment(ada);
  const written = await ada.put(`/api/v1/environments/${env.id}/files/content?path=note.txt`, 'the old line\n', { 'content-type': 'text/plain' });
  expect(written.statusCode, written.body).toBe(201);
}, 120_000);
afterAll(async () => {
  await close?.();
  await fake?.close();
});

const panel = () => page.getByRole('complementary', { name: 'Assistant' });
const log = () => panel().getByRole('log', { name: 'Assistant conversation' });
const editor = () => page.locator('.cm-content');

async function ask(text: string): Promise<void> {
  await panel().getByLabel('Message the assistant').fill(text);
  await panel().getByRole('button', { name: 'Send' }).click();
}

describe('the assistant panel in the IDE', () => {
  it('says clearly that the assistant is not configured before a provider is set', async () => {
    await signIn(page, base, 'ada', PASSWORD);
    await page.goto(`${base}/environments/${env.id}`);
    await page.getByRole('button', { name: 'Assistant' }).click();
    await expect.poll(() => panel().getByRole('alert').textContent(), { timeout: 15_000 }).toContain('The assistant is not configured');
    await screenshot(page, 'assistant-not-configured');
  });

  it('shows a tool call writing the open file, its output and the answer, and the editor shows the new content', async () => {
    await admin.api.call('config.set', { params: { name: 'ai_api_url' }, body: { value: fake.url } });
    await admin.api.call('config.set', { params: { name: 'ai_api_key' }, body: { value: 'test-key' } });
    await admin.api.call('config.set', { params: { name: 'ai_model' }, body: { value: 'fake-model' } });
    // Connect again, to be greeted with the model; the panel stays open across the reload.
    await page.reload();
    await expect.poll(() => panel().textContent(), { timeout: 15_000 }).toContain('fake-model');
    expect(await panel().getByTestId('assistant-uses').textContent()).toBe('10 of 10 uses left today');

    await page.getByRole('treeitem', { name: 'note.txt' }).click({ timeout: 20_000 });
    await expect.poll(() => editor().innerText(), { timeout: 15_000 }).toContain('the old line');

    fake.script(
      { toolCalls: [{ id: 'call_write', name: 'write', args: ['{"path":"note.txt",', '"content":"the new line, by the assistant\\n"}'] }], usage: { prompt: 120, completion: 12 } },
      { text: ['I rewrote note.txt. It now reads:\n', '```text\nthe new line, by the assistant\n```\n', '<b>not bold</b>'], usage: { prompt: 160, completion: 20 } },
    );
    await ask('Rewrite note.txt');

    const call = log().getByRole('group', { name: 'Tool call: write' });
    await call.waitFor({ timeout: 15_000 });
    await call.locator('summary').click();
    await expect.poll(() => call.getByTestId('tool-output').textContent(), { timeout: 15_000 }).toBe('Replaced note.txt (31 bytes)');
    await expect.poll(() => log().textContent(), { timeout: 15_000 }).toContain('I rewrote note.txt.');
    await expect.poll(() => log().locator('.assistant-answer pre code').textContent(), { timeout: 15_000 }).toBe('the new line, by the assistant');
    // Model output is text, never markup.
    expect(await log().locator('b').count()).toBe(0);
    await expect.poll(() => log().textContent()).toContain('<b>not bold</b>');
    await expect.poll(() => editor().innerText(), { timeout: 15_000 }).toContain('the new line, by the assistant');
    expect(await editor().innerText()).not.toContain('the old line');
    await expect.poll(() => panel().getByTestId('assistant-uses').textContent(), { timeout: 15_000 }).toBe('9 of 10 uses left today');
    await screenshot(page, 'assistant-tool-call');
  });

  it('ends a turn whose provider stalls when Stop is pressed', async () => {
    fake.script({ text: ['Let me think about this'], hang: true });
    await ask('Take your time');
    await expect.poll(() => log().textContent(), { timeout: 15_000 }).toContain('Let me think about this');
    await expect.poll(() => fake.hanging, { timeout: 15_000 }).toBe(1);
    await panel().getByRole('button', { name: 'Stop' }).click();
    await panel().getByRole('button', { name: 'Send' }).waitFor({ timeout: 15_000 });
    await expect.poll(() => fake.hanging, { timeout: 15_000 }).toBe(0);
    await screenshot(page, 'assistant-stopped');
  });
});

describe('the assistant usage views', () => {
  it("lists the requests per user and UTC day in the user's organization settings", async () => {
    await page.goto(`${base}/orgs/ada`);
    const section = page.getByRole('region', { name: 'AI assistant usage' });
    const row = section.getByRole('table', { name: /AI assistant usage/ }).locator('tr[data-user="ada"]');
    await row.waitFor({ timeout: 15_000 });
    // Both turns counted, the stopped one too; the tokens are the first turn's.
    expect(await row.getByRole('cell').allTextContents()).toEqual(['ada', '2', '280', '32', expect.stringMatching(/^\$0\.00/)]);
    await screenshot(page, 'assistant-usage-org');
  });

  it("sets a member's daily limit in an organization's settings", async () => {
    expect((await ada.post('/api/v1/orgs', { slug: 'acme', name: 'Acme' })).statusCode).toBe(202);
    await waitFor('acme active', async () => (await ada.get('/api/v1/orgs/acme')).json<Organization>().status === 'active');
    await page.goto(`${base}/orgs/acme`);
    const form = page.getByRole('form', { name: 'Member assistant limit' });
    await form.getByLabel('Member').selectOption('ada', { timeout: 15_000 });
    await form.getByLabel('Assistant requests per day').fill('5');
    await form.getByRole('button', { name: 'Set limit' }).click();
    await expect.poll(() => form.getByRole('status').textContent(), { timeout: 15_000 }).toBe('ada may make 5 requests a day.');
  });

  it('lists every user\'s usage in the admin console', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, base, ADMIN.username, ADMIN.password);
    await page.goto(`${base}/admin/assistant`);
    const row = page.getByRole('table', { name: 'AI assistant usage per user and day' }).locator('tr[data-user="ada"]');
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('2');
    await screenshot(page, 'assistant-usage-admin');
  });
});
