import { useEffect, useRef } from 'react';
import { type ChatItem, splitFences } from './assistant-state.js';

/** The current conversation, kept scrolled to its end as it streams. */
export function AssistantLog({ items, running }: { items: ChatItem[]; running: boolean }) {
  const log = useRef<HTMLOListElement>(null);
  const last = items.at(-1);
  const size = last ? `${items.length}:${last.kind === 'answer' ? last.text.length : last.kind === 'tool' ? (last.output?.length ?? -1) : 0}` : '0';
  useEffect(() => {
    const el = log.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [size]);
  return (
    <ol className="assistant-log" ref={log} role="log" aria-label="Assistant conversation" aria-busy={running || undefined} tabIndex={0}>
      {items.length === 0 && <li className="muted assistant-empty">Ask about this environment: the assistant reads and edits its files and runs commands in it.</li>}
      {items.map((item) => (
        <li key={item.key} className={`assistant-item assistant-${item.kind}`}>
          {item.kind === 'user' ? (
            <p className="assistant-user-text">{item.text}</p>
          ) : item.kind === 'answer' ? (
            <AnswerText text={item.text} />
          ) : (
            <ToolCall item={item} />
          )}
        </li>
      ))}
    </ol>
  );
}

/** Answer text as text (never HTML), its fenced code blocks as <pre><code>. */
function AnswerText({ text }: { text: string }) {
  return (
    <div className="assistant-answer-text">
      {splitFences(text).map((part, i) =>
        part.kind === 'code' ? (
          <pre key={i} className="assistant-code" data-lang={part.lang || undefined}>
            <code>{part.text}</code>
          </pre>
        ) : (
          <p key={i}>{part.text}</p>
        ),
      )}
    </div>
  );
}

/** A tool call, folded to its name and arguments; open, its output (or that it is still running). */
function ToolCall({ item }: { item: Extract<ChatItem, { kind: 'tool' }> }) {
  const done = item.output !== undefined;
  return (
    <details className="assistant-tool" aria-label={`Tool call: ${item.name}`}>
      <summary>
        <span className="assistant-tool-name">{item.name}</span>
        <span className="assistant-tool-args mono">{item.args}</span>
        <span className="assistant-tool-state muted">{done ? (item.truncated ? 'done, truncated' : 'done') : 'running…'}</span>
      </summary>
      <p className="assistant-tool-label">Arguments</p>
      <pre className="assistant-code">
        <code>{item.args}</code>
      </pre>
      <p className="assistant-tool-label">Output{item.truncated && <span className="badge assistant-truncated">truncated</span>}</p>
      {done ? (
        <pre className="assistant-code" data-testid="tool-output">
          <code>{item.output}</code>
        </pre>
      ) : (
        <p className="muted">Running…</p>
      )}
    </details>
  );
}
