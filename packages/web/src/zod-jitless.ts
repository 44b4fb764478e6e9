import { config } from 'zod/v4/core';

// Zod compiles object parsers with `new Function` when it may. Berth's CSP allows no
// eval ('unsafe-eval' would let any injected string run), so Chromium refuses that and
// reports a violation on every load; the interpreted parsers are plenty for a browser.
// Imported first in main.tsx, so it runs before any module that builds a schema.
config({ jitless: true });
