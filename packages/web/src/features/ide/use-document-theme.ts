import { useSyncExternalStore } from 'react';

const isDark = () => document.documentElement.dataset.theme === 'dark';

function subscribe(onChange: () => void) {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => observer.disconnect();
}

/** Whether the page shows its dark theme (`<html data-theme="dark">`), following every change. */
export function useDarkTheme(): boolean {
  return useSyncExternalStore(subscribe, isDark);
}
