import { ASSISTANT_MAX_MESSAGE_CHARS } from '@berth/contracts';
import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { AssistantLog } from './AssistantLog.js';
import { describeAssistantProblem } from './assistant-state.js';
import { useAssistant } from './use-assistant.js';

const LINK_LABEL = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', gone: 'closed' } as const;

/**
 * The AI assistant beside the editor: its conversations about this environment,
 * the current one streamed as it comes, and a box to ask. Files it changes reach
 * the open editor tabs through the environment's file events, like anyone's changes.
 */
export function AssistantPanel({ envId }: { envId: string }) {
  const assistant = useAssistant(envId);
  const { state } = assistant;
  const messageId = useId();
  const [draft, setDraft] = useState('');
  const [deleting, setDeleting] = useState<string | null>(null);
  const live = state.link === 'live';
  const current = state.conversations.find((c) => c.id === state.currentId);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const text = draft.trim();
    if (!text || !live || state.running) return;
    // "/clear" is a command, not a turn: it empties the conversation and answers no `done`.
    if (text === '/clear') assistant.clear();
    else assistant.ask(text);
    setDraft('');
  };
  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
  };

  return (
    <aside className="assistant" aria-label="Assistant">
      <header className="assistant-head">
        <h2>Assistant</h2>
        <span className={`ide-stream ide-stream-${state.link}`}>{LINK_LABEL[state.link]}</span>
        <p className="assistant-facts muted">
          {state.model && <span className="mono" title="Model">{state.model}</span>}
          {state.usesLeftToday !== null && (
            <span data-testid="assistant-uses">
              {state.usesLeftToday} of {state.usesPerDay} uses left today
            </span>
          )}
        </p>
      </header>
      <div className="assistant-conversations">
        <select aria-label="Conversation" value={state.currentId ?? ''} disabled={!live || state.running} onChange={(e) => e.target.value && assistant.switchTo(e.target.value)}>
          {!current && <option value="">New conversation</option>}
          {state.conversations.map((c) => (
            <option key={c.id} value={c.id}>
              {c.title || 'Untitled'}
            </option>
          ))}
        </select>
        <button type="button" onClick={assistant.newConversation} disabled={!live || state.running}>
          New
        </button>
        <button type="button" onClick={assistant.clear} disabled={!live || state.running || !current} title="Empty this conversation (/clear)">
          Clear
        </button>
        <button type="button" className="danger" onClick={() => current && setDeleting(current.id)} disabled={!live || state.running || !current}>
          Delete
        </button>
      </div>
      <AssistantLog items={state.items} running={state.running} />
      {state.problem && (
        <p className="error assistant-problem" role="alert" data-code={state.problem.code}>
          {describeAssistantProblem(state.problem)}
        </p>
      )}
      <form className="assistant-compose" onSubmit={submit}>
        <label htmlFor={messageId} className="ide-sr">
          Message the assistant
        </label>
        <textarea
          id={messageId}
          rows={3}
          maxLength={ASSISTANT_MAX_MESSAGE_CHARS}
          placeholder="Ask the assistant… (Enter sends, Shift+Enter a new line)"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKey}
        />
        {state.running ? (
          <button type="button" className="danger" onClick={assistant.stop}>
            Stop
          </button>
        ) : (
          <button type="submit" className="primary" disabled={!live || !draft.trim()}>
            Send
          </button>
        )}
      </form>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this conversation?"
        confirmLabel="Delete conversation"
        onCancel={() => setDeleting(null)}
        onConfirm={() => {
          if (deleting) assistant.remove(deleting);
          setDeleting(null);
        }}
      >
        <p>
          <strong>{state.conversations.find((c) => c.id === deleting)?.title || 'This conversation'}</strong> and its messages are deleted. Requests it used stay counted.
        </p>
      </ConfirmDialog>
    </aside>
  );
}
