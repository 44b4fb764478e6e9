import type { CreatedInvitation, Organization } from '@berth/contracts';
import { expect } from 'vitest';
import type { Caller } from './server.js';
import { waitFor } from './wait.js';

/** A caller acting in an organization: the Berth-Org header on every request. */
export function inOrg(caller: Caller, org: string): Caller {
  const h = (headers?: Record<string, string>) => ({ 'berth-org': org, ...headers });
  return {
    request: (method, url, body, headers) => caller.request(method, url, body, h(headers)),
    get: (url, headers) => caller.get(url, h(headers)),
    post: (url, body, headers) => caller.post(url, body, h(headers)),
    put: (url, body, headers) => caller.put(url, body, h(headers)),
    patch: (url, body, headers) => caller.patch(url, body, h(headers)),
    delete: (url, headers) => caller.delete(url, h(headers)),
  };
}

/** Makes an organization owned by `owner`, waits until it is active, and has each of `members` accept an invitation. */
export async function makeOrg(owner: Caller, slug: string, members: { username: string; caller: Caller; role: 'admin' | 'member' | 'viewer' }[] = []): Promise<void> {
  const made = await owner.post('/api/v1/orgs', { slug, name: slug });
  expect(made.statusCode, made.body).toBe(202);
  await waitFor(`${slug} to be provisioned`, async () => (await owner.get(`/api/v1/orgs/${slug}`)).json<Organization>().status === 'active');
  for (const m of members) {
    const invited = await owner.post(`/api/v1/orgs/${slug}/invitations`, { username: m.username, role: m.role });
    expect(invited.statusCode, invited.body).toBe(201);
    const accepted = await m.caller.post(`/api/v1/invitations/${invited.json<CreatedInvitation>().id}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
  }
}
