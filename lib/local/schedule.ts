// The drift/expiry schedule of `npm start` (docs/api.md, docs/drift-and-expiry.md): what EventBridge Scheduler does in
// AWS, a timer does here — every GRANTPLANE_DRIFT_INTERVAL_SECONDS (default 900 = 15 minutes) it
// invokes the very handler functions/drift.ts exports, on deps whose IAM reaches each plane's
// account in the emulator. Repairs and expiries reach IAM through the applier loop (the stream), as
// in AWS. The same deps serve POST /v1/drift-checks, which runs in-process locally.
import { makeStorePolicyTagCache } from '../app/drift-run.js';
import { useLiveDriftDeps } from '../wiring/drift.js';
import { localApplierDeps, localContext, type BackgroundLoop } from './loops.js';

export const DEFAULT_DRIFT_INTERVAL_SECONDS = 900;

/** A bad GRANTPLANE_DRIFT_INTERVAL_SECONDS; the message names the variable. */
export class DriftIntervalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriftIntervalError';
  }
}

/** The interval in seconds from the environment (a positive whole number; default 900). */
export function driftIntervalSeconds(env: Record<string, string | undefined>): number {
  const text = env.GRANTPLANE_DRIFT_INTERVAL_SECONDS;
  if (text === undefined || text === '') return DEFAULT_DRIFT_INTERVAL_SECONDS;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new DriftIntervalError(
      `GRANTPLANE_DRIFT_INTERVAL_SECONDS must be a whole number of seconds ≥ 1, got "${text}"`,
    );
  }
  return seconds;
}

/** `npm start`'s drift/expiry schedule. */
export const driftLoop: BackgroundLoop = {
  name: 'drift/expiry schedule',
  async start(context) {
    const intervalMs = driftIntervalSeconds(context.env) * 1000;
    const { makeHandler } = await import('../../functions/drift.js');
    const { powertoolsLog: driftLog } = await import('../../functions/shared/logger.js');
    const base = localApplierDeps(context, driftLog);
    const deps = { ...base, tagCache: makeStorePolicyTagCache(base.driftReports, base.clock) };
    useLiveDriftDeps(deps);
    const handler = makeHandler(deps, { metrics: null });

    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    const tick = (): void => {
      if (stopped) return;
      running = (async () => {
        try {
          await handler({}, localContext('grantplane-drift-local'));
        } catch (error: unknown) {
          // The next tick tries again, as the next scheduled invocation would.
          driftLog.error('scheduled drift check failed', {
            error: error instanceof Error ? error.message : String(error),
          });
        }
      })();
      void running.then(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
    };
    timer = setTimeout(tick, intervalMs);
    return {
      stop: async () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
        await running;
      },
    };
  },
};
