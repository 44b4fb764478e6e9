import path from 'node:path';
import { z } from 'zod';

const boolean = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

/**
 * Every environment variable Berth reads, with its default. This file is the
 * only reader of process.env; the parsed result is passed to whoever needs it.
 */
const EnvSchema = z.object({
  BERTH_HOST: z.string().min(1).default('127.0.0.1'),
  BERTH_PORT: port.default(8080),
  BERTH_PUBLIC_URL: z.url().optional(),
  BERTH_DATA_DIR: z.string().min(1).default('./.berth'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
  BERTH_ADMIN_USERNAME: z.string().min(1).default('admin'),
  BERTH_ADMIN_PASSWORD: z.string().min(12).optional(),
  BERTH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BERTH_BODY_LIMIT_BYTES: positiveInt.default(1024 * 1024),
  BERTH_SESSION_TTL_HOURS: positiveInt.default(24 * 7),
  BERTH_LOGIN_WINDOW_SECONDS: positiveInt.default(15 * 60),
  BERTH_LOGIN_MAX_FAILURES_PER_USER: positiveInt.default(5),
  BERTH_LOGIN_MAX_FAILURES_PER_IP: positiveInt.default(20),
  BERTH_TRUST_PROXY: boolean.default(false),
});

export interface Config {
  host: string;
  port: number;
  publicUrl: string | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  admin: { username: string; password: string | undefined };
  logLevel: z.infer<typeof EnvSchema>['BERTH_LOG_LEVEL'];
  bodyLimitBytes: number;
  sessionTtlHours: number;
  loginThrottle: { windowSeconds: number; maxFailuresPerUser: number; maxFailuresPerIp: number };
  trustProxy: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses the environment once, failing with every problem listed rather than the first. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  return {
    host: e.BERTH_HOST,
    port: e.BERTH_PORT,
    publicUrl: e.BERTH_PUBLIC_URL?.replace(/\/+$/, ''),
    dataDir: path.resolve(e.BERTH_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    admin: { username: e.BERTH_ADMIN_USERNAME, password: e.BERTH_ADMIN_PASSWORD },
    logLevel: e.BERTH_LOG_LEVEL,
    bodyLimitBytes: e.BERTH_BODY_LIMIT_BYTES,
    sessionTtlHours: e.BERTH_SESSION_TTL_HOURS,
    loginThrottle: {
      windowSeconds: e.BERTH_LOGIN_WINDOW_SECONDS,
      maxFailuresPerUser: e.BERTH_LOGIN_MAX_FAILURES_PER_USER,
      maxFailuresPerIp: e.BERTH_LOGIN_MAX_FAILURES_PER_IP,
    },
    trustProxy: e.BERTH_TRUST_PROXY,
  };
}
