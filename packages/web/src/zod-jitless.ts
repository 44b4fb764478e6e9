import { config } from 'zod/v4/core';

// Zod compiles object parsers with `new Function` when it may. Berth's CSP allows no
// eval ('unsafe-eval' would let any injected string run), so Chromium refuses that and
// reports a violation on every load; the interpreted parsers are plenty for a browser.
// main.tsx imports it, and the rest of the app only after it has run.
config({ jitless: true });
