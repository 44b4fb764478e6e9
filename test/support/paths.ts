import { fileURLToPath } from 'node:url';

/** The web app as the test run builds it once (global-setup), for every server a test starts. */
/** BERTH_TEST_WEB_BUILD points tests at another build (one of a known commit while the web app is being edited). */
export const WEB_BUILD = process.env.BERTH_TEST_WEB_BUILD || fileURLToPath(new URL('../../test-artifacts/web', import.meta.url));

