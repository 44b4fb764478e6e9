import { createClient } from '@berth/client';
import { ORIGIN, type Caller } from './server.js';
import { waitFor } from './wait.js';

/** A caller acting in an organization: the Berth-Org header on every request. */
export function inOrg(caller: Caller, org: string): Caller {
  const h = (headers?: Record<string, string>) => ({ 'berth-org': org, ...headers });
  const inject: typeof fetch = (input, init = {}) => caller.fetch(input, { ...init, headers: h(Object.fromEntries(new Headers(init.headers).entries())) });
  return {
    request: (method, url, body, headers) => caller.request(method, url, body, h(headers)),
    get: (url, headers) => caller.get(url, h(headers)),
    post: (url, body, headers) => caller.post(url, body, h(headers)),
    put: (url, body, headers) => caller.put(url, body, h(headers)),
    patch: (url, body, headers) => caller.patch(url, body, h(headers)),
    delete: (url, headers) => caller.delete(url, h(headers)),
    api: createClient({ baseUrl: ORIGIN, fetch: inject }),
    fetch: inject,
  };
}

/** Makes an organization owned by `owner`, waits until it is active, and has each of `members` accept an invitation. */
export async function makeOrg(owner: Caller, slug: string, members: { username: string; caller: Caller; role: 'admin' | 'member' | 'viewer' }[] = []): Promise<void> {
  await owner.api.call('orgs.create', { body: { slug, name: slug } });
  await waitFor(`${slug} to be provisioned`, async () => (await owner.api.call('orgs.get', { params: { org: slug } })).status === 'active');
  for (const m of members) {
    const invited = await owner.api.call('orgs.invite', { params: { org: slug }, body: { username: m.username, role: m.role } });
    await m.caller.api.call('invitations.accept', { params: { id: invited.id } });
  }
}
