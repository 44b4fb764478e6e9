import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '@berth/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from './support/test-server.js';
import { expectProblem } from './support/problem.js';

interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

const PASSWORD = 'a-long-enough-password';

const { server, admin, users: { member }, ids } = useTestServer({ users: ['member'] });
beforeAll(async () => {
  // Enough varied history to filter and page through.
  for (const name of ['one', 'two', 'three']) await member.post('/api/v1/tokens', { name });
  await admin.post('/api/v1/tokens', { name: 'admin-token' });
  for (const username of ['alice', 'bob']) await server.createUser(username, PASSWORD);
  await admin.put('/api/v1/config/default_credits', { value: '4' });
});

async function page(query: string): Promise<AuditPage> {
  const res = await admin.get(`/api/v1/audit${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<AuditPage>();
}

/** Every entry, in one page (the log here stays far below the 500 maximum). */
async function everything(query = ''): Promise<AuditEntry[]> {
  const all = await page(`?limit=500${query}`);
  expect(all.nextCursor).toBeNull();
  return all.items;
}

describe('GET /api/v1/audit', () => {
  it('lists entries newest first', async () => {
    await member.post('/api/v1/tokens', { name: 'the-newest' });

    const items = await everything();
    expect(items.length).toBeGreaterThan(10);
    expect(items[0]).toMatchObject({ action: 'token.create', metadata: { name: 'the-newest' } });
    for (let i = 1; i < items.length; i++) {
      expect(BigInt(items[i - 1]!.id)).toBeGreaterThan(BigInt(items[i]!.id));
      expect(Date.parse(items[i - 1]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(items[i]!.createdAt));
    }
  });

  it('answers a non-admin with 403 forbidden', async () => {
    expectProblem(await member.get('/api/v1/audit'), 403, 'forbidden');
  });
});

describe('audit filters', () => {
  it.each<[string, (e: AuditEntry) => boolean]>([
    ['actor', (e) => e.actorId === ids.member],
    ['action', (e) => e.action === 'token.create'],
    ['targetType', (e) => e.targetType === 'config'],
    ['targetId', (e) => e.targetId === 'default_credits'],
  ])('%s returns exactly the matching entries, newest first', async (filter, matches) => {
    const values: Record<string, string> = { actor: ids.member, action: 'token.create', targetType: 'config', targetId: 'default_credits' };
    const all = await everything();
    const expected = all.filter(matches);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);

    expect(await everything(`&${filter}=${encodeURIComponent(values[filter]!)}`)).toEqual(expected);
  });

  it('combines filters with AND', async () => {
    const all = await everything();
    const expected = all.filter((e) => e.actorId === ids.member && e.action === 'token.create');
    expect(expected.length).toBeGreaterThan(0);

    expect(await everything(`&actor=${ids.member}&action=token.create`)).toEqual(expected);
  });

  it('returns an empty page when nothing matches', async () => {
    expect(await page(`?actor=${randomUUID()}`)).toEqual({ items: [], nextCursor: null });
  });
});

describe('audit paging', () => {
  async function walk(limit: number, filter = ''): Promise<AuditEntry[][]> {
    const pages: AuditEntry[][] = [];
    let cursor: string | null = null;
    do {
      const next: AuditPage = await page(`?limit=${limit}${filter}${cursor ? `&before=${cursor}` : ''}`);
      expect(next.items.length).toBeLessThanOrEqual(limit);
      pages.push(next.items);
      cursor = next.nextCursor;
      if (cursor !== null) expect(cursor).toBe(next.items.at(-1)?.id);
      expect(pages.length).toBeLessThan(1000); // a cursor that never ends must fail, not hang
    } while (cursor !== null);
    return pages;
  }

  it.each([1, 3, 7, 500])('walks every entry exactly once with limit=%i, ending with nextCursor null', async (limit) => {
    const all = await everything();

    const pages = await walk(limit);
    expect(pages.flat()).toEqual(all);
    expect(pages.slice(0, -1).every((p) => p.length === limit)).toBe(true);
  });

  it('pages through a filtered list without leaving the filter', async () => {
    const expected = await everything('&action=token.create');

    expect((await walk(2, '&action=token.create')).flat()).toEqual(expected);
  });

  describe('when the matching entries fill the last page exactly', () => {
    const TOKENS = 4;
    let filter: string;
    beforeAll(async () => {
      const username = `pager-${randomUUID().slice(0, 8)}`;
      const pagerId = await server.createUser(username, PASSWORD);
      const pager = await server.login(username, PASSWORD);
      for (let i = 0; i < TOKENS; i++) expect((await pager.post('/api/v1/tokens', { name: `pager-${i}` })).statusCode).toBe(201);
      filter = `&actor=${pagerId}&action=token.create`;
    });

    it.each([1, 2, 4])('with limit=%i ends on a full page with nextCursor null, not on an empty one', async (limit) => {
      const expected = await everything(filter);
      expect(expected).toHaveLength(TOKENS);

      const pages = await walk(limit, filter);

      expect(pages.map((p) => p.length)).toEqual(Array.from({ length: TOKENS / limit }, () => limit));
      expect(pages.flat()).toEqual(expected);
    });
  });
});

describe('audit query validation', () => {
  it.each(['0', '1000', 'x', '2.5'])('refuses limit=%s with 400 validation_failed naming query.limit', async (limit) => {
    const problem = expectProblem(await admin.get(`/api/v1/audit?limit=${limit}`), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual(['query.limit']);
  });

  it.each([
    ['before=abc', 'query.before'],
    ['actor=not-a-uuid', 'query.actor'],
  ])('refuses a malformed %s with 400 naming %s', async (query, field) => {
    const problem = expectProblem(await admin.get(`/api/v1/audit?${query}`), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual([field]);
  });

  it('refuses an unknown query parameter with 400 naming it', async () => {
    const problem = expectProblem(await admin.get('/api/v1/audit?actorr=x'), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual(['query.actorr']);
  });
});

describe('what an audit entry records', () => {
  it('records a refused action as an entry with success=false and the error code', async () => {
    const missing = randomUUID();
    expectProblem(await member.delete(`/api/v1/tokens/${missing}`), 404, 'not_found');

    const [entry] = await everything(`&targetId=${missing}`);
    expect(entry).toMatchObject({
      action: 'token.revoke',
      actorId: ids.member,
      actorUsername: 'member',
      targetType: 'token',
      targetId: missing,
      success: false,
      metadata: { code: 'not_found' },
    });
  });

  it('records the client ip and user agent, ignoring X-Forwarded-For from an untrusted peer', async () => {
    const res = await member.post('/api/v1/tokens', { name: 'from-a-browser' }, {
      'user-agent': 'berth-audit-test/1.0',
      'x-forwarded-for': '203.0.113.9',
    });
    expect(res.statusCode, res.body).toBe(201);

    const [entry] = await everything(`&targetId=${res.json<{ id: string }>().id}`);
    expect(entry).toMatchObject({ action: 'token.create', ip: '127.0.0.1', userAgent: 'berth-audit-test/1.0', success: true });
  });
});
