import { useEffect, useRef } from 'react';

/**
 * Calls `onLive` when another release starts serving (not on the first render): what a panel
 * showed of the last release's replicas (their output, their restarts) is not the new one's.
 */
export function useNewRelease(currentRelease: number | null, onLive: () => void): void {
  const shown = useRef(currentRelease);
  useEffect(() => {
    if (shown.current === currentRelease) return;
    shown.current = currentRelease;
    if (currentRelease !== null) onLive();
  }, [currentRelease, onLive]);
}
