// The CLI shell (docs/cli.md): lazy dispatch, `--help`, and one-line errors with exit code 2.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { captureIo } from '../helpers/cli-io.js';

const capture = captureIo;

describe('main', () => {
  it('prints usage on stdout for --help and exits 0', async () => {
    const io = capture();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out).toContain('Usage: grantplane <command>');
    expect(io.out).toContain('plan');
  });

  it('prints the package version for --version', async () => {
    const io = capture();
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out).toBe(`grantplane ${version}\n`);
  });

  it('mints a token only for known roles, or for the groups GRANTPLANE_ROLE_MAPPING names', async () => {
    const typo = capture();
    expect(await main(['token', '--sub', 'alice', '--roles', 'requester,aprover'], typo)).toBe(2);
    expect(typo.err).toBe('grantplane: token: --roles: unknown role "aprover" (known: requester, approver, admin)\n');
    const ok = capture();
    expect(await main(['token', '--sub', 'alice', '--roles', 'requester,approver'], ok)).toBe(0);
    expect(ok.out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const mapped = capture({ GRANTPLANE_ROLE_MAPPING: '{"ml-platform": ["approver"]}' });
    expect(await main(['token', '--sub', 'bob', '--roles', 'ml-platform'], mapped)).toBe(0);
    const unmapped = capture({ GRANTPLANE_ROLE_MAPPING: '{"ml-platform": ["approver"]}' });
    expect(await main(['token', '--sub', 'bob', '--roles', 'admin'], unmapped)).toBe(2);
    expect(unmapped.err).toContain('(known: ml-platform)');
  });

  it('exits 2 with usage on stderr when no command is given', async () => {
    const io = capture();
    expect(await main([], io)).toBe(2);
    expect(io.err).toContain('Usage: grantplane <command>');
  });

  it('refuses an unknown command on one line', async () => {
    const io = capture();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.err).toBe(
      'grantplane: unknown command "frobnicate" (commands: plan, apply, drift, sync, token, grants, updates, attributes, audit; see grantplane --help)\n',
    );
  });

  it('gives per-command help through `help <command>` and `<command> --help`', async () => {
    const viaHelp = capture();
    const viaFlag = capture();
    expect(await main(['help', 'plan'], viaHelp)).toBe(0);
    expect(await main(['plan', '--help'], viaFlag)).toBe(0);
    expect(viaHelp.out).toContain('Usage: grantplane plan --config <file> --grants <file>');
    expect(viaFlag.out).toBe(viaHelp.out);
  });

  it('turns bad options into one line and exit 2', async () => {
    const io = capture();
    expect(await main(['plan', '--bogus'], io)).toBe(2);
    expect(io.err).toMatch(/^grantplane: plan: Unknown option '--bogus' \(see grantplane plan --help\)\n$/);
    const missing = capture();
    expect(await main(['plan', '--config', 'examples/grantplane.config.yaml'], missing)).toBe(2);
    expect(missing.err).toBe('grantplane: plan: --grants <file> is required (see grantplane plan --help)\n');
    const format = capture();
    expect(await main(['plan', '--config', 'c', '--grants', 'g', '--format', 'xml'], format)).toBe(2);
    expect(format.err).toContain('--format must be one of json, text');
  });
});
