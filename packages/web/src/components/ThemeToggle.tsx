import { useEffect, useState } from 'react';

type Theme = 'light' | 'dark';
const stored = (): Theme | null => (localStorage.getItem('berth.theme') as Theme | null) ?? null;

/** Follows the system theme until the user picks one. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(() => stored() ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="ghost"
      aria-label={`Switch to ${next} theme`}
      onClick={() => {
        localStorage.setItem('berth.theme', next);
        setTheme(next);
      }}
    >
      {theme === 'dark' ? '☀' : '☾'}
    </button>
  );
}
