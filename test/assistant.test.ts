import type { AssistantServerEvent, Environment } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBerth } from '../packages/server/src/berth.js';
import { AssistantClient } from './support/assistant-client.js';
import { startFakeOpenAi, type FakeOpenAi, type FakeRequest } from './support/fake-openai.js';
import { inOrg, makeOrg } from './support/orgs.js';
import type { Caller } from './support/server.js';
import { USER_PASSWORD, useTestServer } from './support/test-server.js';
import { upgradeRequest } from './support/upgrade.js';
import { runningEnvironment, waitFor, waitForStatus } from './support/wait.js';

const { server, admin, users, ids } = useTestServer({ users: ['ada', 'bob'] });
const { ada, bob } = users;
let fake: FakeOpenAi;
let base: string;
let adaEnv: Environment;
let bobEnv: Environment;
const cookies: Record<string, string> = {};

async function cookieFor(username: string, at = base): Promise<string> {
  const res = await fetch(`${at}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: at }, body: JSON.stringify({ username, password: USER_PASSWORD }) });
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

const socketPath = (envId: string) => `/api/v1/environments/${envId}/assistant`;

/** Opens an assistant socket and waits for its `connected` event. */
async function connect(envId: string, username: 'ada' | 'bob' = 'ada', at = base): Promise<AssistantClient> {
  const client = AssistantClient.open(`${at.replace('http', 'ws')}${socketPath(envId)}`, { cookie: cookies[username]! });
  await client.opened;
  await client.next('connected');
  // The list and the current conversation follow the greeting.
  await client.next('conversation');
  return client;
}

const setFlag = (name: string, value: string) => admin.api.call('config.set', { params: { name }, body: { value } });

async function sh(caller: Caller, envId: string, command: string): Promise<string> {
  const result = await caller.api.call('environments.exec', { params: { id: envId }, body: { command, timeoutMs: 10_000 } });
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
}

const textOf = (events: AssistantServerEvent[]) => events.flatMap((e) => (e.type === 'text' ? [e.content] : [])).join('');
const errorsOf = (events: AssistantServerEvent[]) => events.filter((e) => e.type === 'error');

beforeAll(async () => {
  fake = await startFakeOpenAi();
  base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  cookies.ada = await cookieFor('ada');
  cookies.bob = await cookieFor('bob');
  [adaEnv, bobEnv] = await Promise.all([runningEnvironment(ada), runningEnvironment(bob)]);
});
afterAll(() => fake?.close());

describe('the assistant socket before a provider is configured', () => {
  it('says the assistant is not configured when it connects and when asked, and counts nothing', async () => {
    const client = AssistantClient.open(`${base.replace('http', 'ws')}${socketPath(adaEnv.id)}`, { cookie: cookies.ada! });
    await client.opened;
    const connected = await client.next('connected');
    expect(connected).toMatchObject({ usesPerDay: 5, usesLeftToday: 5, conversationId: null });
    expect(await client.next('error')).toMatchObject({ code: 'assistant_unavailable' });
    const events = await client.turn('hello?');
    expect(errorsOf(events)).toEqual([expect.objectContaining({ code: 'assistant_unavailable' })]);
    expect(events.at(-1)).toMatchObject({ type: 'done', stopped: false, reason: 'error' });
    expect(fake.requests).toHaveLength(0);
    await client.close();
  });
});

describe('the assistant socket', () => {
  beforeAll(async () => {
    await setFlag('ai_api_url', fake.url);
    await setFlag('ai_api_key', 'test-key');
    await setFlag('ai_model', 'fake-model');
    // Enough requests for this file's turns; the limit has a test of its own.
    await admin.api.call('users.setQuota', { params: { id: ids.ada }, body: { aiUsesPerDay: 100 } });
  });

  it('refuses another user\'s environment before the upgrade with 404', async () => {
    const answer = await upgradeRequest(base, socketPath(adaEnv.id), { cookie: cookies.bob! });
    expect(answer).toMatchObject({ status: 404, upgraded: false });
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'not_found' });
  });

  it('refuses a read-scope token before the upgrade with 403 token_scope', async () => {
    const token = await ada.api.call('tokens.create', { body: { name: 'reader', scope: 'read' } });
    const answer = await upgradeRequest(base, socketPath(adaEnv.id), { authorization: `Bearer ${token.token}` });
    expect(answer).toMatchObject({ status: 403, upgraded: false });
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'token_scope' });
  });

  it('runs a turn that reads a file, edits it, runs bash to test it and answers, streaming every step', async () => {
    await sh(ada, adaEnv.id, "printf 'echo hello\\n' > /workspace/greet.sh");
    fake.script(
      { toolCalls: [{ id: 'call_read', name: 'read', args: ['{"path":', '"greet.sh"}'] }], usage: { prompt: 100, completion: 10 } },
      { toolCalls: [{ id: 'call_edit', name: 'edit', args: ['{"path":"greet.sh","old_text":"hello",', '"new_text":"hello, world"}'] }], usage: { prompt: 150, completion: 20 } },
      { toolCalls: [{ id: 'call_bash', name: 'bash', args: ['{"command":"sh greet.sh"}'] }], usage: { prompt: 200, completion: 5 } },
      { text: ['It now ', 'prints "hello, world".'], usage: { prompt: 250, completion: 15 } },
    );
    const from = fake.requests.length;
    const client = await connect(adaEnv.id);
    const events = await client.turn('Make greet.sh greet the world');

    expect(errorsOf(events)).toEqual([]);
    expect(events.filter((e) => e.type === 'tool_call').map((e) => e.type === 'tool_call' && [e.id, e.name])).toEqual([
      ['call_read', 'read'],
      ['call_edit', 'edit'],
      ['call_bash', 'bash'],
    ]);
    const results = events.flatMap((e) => (e.type === 'tool_result' ? [e] : []));
    expect(results[0]!.output).toMatch(/1\techo hello$/);
    expect(results[1]!.output).toBe('Edited greet.sh');
    expect(results[2]!.output).toMatch(/exit code 0[\s\S]*hello, world/);
    expect(results.every((r) => !r.truncated)).toBe(true);
    // The text comes bracketed, after the tools.
    const kinds = events.map((e) => e.type);
    expect(kinds.indexOf('start_text')).toBeGreaterThan(kinds.lastIndexOf('tool_result'));
    expect(kinds.indexOf('finish_text')).toBeGreaterThan(kinds.indexOf('start_text'));
    expect(textOf(events)).toBe('It now prints "hello, world".');
    expect(events.find((e) => e.type === 'usage')).toMatchObject({ promptTokens: 700, completionTokens: 50, costUsd: 0 });
    expect(events.at(-1)).toEqual({ type: 'done', stopped: false });

    // The file changed inside the environment, through the files service.
    expect(await sh(ada, adaEnv.id, 'cat /workspace/greet.sh')).toBe('echo hello, world\n');

    // What the provider was sent: the real streaming request, and each tool result back.
    const sent = fake.requests.slice(from);
    expect(sent).toHaveLength(4);
    expect(sent[0]).toMatchObject({ authorization: 'Bearer test-key', body: { model: 'fake-model', stream: true, stream_options: { include_usage: true } } });
    expect(sent[0]!.body.tools!.map((t) => t.function.name).sort()).toEqual(['bash', 'edit', 'glob', 'grep', 'list', 'ports', 'preview_url', 'process', 'read', 'write']);
    const last = sent[3]!.body.messages;
    expect(last.filter((m) => m.role === 'tool').map((m) => m.tool_call_id)).toEqual(['call_read', 'call_edit', 'call_bash']);
    expect(last.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_bash', content: expect.stringMatching(/hello, world/) });
    expect(last.find((m) => m.role === 'user')).toMatchObject({ content: 'Make greet.sh greet the world' });
    await client.close();

    // Each change was audited as the user's own.
    const audit = await admin.api.call('audit.list', { query: { actor: ids.ada, limit: 200 } });
    const actions = audit.items.filter((e) => e.actorUsername === 'ada').map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['assistant.turn', 'file.write', 'environment.exec']));
  });

  it('binds the tools to the socket\'s environment: no tool names one, and a call naming another reads this one', async () => {
    await sh(ada, adaEnv.id, 'echo ada-note > /workspace/note.txt');
    await sh(bob, bobEnv.id, 'echo bob-secret > /workspace/note.txt');
    fake.script(
      { toolCalls: [{ id: 'call_x', name: 'read', args: [JSON.stringify({ path: 'note.txt', environmentId: bobEnv.id, id: bobEnv.id })] }] },
      { text: ['done'] },
    );
    const from = fake.requests.length;
    const client = await connect(adaEnv.id);
    const events = await client.turn('read the note');
    const result = events.find((e) => e.type === 'tool_result');
    expect(result).toMatchObject({ output: expect.stringContaining('ada-note') });
    expect(JSON.stringify(events)).not.toContain('bob-secret');
    for (const tool of fake.requests[from]!.body.tools as unknown as { function: { parameters: { properties: Record<string, unknown> } } }[]) {
      expect(Object.keys(tool.function.parameters.properties).join(' ')).not.toMatch(/env|sandbox|id\b/i);
    }
    await client.close();
  });

  it('answers a message that is not valid with validation_failed and does nothing', async () => {
    const client = await connect(adaEnv.id);
    const requests = fake.requests.length;
    const from = client.events.length;
    client.send('not json');
    client.send({ action: 'explode' });
    client.send({ text: '' });
    client.send({ text: 'hi', extra: true });
    await waitFor('four errors', async () => client.all('error', from).length === 4);
    expect(client.all('error', from).map((e) => e.code)).toEqual(Array(4).fill('validation_failed'));
    // Still answering, and nothing else happened.
    client.send({ action: 'list' });
    await client.next('conversations', from);
    expect(client.events.slice(from).map((e) => e.type)).toEqual(['error', 'error', 'error', 'error', 'conversations']);
    expect(fake.requests.length).toBe(requests);
    await client.close();
  });

  it('closes the socket with 1009 on a message larger than a request body may be, and runs no turn', async () => {
    const client = await connect(adaEnv.id);
    const requests = fake.requests.length;
    await client.next('conversations');
    client.send({ text: 'x'.repeat(server.config.bodyLimitBytes + 1) });
    expect(await client.closed).toBe(1009);
    expect(fake.requests.length).toBe(requests);
    // The user's next socket works.
    const next = await connect(adaEnv.id);
    await next.next('connected');
    await next.close();
  });

  it('keeps several conversations: new, list, switch, delete and /clear', async () => {
    const client = await connect(adaEnv.id);
    let from = client.events.length;
    client.send({ action: 'new' });
    const fresh = await client.next('conversation', from);
    expect(fresh).toMatchObject({ messages: [], conversation: { title: '' } });
    const freshId = fresh.conversation!.id;

    fake.script({ text: ['Hi there'] });
    await client.turn('First words of a new conversation');
    from = client.events.length;
    client.send({ action: 'list' });
    const list = await client.next('conversations', from);
    expect(list.currentId).toBe(freshId);
    expect(list.items.length).toBeGreaterThanOrEqual(2);
    expect(list.items.find((c) => c.id === freshId)?.title).toBe('First words of a new conversation');
    const other = list.items.find((c) => c.id !== freshId)!;

    from = client.events.length;
    client.send({ action: 'switch', conversationId: other.id });
    const switched = await client.next('conversation', from);
    expect(switched.conversation!.id).toBe(other.id);
    expect(switched.messages.length).toBeGreaterThan(0);

    from = client.events.length;
    client.send({ action: 'switch', conversationId: freshId });
    await client.next('conversation', from);
    from = client.events.length;
    client.send({ text: '/clear' });
    expect(await client.next('conversation', from)).toMatchObject({ conversation: { id: freshId }, messages: [] });

    from = client.events.length;
    client.send({ action: 'delete' });
    const afterDelete = await client.next('conversations', from);
    expect(afterDelete.items.map((c) => c.id)).not.toContain(freshId);
    expect(afterDelete.currentId).not.toBe(freshId);
    await client.close();
  });

  it('refuses an unknown conversation, and another user\'s, as not found', async () => {
    fake.script({ text: ['bob here'] });
    const bobs = await connect(bobEnv.id, 'bob');
    await bobs.turn('hello');
    const bobConversation = bobs.all('conversations').at(-1)!.currentId!;
    await bobs.close();

    const client = await connect(adaEnv.id);
    for (const conversationId of ['00000000-0000-4000-8000-000000000000', bobConversation]) {
      const from = client.events.length;
      client.send({ action: 'switch', conversationId });
      expect(await client.next('error', from)).toMatchObject({ code: 'not_found' });
      client.send({ action: 'delete', conversationId });
      await waitFor('a second refusal', async () => client.all('error', from).length === 2);
      expect(client.all('error', from).map((e) => e.code)).toEqual(['not_found', 'not_found']);
    }
    await client.close();
  });

  it('computes the cost from the prices in force at each turn (dollars per 1,000 tokens)', async () => {
    await setFlag('ai_token_input_price', '0.5');
    await setFlag('ai_token_output_price', '1.5');
    const client = await connect(adaEnv.id);
    fake.script({ text: ['priced'], usage: { prompt: 1200, completion: 300 } });
    const first = await client.turn('what does this cost?');
    expect(first.find((e) => e.type === 'usage')).toMatchObject({ promptTokens: 1200, completionTokens: 300, costUsd: 1.05 });

    // A later price change does not reprice what was used.
    await setFlag('ai_token_input_price', '2');
    await setFlag('ai_token_output_price', '0');
    fake.script({ text: ['priced again'], usage: { prompt: 1000, completion: 1000 } });
    const second = await client.turn('and now?');
    expect(second.find((e) => e.type === 'usage')).toMatchObject({ costUsd: 2 });
    await client.close();

    const usage = await admin.api.call('assistant.usage', { query: { days: 1 } });
    const mine = usage.items.find((r) => r.userId === ids.ada)!;
    expect(mine.costUsd).toBeCloseTo(3.05, 8);
    await setFlag('ai_token_input_price', '0');
    await setFlag('ai_token_output_price', '0');
  });

  it('stops a turn mid-stream: the provider stream is aborted and the turn ends with a final event', async () => {
    fake.script({ text: ['Let me think'], hang: true });
    const client = await connect(adaEnv.id);
    const from = client.events.length;
    client.send({ text: 'take your time' });
    await client.next('text', from);
    await waitFor('the provider stream to be open', async () => fake.hanging === 1);
    client.send({ action: 'stop' });
    expect(await client.next('done', from)).toMatchObject({ stopped: true, reason: 'stopped' });
    await waitFor('the provider stream to be closed', async () => fake.hanging === 0);
    expect(client.all('error', from)).toEqual([]);
    // What was said before the stop is kept.
    const switched = client.events.length;
    client.send({ action: 'switch', conversationId: client.all('conversations').at(-1)!.currentId! });
    const conversation = await client.next('conversation', switched);
    expect(conversation.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'Let me think' });
    await client.close();
  });

  it('stops a running foreground command, and the conversation goes on', async () => {
    fake.script({ toolCalls: [{ id: 'call_sleep', name: 'bash', args: ['{"command":"sleep 300; echo assistant-late"}'] }] });
    const client = await connect(adaEnv.id);
    const from = client.events.length;
    client.send({ text: 'wait a long time' });
    await client.next('tool_call', from);
    await waitFor('the command to run', async () => (await sh(ada, adaEnv.id, 'ps')).includes('sleep 300'));
    client.send({ action: 'stop' });
    expect(await client.next('done', from)).toMatchObject({ stopped: true });
    await waitFor('the command to be gone', async () => !(await sh(ada, adaEnv.id, 'ps')).includes('sleep 300'));

    // The stopped call has its answer in the history: the next turn's request is a valid one.
    fake.script({ text: ['ok'] });
    const requests = fake.requests.length;
    await client.turn('never mind');
    const messages = fake.requests[requests]!.body.messages;
    expect(messages.find((m) => m.role === 'tool' && m.tool_call_id === 'call_sleep')).toBeDefined();
    await client.close();
  });

  it('runs a background command and reports on it and kills it with the process tool', async () => {
    /** The handle the background start answered, from the tool result the provider was sent. */
    const handle = (request: FakeRequest) => /handle (\d+)/.exec(request.body.messages.find((m) => m.tool_call_id === 'call_bg')!.content!)![1]!;
    fake.script(
      { toolCalls: [{ id: 'call_bg', name: 'bash', args: ['{"command":"sleep 301","background":true}'] }] },
      (request) => ({ toolCalls: [{ id: 'call_status', name: 'process', args: [`{"action":"status","handle":${handle(request)}}`] }] }),
      (request) => ({ toolCalls: [{ id: 'call_kill', name: 'process', args: [`{"action":"kill","handle":${handle(request)}}`] }] }),
      { text: ['stopped it'] },
    );
    const client = await connect(adaEnv.id);
    const events = await client.turn('start something and stop it');
    const outputs = events.flatMap((e) => (e.type === 'tool_result' ? [e.output] : []));
    expect(outputs[0]).toMatch(/^Started in the background with handle \d+$/);
    expect(outputs[1]).toBe('running');
    expect(outputs[2]).toMatch(/^Killed \d+$/);
    await waitFor('the background command to be gone', async () => !(await sh(ada, adaEnv.id, 'ps')).includes('sleep 301'));
    await client.close();
  });

  it('answers a provider that is down, or failing, with an assistant_provider_error event and does not count the turn', async () => {
    const client = await connect(adaEnv.id);
    const before = client.all('connected')[0]!.usesLeftToday;
    fake.script({ status: 500 });
    const failed = await client.turn('are you there?');
    expect(errorsOf(failed)).toEqual([expect.objectContaining({ code: 'assistant_provider_error', message: expect.stringMatching(/500/) })]);
    expect(failed.at(-1)).toMatchObject({ type: 'done', stopped: false, reason: 'error' });

    await setFlag('ai_api_url', 'http://127.0.0.1:9/v1');
    const down = await client.turn('and now?');
    expect(errorsOf(down)).toEqual([expect.objectContaining({ code: 'assistant_provider_error', message: expect.stringMatching(/could not be reached/) })]);
    await setFlag('ai_api_url', fake.url);
    await client.close();

    const again = await connect(adaEnv.id);
    expect(again.all('connected')[0]!.usesLeftToday).toBe(before);
    await again.close();
  });

  it('refuses a turn past the daily limit with assistant_limit, and deleting an environment gives no requests back', async () => {
    const other = await runningEnvironment(bob);
    fake.script({ text: ['one'] });
    const onOther = await connect(other.id, 'bob');
    const usedBefore = onOther.all('connected')[0]!;
    await onOther.turn('use one');
    await onOther.close();
    await bob.api.call('environments.delete', { params: { id: other.id } });

    const client = await connect(bobEnv.id, 'bob');
    const connected = client.all('connected')[0]!;
    expect(connected.usesLeftToday).toBe(usedBefore.usesLeftToday - 1);

    // Exactly one more today.
    const used = connected.usesPerDay - connected.usesLeftToday;
    await admin.api.call('users.setQuota', { params: { id: ids.bob }, body: { aiUsesPerDay: used + 1 } });
    fake.script({ text: ['last one'] });
    const last = await client.turn('one more');
    expect(last.find((e) => e.type === 'usage')).toMatchObject({ usesLeftToday: 0 });
    const requests = fake.requests.length;
    const refused = await client.turn('and another');
    expect(errorsOf(refused)).toEqual([expect.objectContaining({ code: 'assistant_limit' })]);
    expect(fake.requests.length).toBe(requests);
    await client.close();
    await admin.api.call('users.setQuota', { params: { id: ids.bob }, body: { aiUsesPerDay: 100 } });
  });

  it('keeps conversations across a restart: a new server on the same database has them', async () => {
    fake.script({ text: ['remember me'] });
    const client = await connect(adaEnv.id);
    await client.turn('a message to keep');
    const conversationId = client.all('conversations').at(-1)!.currentId!;
    await client.close();

    const next = await createBerth(server.config, { database: server.database, without: ['resync', 'idle', 'e2bExpiry', 'orgReconciler'] });
    try {
      const url = await next.start({ host: '127.0.0.1', port: 0 });
      const again = await connect(adaEnv.id, 'ada', url);
      const from = again.events.length;
      again.send({ action: 'switch', conversationId });
      const conversation = await again.next('conversation', from);
      expect(conversation.messages.map((m) => [m.role, m.content])).toEqual(expect.arrayContaining([
        ['user', 'a message to keep'],
        ['assistant', 'remember me'],
      ]));
      await again.close();
    } finally {
      await next.stop();
    }
  });
});

describe('assistant limits and usage in an organization', () => {
  let acmeEnv: Environment;
  beforeAll(async () => {
    await makeOrg(ada, 'acme', [{ username: 'bob', caller: bob, role: 'member' }]);
    const created = await inOrg(bob, 'acme').post('/api/v1/environments', { type: 'small' });
    expect(created.statusCode, created.body).toBe(202);
    acmeEnv = await waitForStatus(inOrg(bob, 'acme'), created.json<Environment>().id, 'running');
  });

  it('takes the organization\'s default, and a member\'s own limit over it', async () => {
    const quota = await ada.api.call('orgs.setQuota', { params: { org: 'acme' }, body: { assistantUsesPerDay: 3 } });
    expect(quota.assistantUsesPerDay).toBe(3);
    let client = await connect(acmeEnv.id, 'bob');
    expect(client.all('connected')[0]).toMatchObject({ usesPerDay: 3, usesLeftToday: 3 });
    await client.close();

    expect(await ada.api.call('orgs.setMemberAssistant', { params: { org: 'acme', username: 'bob' }, body: { usesPerDay: 1 } })).toEqual({ username: 'bob', usesPerDay: 1 });
    client = await connect(acmeEnv.id, 'bob');
    expect(client.all('connected')[0]).toMatchObject({ usesPerDay: 1, usesLeftToday: 1 });
    fake.script({ text: ['org answer'], usage: { prompt: 10, completion: 20 } });
    await client.turn('in acme');
    const refused = await client.turn('again in acme');
    expect(errorsOf(refused)).toEqual([expect.objectContaining({ code: 'assistant_limit' })]);
    await client.close();

    await ada.api.call('orgs.setMemberAssistant', { params: { org: 'acme', username: 'bob' }, body: { usesPerDay: null } });
    client = await connect(acmeEnv.id, 'bob');
    expect(client.all('connected')[0]).toMatchObject({ usesPerDay: 3, usesLeftToday: 2 });
    await client.close();

    // A member may not set limits.
    const res = await bob.put('/api/v1/orgs/acme/members/bob/assistant', { usesPerDay: 50 });
    expect(res.statusCode).toBe(403);
  });

  it('shows usage per user and day: every organization to admins, its own to an org admin, nothing to a member', async () => {
    const all = await admin.api.call('assistant.usage', { query: { days: 7 } });
    const today = new Date().toISOString().slice(0, 10);
    expect(all.items.map((r) => r.username)).toEqual(expect.arrayContaining(['ada', 'bob']));
    expect(all.items.every((r) => r.day === today)).toBe(true);

    const acme = await ada.api.call('orgs.assistantUsage', { params: { org: 'acme' }, query: { days: 7 } });
    expect(acme.items).toEqual([{ day: today, userId: ids.bob, username: 'bob', requests: 1, promptTokens: 10, completionTokens: 20, costUsd: 0 }]);

    expect((await bob.get('/api/v1/orgs/acme/assistant/usage')).statusCode).toBe(403);
    expect((await bob.get('/api/v1/assistant/usage')).statusCode).toBe(403);
    expect((await admin.get('/api/v1/assistant/usage?days=0')).statusCode).toBe(400);
  });
});
