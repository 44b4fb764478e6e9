import { useEffect, useState } from 'react';
import { Icon } from './Icon.js';
import { TerminalView } from './TerminalView.js';

interface TerminalTab {
  id: string;
  title: string;
}

const storageKey = (envId: string) => `berth.terminals.${envId}`;
const newSessionId = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** Terminal tabs are kept for the browser tab's life, so a reload re-attaches to the same shells. */
function loadTabs(envId: string): TerminalTab[] {
  try {
    const stored = JSON.parse(sessionStorage.getItem(storageKey(envId)) ?? 'null') as TerminalTab[] | null;
    if (Array.isArray(stored) && stored.length > 0) return stored;
  } catch {
    // A damaged entry: start afresh.
  }
  return [{ id: newSessionId(), title: 'Terminal 1' }];
}

export function TerminalPane({ envId, dark, onCommand }: { envId: string; dark: boolean; onCommand: () => void }) {
  const [tabs, setTabs] = useState<TerminalTab[]>(() => loadTabs(envId));
  const [activeId, setActiveId] = useState<string | null>(() => tabs[0]?.id ?? null);

  useEffect(() => sessionStorage.setItem(storageKey(envId), JSON.stringify(tabs)), [envId, tabs]);

  const add = () => {
    const used = new Set(tabs.map((t) => t.title));
    let n = tabs.length + 1;
    while (used.has(`Terminal ${n}`)) n++;
    const tab = { id: newSessionId(), title: `Terminal ${n}` };
    setTabs([...tabs, tab]);
    setActiveId(tab.id);
  };
  const close = (id: string) => {
    const index = tabs.findIndex((t) => t.id === id);
    const rest = tabs.filter((t) => t.id !== id);
    setTabs(rest);
    if (id === activeId) setActiveId((rest[index] ?? rest[index - 1])?.id ?? null);
  };

  return (
    <section className="ide-terminals" aria-label="Terminals">
      <div className="ide-tabs ide-tabs-terminal">
        <div role="tablist" aria-label="Terminals" className="ide-tablist">
          {tabs.map((tab) => (
            <div key={tab.id} className="ide-tab" data-active={tab.id === activeId ? '' : undefined}>
              <button
                type="button"
                role="tab"
                id={`ide-term-tab-${tab.id}`}
                aria-selected={tab.id === activeId}
                aria-controls={`ide-terminal-${tab.id}`}
                tabIndex={tab.id === activeId ? 0 : -1}
                onClick={() => setActiveId(tab.id)}
              >
                {tab.title}
              </button>
              <button type="button" className="ide-tab-close" aria-label={`Close ${tab.title}`} title="Close (the shell ends shortly after)" onClick={() => close(tab.id)}>
                <Icon name="close" />
              </button>
            </div>
          ))}
        </div>
        <button type="button" className="ide-tool" aria-label="New terminal" title="New terminal" onClick={add}>
          <Icon name="plus" />
        </button>
      </div>
      <div className="ide-terminal-body">
        {tabs.length === 0 && <p className="ide-empty muted">No terminal open. Use + to open one.</p>}
        {tabs.map((tab) => (
          <TerminalView key={tab.id} envId={envId} sessionId={tab.id} active={tab.id === activeId} dark={dark} onCommand={onCommand} />
        ))}
      </div>
    </section>
  );
}
