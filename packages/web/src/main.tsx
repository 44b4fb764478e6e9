import './zod-jitless.js';

// The app is imported once Zod is configured. A bundle runs the chunks a module imports before the module
// itself, so with static imports the contracts' schemas (in a chunk of their own) would be built first.
void import('./start.js');
