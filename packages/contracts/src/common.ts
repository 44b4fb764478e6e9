import { z } from 'zod';

export const IdSchema = z.uuid();
export const IdParamsSchema = z.strictObject({ id: IdSchema });
export const TimestampSchema = z.iso.datetime().describe('ISO 8601 timestamp (UTC)');
