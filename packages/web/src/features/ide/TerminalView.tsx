import type { TerminalServerMessage } from '@berth/contracts';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { wsUrl } from '../../api/client.js';
import { terminalTheme } from './terminal-theme.js';

type Link = 'connecting' | 'open' | 'reconnecting' | 'exited' | 'failed';
const MAX_BACKOFF_MS = 10_000;

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

    let socket: WebSocket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempts = 0;
    let attached = false;
    let stopped = false;
    let disposed = false;
    const encoder = new TextEncoder();
    const send = (data: string | Uint8Array) => socket?.readyState === WebSocket.OPEN && socket.send(data);

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

    const connect = () => {
      fitNow.current();
      const ws = new WebSocket(wsUrl(`/environments/${envId}/terminal?session=${sessionId}&cols=${xterm.cols}&rows=${xterm.rows}`));
      ws.binaryType = 'arraybuffer';
      socket = ws;
      ws.onopen = () => {
        // Re-attaching replays the shell's recent output: start from a clean screen.
        if (attached) xterm.reset();
        attached = true;
        attempts = 0;
        setLink('open');
        setProblem(null);
        ws.send(JSON.stringify({ type: 'resize', cols: xterm.cols, rows: xterm.rows }));
      };
      ws.onmessage = (message) => {
        if (message.data instanceof ArrayBuffer) xterm.write(new Uint8Array(message.data));
        else if (typeof message.data === 'string') onControl(message.data);
      };
      ws.onclose = () => {
        if (disposed || stopped) return;
        setLink('reconnecting');
        retry = setTimeout(connect, Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempts++));
      };
    };

    restart.current = () => {
      stopped = false;
      attached = false;
      attempts = 0;
      clearTimeout(retry);
      if (socket) socket.onclose = null;
      socket?.close();
      xterm.reset();
      setLink('connecting');
      setProblem(null);
      connect();
    };

    const typed = xterm.onData((data) => {
      send(encoder.encode(data));
      if (data.includes('\r')) onCommandRef.current();
    });
    const binary = xterm.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    const resized = xterm.onResize(({ cols, rows }) => send(JSON.stringify({ type: 'resize', cols, rows })));
    const observer = new ResizeObserver(() => fitNow.current());
    observer.observe(element);
    // Deferred so React's development double-mount does not open and abort a socket.
    retry = setTimeout(connect, 0);

    return () => {
      disposed = true;
      clearTimeout(retry);
      observer.disconnect();
      typed.dispose();
      binary.dispose();
      resized.dispose();
      socket?.close();
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
