import { z } from 'zod';

export const IdSchema = z.uuid();

/** Whether a text is a uuid in the form ids take (any letter case): for telling an id from a name. */
export const isUuid = (text: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
export const IdParamsSchema = z.strictObject({ id: IdSchema });
export const TimestampSchema = z.iso.datetime().describe('ISO 8601 timestamp (UTC)');
