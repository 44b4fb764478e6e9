import { it } from 'vitest';
import { useAppsWalkthrough } from './support/apps-walkthrough.js';
import { useReadmeShell } from './support/readme-shell.js';

/** The README's "Deploy an app" as it says, with Berth serving the app itself (the default edge). */
// Started as the section says: its repository is on this machine.
const shell = useReadmeShell({ env: { BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true', BERTH_APPS_DRAIN_SECONDS: '2' }, keep: ['APP'] });
const walk = useAppsWalkthrough(shell);

it('deploys, configures, redeploys and rolls back the README\'s app as it says', () => walk(), 600_000); // four releases, each built or started and health-checked
