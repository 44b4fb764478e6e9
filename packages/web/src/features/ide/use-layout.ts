import { useEffect, useState } from 'react';

export interface IdeLayout {
  sidebar: number;
  terminal: number;
  events: boolean;
  /** The assistant panel beside the editor is open. */
  assistant: boolean;
}

const KEY = 'berth.ide.layout';
const DEFAULTS: IdeLayout = { sidebar: 260, terminal: 280, events: false, assistant: false };

/** Pane sizes, remembered across visits. */
export function useLayout() {
  const [layout, setLayout] = useState<IdeLayout>(() => {
    try {
      return { ...DEFAULTS, ...(JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<IdeLayout>) };
    } catch {
      return DEFAULTS;
    }
  });
  useEffect(() => localStorage.setItem(KEY, JSON.stringify(layout)), [layout]);
  const set = (change: Partial<IdeLayout>) => setLayout((current) => ({ ...current, ...change }));
  return [layout, set] as const;
}
