import http from 'node:http';
import type { PreviewGrant } from '@berth/contracts';
import { Sandbox } from 'e2b';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentUser, startE2bServer, type AgentUser } from './support/e2b.js';
import type { TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

/**
 * The unmodified `e2b` SDK's getHost(port) names Berth's preview of that port,
 * `<port>-<sandbox id>.<preview domain>`, and that host serves it through Berth.
 */
let server: TestServer;
let url: string;
let agent: AgentUser;

beforeAll(async () => {
  const started = await startE2bServer();
  ({ server, url } = started);
  agent = await agentUser(server, started.admin, 'agent');
});
afterAll(() => server?.close());

/** A request to Berth's address with a preview Host, as a browser resolving *.localhost to loopback sends it. */
function get(host: string, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: new URL(url).port, path, method, headers: { host, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe("the SDK's getHost", () => {
  it("returns Berth's preview host of the port, on create and on connect, and it serves the sandbox's server through Berth", async () => {
    const opts = { apiKey: agent.apiKey, apiUrl: url, sandboxUrl: url };
    const sbx = await Sandbox.create(opts);
    try {
      const host = sbx.getHost(8000);
      expect(host).toBe(`8000-${sbx.sandboxId}.localhost:${new URL(url).port}`);
      expect((await Sandbox.connect(sbx.sandboxId, opts)).getHost(8000)).toBe(host);

      await sbx.commands.run('mkdir -p /tmp/site && echo hello-from-the-sandbox > /tmp/site/index.html && httpd -p 8000 -h /tmp/site');
      // Owner-only by default: the agent opens it with a grant minted with its API key.
      expect((await get(host, '/index.html')).status).toBe(401);
      const minted = await fetch(`${url}/api/v1/environments/${sbx.sandboxId}/ports/8000/grant`, { method: 'POST', headers: { authorization: `Bearer ${agent.apiKey}` } });
      expect(minted.status).toBe(201);
      const grant = (await minted.json()) as PreviewGrant;
      expect(grant.action).toBe(`http://${host}/__berth/grant`);
      const exchanged = await get(host, '/__berth/grant', { 'content-type': 'application/x-www-form-urlencoded' }, 'POST', new URLSearchParams({ grant: grant.grant, path: '/index.html' }).toString());
      expect(exchanged.status).toBe(303);
      const cookie = String(exchanged.headers['set-cookie']).split(';')[0]!;
      const page = await waitFor('the server in the sandbox to answer', async () => {
        const res = await get(host, '/index.html', { cookie });
        return res.status === 200 ? res : undefined;
      });
      expect(page.body).toBe('hello-from-the-sandbox\n');
    } finally {
      await sbx.kill();
    }
  }, 90_000);
});
