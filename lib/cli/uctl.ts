// Running uctl from the CLI (docs/cli.md "uctl updates", "Importing a pair's attributes"): which
// binary ($GRANTPLANE_UCTL, else `uctl` on PATH), its configuration (--uctl-config, passed as
// --config), one call with a timeout whose exit code and output come back as data.
import { execFile } from 'node:child_process';
import { stringOption, type OptionValues } from './args.js';
import type { CliIo } from './io.js';

export interface Uctl {
  binary: string;
  /** Arguments every call ends with (`--config <file>` when --uctl-config is given). */
  config: string[];
}

export interface Ran {
  code: number;
  output: string;
}

/**
 * The uctl to run ($GRANTPLANE_UCTL, else `uctl` on PATH) — or, for a Flyte OSS plane, flytectl
 * ($GRANTPLANE_FLYTECTL, else `flytectl`) — with --uctl-config.
 */
export const uctlOf = (values: OptionValues, io: CliIo, tool: 'uctl' | 'flytectl' = 'uctl'): Uctl => {
  const config = stringOption(values, 'uctl-config');
  const fromEnv = tool === 'uctl' ? io.env.GRANTPLANE_UCTL : io.env.GRANTPLANE_FLYTECTL;
  return {
    binary: fromEnv?.trim() || tool,
    config: config === undefined ? [] : ['--config', config],
  };
};

/** One uctl call; a binary that cannot start answers code 127 with the reason. */
export const runUctl = (uctl: Uctl, args: readonly string[], env: CliIo['env']): Promise<Ran> =>
  new Promise((resolve) => {
    execFile(
      uctl.binary,
      [...args, ...uctl.config],
      { env: env as NodeJS.ProcessEnv, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          resolve({ code: 127, output: `cannot run ${uctl.binary}: ${error.message}` });
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, output: `${stdout}${stderr}` });
      },
    );
  });

/** `uctl get cluster-resource-attribute` for one pair (printing YAML). */
export const getPairArgs = (project: string, domain: string): string[] => [
  'get',
  'cluster-resource-attribute',
  '-p',
  project,
  '-d',
  domain,
];

/** What uctl prints for a pair that has no cluster resource attributes. */
export const notFound = (ran: Ran): boolean => ran.code !== 0 && /not\s*found/i.test(ran.output);
