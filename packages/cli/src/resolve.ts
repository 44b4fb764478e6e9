import type { Environment } from '@berth/contracts';
import { ApiError, type ApiClient } from './client.js';
import { CliError } from './context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** ENV on the command line is a name or an id; names are looked up among your own environments. */
export async function resolveEnvironment(client: ApiClient, ref: string | undefined): Promise<Environment> {
  if (!ref) throw new CliError('which environment? Give its name or id', 'list them with `berth env ls`');
  if (UUID.test(ref)) {
    try {
      return await client.environment(ref);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }
  const match = (await client.environments()).find((e) => e.name === ref && e.status !== 'deleted');
  if (!match) throw new CliError(`no environment named "${ref}"`, 'list them with `berth env ls`');
  return match;
}
