import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer of the fake provider to one chat-completions request. */
export interface FakeReply {
  /** Text, streamed in these pieces. */
  text?: string[];
  /** Tool calls, each streamed as its name and then its arguments in pieces. */
  toolCalls?: { id: string; name: string; args: string[] }[];
  usage?: { prompt: number; completion: number };
  /** Answer with this HTTP status and an OpenAI-style error body instead. */
  status?: number;
  /** After the text, keep the stream open until the client goes (to be stopped). */
  hang?: boolean;
}

/** A request the fake received, its body parsed. */
export interface FakeRequest {
  authorization: string | undefined;
  body: {
    model: string;
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
    messages: { role: string; content: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
    tools?: { function: { name: string } }[];
  };
}

export interface FakeOpenAi {
  /** The base URL to configure as ai_api_url (…/v1). */
  url: string;
  /** What it received, in order. */
  requests: FakeRequest[];
  /** Streams still held open by `hang` replies whose client has not gone yet. */
  hanging: number;
  /** Queues replies, answered in order (a function answers from the request); a request with nothing queued is answered 500. */
  script(...replies: (FakeReply | ((request: FakeRequest) => FakeReply))[]): void;
  close(): Promise<void>;
}

/**
 * A local OpenAI-compatible server speaking the real streaming protocol of
 * POST /v1/chat/completions: server-sent events of `chat.completion.chunk`
 * objects (`data: {…}\n\n`), text in `delta.content`, tool calls in
 * `delta.tool_calls` pieces by index, a last chunk with `usage` when asked
 * (stream_options.include_usage), then `data: [DONE]`.
 */
export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const queue: (FakeReply | ((request: FakeRequest) => FakeReply))[] = [];
  const fake: FakeOpenAi = {
    url: '',
    requests: [],
    hanging: 0,
    script: (...replies) => void queue.push(...replies),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString()) as FakeRequest['body'];
      const request: FakeRequest = { authorization: req.headers.authorization, body };
      fake.requests.push(request);
      const next = queue.shift() ?? { status: 500 };
      const reply = typeof next === 'function' ? next(request) : next;
      if (reply.status) {
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `scripted failure ${reply.status}`, type: 'server_error' } }));
        return;
      }
      stream(res, body, reply);
    });
  });

  function stream(res: http.ServerResponse, body: FakeRequest['body'], reply: FakeReply): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const id = `chatcmpl-${fake.requests.length}`;
    const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`);
    chunk({ role: 'assistant', content: '' });
    for (const piece of reply.text ?? []) chunk({ content: piece });
    if (reply.hang) {
      fake.hanging++;
      res.on('close', () => fake.hanging--);
      return;
    }
    (reply.toolCalls ?? []).forEach((call, index) => {
      chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
      for (const piece of call.args) chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
    });
    chunk({}, reply.toolCalls?.length ? 'tool_calls' : 'stop');
    if (body.stream_options?.include_usage) {
      const usage = reply.usage ?? { prompt: 0, completion: 0 };
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: body.model, choices: [], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}
