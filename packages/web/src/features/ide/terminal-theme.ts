import type { ITheme } from '@xterm/xterm';

const dark: ITheme = {
  background: '#0f1419',
  foreground: '#e6ebf1',
  cursor: '#4c8dff',
  cursorAccent: '#0f1419',
  selectionBackground: '#2f4a73',
  black: '#1d252e',
  brightBlack: '#5b6675',
};

const light: ITheme = {
  background: '#ffffff',
  foreground: '#1c2430',
  cursor: '#2563eb',
  cursorAccent: '#ffffff',
  selectionBackground: '#c7dafc',
  // xterm's defaults for these are unreadable on white.
  yellow: '#946200',
  brightYellow: '#b26a00',
  white: '#5b6675',
  brightWhite: '#1c2430',
  brightGreen: '#1b873f',
  green: '#1b873f',
  cyan: '#0e7490',
  brightCyan: '#0e7490',
};

export const terminalTheme = (isDark: boolean): ITheme => (isDark ? dark : light);
