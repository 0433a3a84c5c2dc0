import path from 'node:path';
import { z } from 'zod';

const env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  ORDERLY_DATA_DIR: z.string().default('.orderly'),
  ORDERLY_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  ORDERLY_BOOTSTRAP_KEY: z.string().min(20).optional(),
  ORDERLY_DEMO: z.enum(['0', '1']).default('1'),
  ORDERLY_RATE_LIMIT_PER_S: z.coerce.number().min(0).default(1000),
  ORDERLY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  ORDERLY_EXECUTOR_ID: z.string().optional(),
  ORDERLY_APP_VERSION: z.string().default('1'),
  ORDERLY_COOKIE_SECURE: z.enum(['auto', '0', '1']).default('auto'),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  logLevel: z.infer<typeof env>['LOG_LEVEL'];
  bootstrapKey: string | undefined;
  demo: boolean;
  rateLimitPerSecond: number;
  bodyLimitBytes: number;
  executorId: string | undefined;
  appVersion: string;
  cookieSecure: 'auto' | boolean;
};

/** Reads the environment once; a bad value stops start-up with the variable's name. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as shells and .env files usually intend.
  const parsed = env.safeParse(Object.fromEntries(Object.entries(source).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`Invalid environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.ORDERLY_DATA_DIR),
    embeddedPgPort: e.ORDERLY_PG_PORT,
    logLevel: e.LOG_LEVEL,
    bootstrapKey: e.ORDERLY_BOOTSTRAP_KEY,
    demo: e.ORDERLY_DEMO === '1',
    rateLimitPerSecond: e.ORDERLY_RATE_LIMIT_PER_S,
    bodyLimitBytes: e.ORDERLY_BODY_LIMIT_BYTES,
    executorId: e.ORDERLY_EXECUTOR_ID,
    appVersion: e.ORDERLY_APP_VERSION,
    cookieSecure: e.ORDERLY_COOKIE_SECURE === 'auto' ? 'auto' : e.ORDERLY_COOKIE_SECURE === '1',
  };
}
