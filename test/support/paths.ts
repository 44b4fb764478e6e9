import { fileURLToPath } from 'node:url';

/** The web app as the test run builds it once (global-setup), for every server a test starts. */
export const WEB_BUILD = fileURLToPath(new URL('../../test-artifacts/web', import.meta.url));
