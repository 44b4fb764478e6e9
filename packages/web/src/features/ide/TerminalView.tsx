import type { TerminalServerMessage } from '@berth/contracts';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { urlPath } from '../../api/client.js';
import { openReconnectingSocket } from '../../api/reconnecting-socket.js';
import { terminalTheme } from './terminal-theme.js';

type Link = 'connecting' | 'open' | 'reconnecting' | 'exited' | 'failed';

interface Props {
  envId: string;
  sessionId: string;
  active: boolean;
  dark: boolean;
  /** Called when Enter is typed: commands may have changed files. */
  onCommand: () => void;
}

/**
 * One shell in xterm.js over the terminal WebSocket. A dropped connection
 * re-attaches with the same session id (the server replays recent output, so
 * the screen is cleared first); a shell that exited can be started again.
 */
export function TerminalView({ envId, sessionId, active, dark, onCommand }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const fitNow = useRef<() => void>(() => undefined);
  const restart = useRef<() => void>(() => undefined);
  const onCommandRef = useRef(onCommand);
  const [link, setLink] = useState<Link>('connecting');
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    onCommandRef.current = onCommand;
  });

  useEffect(() => {
    const element = box.current!;
    const xterm = new Terminal({
      fontFamily: "ui-monospace, 'SF Mono', Menlo, Consolas, monospace",
      fontSize: 13,
      cursorBlink: true,
      scrollback: 5000,
      theme: terminalTheme(document.documentElement.dataset.theme === 'dark'),
    });
    const fit = new FitAddon();
    xterm.loadAddon(fit);
    xterm.open(element);
    term.current = xterm;

    let stopped = false;
    const encoder = new TextEncoder();

    fitNow.current = () => {
      if (element.offsetWidth > 0 && element.offsetHeight > 0) fit.fit();
    };

    const onControl = (raw: string) => {
      const message = JSON.parse(raw) as TerminalServerMessage;
      if (message.type === 'exit') {
        stopped = true;
        xterm.write(`\r\n\x1b[2m[shell exited${message.code === null ? '' : ` with code ${message.code}`}]\x1b[0m\r\n`);
        setLink('exited');
      } else {
        xterm.write(`\r\n\x1b[31m${message.message}\x1b[0m\r\n`);
        setProblem(message.message);
        if (message.code === 'terminal_limit') stopped = true;
        if (stopped) setLink('failed');
      }
    };

    const socket = openReconnectingSocket({
      path: () => {
        fitNow.current();
        return `${urlPath`/environments/${envId}/terminal`}?session=${encodeURIComponent(sessionId)}&cols=${xterm.cols}&rows=${xterm.rows}`;
      },
      binaryType: 'arraybuffer',
      onOpen: (ws, reattached) => {
        // Re-attaching replays the shell's recent output: start from a clean screen.
        if (reattached) xterm.reset();
        setLink('open');
        setProblem(null);
        ws.send(JSON.stringify({ type: 'resize', cols: xterm.cols, rows: xterm.rows }));
      },
      onMessage: (data) => {
        if (data instanceof ArrayBuffer) xterm.write(new Uint8Array(data));
        else if (typeof data === 'string') onControl(data);
      },
      retry: () => !stopped,
      onDrop: () => setLink('reconnecting'),
      // Revoked, or refused for too many terminals: offered again by hand, not retried.
      onEnd: (_code, reason) => {
        stopped = true;
        setProblem((shown) => shown ?? reason);
        setLink('failed');
      },
    });
    const send = socket.send;

    restart.current = () => {
      stopped = false;
      xterm.reset();
      setLink('connecting');
      setProblem(null);
      socket.restart();
    };

    const typed = xterm.onData((data) => {
      send(encoder.encode(data));
      if (data.includes('\r')) onCommandRef.current();
    });
    const binary = xterm.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    const resized = xterm.onResize(({ cols, rows }) => send(JSON.stringify({ type: 'resize', cols, rows })));
    const observer = new ResizeObserver(() => fitNow.current());
    observer.observe(element);

    return () => {
      socket.stop();
      observer.disconnect();
      typed.dispose();
      binary.dispose();
      resized.dispose();
      xterm.dispose();
      term.current = null;
    };
  }, [envId, sessionId]);

  useEffect(() => {
    if (term.current) term.current.options.theme = terminalTheme(dark);
  }, [dark]);

  useEffect(() => {
    if (!active) return;
    const frame = requestAnimationFrame(() => {
      fitNow.current();
      term.current?.focus();
    });
    return () => cancelAnimationFrame(frame);
  }, [active]);

  return (
    <div className="ide-terminal" hidden={!active} id={`ide-terminal-${sessionId}`} role="tabpanel" aria-labelledby={`ide-term-tab-${sessionId}`}>
      <div ref={box} className="ide-xterm" data-testid={active ? 'terminal' : undefined} />
      {link !== 'open' && (
        <div className="ide-terminal-state" role="status">
          {link === 'connecting' && 'Connecting…'}
          {link === 'reconnecting' && 'Connection lost — reconnecting…'}
          {(link === 'exited' || link === 'failed') && (
            <>
              <span>{link === 'exited' ? 'The shell exited.' : (problem ?? 'The terminal could not open.')}</span>
              <button type="button" onClick={() => restart.current()}>
                {link === 'exited' ? 'Start a new shell' : 'Try again'}
              </button>
            </>
          )}
        </div>
      )}
    </div>
  );
}
