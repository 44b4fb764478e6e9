import type { AssistantConversation, AssistantMessage, AssistantServerEvent } from '@berth/contracts';

/** One entry of the chat log: a user message, a piece of answer text, a tool call with its output. */
export type ChatItem =
  | { kind: 'user'; key: number; text: string }
  | { kind: 'answer'; key: number; text: string; streaming: boolean }
  | { kind: 'tool'; key: number; id: string; name: string; args: string; output?: string; truncated: boolean };

export type AssistantLink = 'connecting' | 'live' | 'reconnecting' | 'gone';

export interface AssistantState {
  link: AssistantLink;
  model: string;
  usesLeftToday: number | null;
  usesPerDay: number | null;
  conversations: AssistantConversation[];
  currentId: string | null;
  items: ChatItem[];
  /** A turn is on its way: the Stop button shows. */
  running: boolean;
  /** The last refusal or failure, until the next message. */
  problem: { code: string; message: string } | null;
  nextKey: number;
}

export type AssistantAction =
  | { type: 'event'; event: AssistantServerEvent }
  | { type: 'link'; link: AssistantLink }
  | { type: 'sent'; text: string };

export const initialAssistantState: AssistantState = {
  link: 'connecting',
  model: '',
  usesLeftToday: null,
  usesPerDay: null,
  conversations: [],
  currentId: null,
  items: [],
  running: false,
  problem: null,
  nextKey: 1,
};

/** Stored messages as the log shows them: tool results join the call they answer. */
function itemsOf(messages: AssistantMessage[], firstKey: number): ChatItem[] {
  let key = firstKey;
  const items: ChatItem[] = [];
  for (const m of messages) {
    if (m.role === 'user') items.push({ kind: 'user', key: key++, text: m.content });
    else if (m.role === 'assistant') {
      if (m.content) items.push({ kind: 'answer', key: key++, text: m.content, streaming: false });
      for (const call of m.toolCalls ?? []) items.push({ kind: 'tool', key: key++, id: call.id, name: call.name, args: call.args, truncated: false });
    } else {
      const call = items.find((i): i is Extract<ChatItem, { kind: 'tool' }> => i.kind === 'tool' && i.id === m.toolCallId);
      if (call) call.output = m.content;
    }
  }
  return items;
}

type Unkeyed<T> = T extends ChatItem ? Omit<T, 'key'> : never;

function append(state: AssistantState, item: Unkeyed<ChatItem>): AssistantState {
  return { ...state, items: [...state.items, { ...item, key: state.nextKey } as ChatItem], nextKey: state.nextKey + 1 };
}

/** Adds streamed text to the answer being written, or starts one. */
function addText(state: AssistantState, content: string): AssistantState {
  const last = state.items.at(-1);
  if (last?.kind === 'answer' && last.streaming) return { ...state, items: [...state.items.slice(0, -1), { ...last, text: last.text + content }] };
  return append(state, { kind: 'answer', text: content, streaming: true });
}

function onEvent(state: AssistantState, event: AssistantServerEvent): AssistantState {
  switch (event.type) {
    case 'connected':
      return { ...state, link: 'live', model: event.model, usesLeftToday: event.usesLeftToday, usesPerDay: event.usesPerDay, currentId: event.conversationId, running: false, problem: null };
    case 'conversations':
      return { ...state, conversations: event.items, currentId: event.currentId };
    case 'conversation': {
      const items = itemsOf(event.messages, state.nextKey);
      return { ...state, currentId: event.conversation?.id ?? null, items, nextKey: state.nextKey + items.length };
    }
    case 'start_text':
      return append(state, { kind: 'answer', text: '', streaming: true });
    case 'text':
      return addText(state, event.content);
    case 'finish_text':
      return { ...state, items: state.items.map((i) => (i.kind === 'answer' && i.streaming ? { ...i, streaming: false } : i)) };
    case 'tool_call':
      return append(state, { kind: 'tool', id: event.id, name: event.name, args: event.args, truncated: false });
    case 'tool_result':
      return { ...state, items: state.items.map((i) => (i.kind === 'tool' && i.id === event.id ? { ...i, output: event.output, truncated: event.truncated } : i)) };
    case 'usage':
      return { ...state, usesLeftToday: event.usesLeftToday };
    case 'done':
      return { ...state, running: false, items: state.items.map((i) => (i.kind === 'answer' && i.streaming ? { ...i, streaming: false } : i)) };
    case 'error':
      return { ...state, problem: { code: event.code, message: event.message } };
  }
}

export function assistantReducer(state: AssistantState, action: AssistantAction): AssistantState {
  switch (action.type) {
    case 'event':
      return onEvent(state, action.event);
    case 'link':
      // A dropped connection ends whatever turn it carried; the next greeting says where things stand.
      return { ...state, link: action.link, running: action.link === 'live' ? state.running : false };
    case 'sent':
      return { ...append(state, { kind: 'user', text: action.text }), running: true, problem: null };
  }
}

/** What the log says for a refusal or failure: the codes a user can act on, in plain words. */
export function describeAssistantProblem(problem: { code: string; message: string }): string {
  switch (problem.code) {
    case 'assistant_unavailable':
      return 'The assistant is not configured on this server: an administrator sets ai_api_url and ai_api_key in the admin console.';
    case 'assistant_limit':
      return 'You have used all your assistant requests for today. More are available after midnight UTC.';
    case 'assistant_provider_error':
      return `The AI provider failed: ${problem.message}`;
    default:
      return problem.message;
  }
}

export type AnswerPart = { kind: 'prose'; text: string } | { kind: 'code'; lang: string; text: string };

/** Splits answer text at fenced code blocks (```lang … ```); a fence still open while streaming is code up to the end. */
export function splitFences(text: string): AnswerPart[] {
  const parts: AnswerPart[] = [];
  const fence = /```([^\n`]*)\n([\s\S]*?)(?:\n?```|$)/g;
  let at = 0;
  for (const match of text.matchAll(fence)) {
    if (match.index > at) parts.push({ kind: 'prose', text: text.slice(at, match.index) });
    parts.push({ kind: 'code', lang: match[1]!.trim(), text: match[2]! });
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push({ kind: 'prose', text: text.slice(at) });
  return parts;
}
