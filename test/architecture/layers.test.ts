import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

// STYLE "A layout that shows the architecture": arrows point one way,
// functions → lib/app → lib/domain ← lib/adapters; lib/domain imports nothing outside itself
// (no @aws-sdk, no aws-lambda types, no middy, no process.env), and only lib/adapters,
// lib/local, lib/wiring and the CLI/infra composition roots import @aws-sdk.

const root = resolve(import.meta.dirname, '../..');

const filesUnder = (dir: string): string[] =>
  readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });

const importsOf = (file: string): string[] => {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)].map(
    (m) => m[1] ?? '',
  );
  const dynamic = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? '');
  return [...specifiers, ...dynamic];
};

const resolvedImport = (file: string, specifier: string): string =>
  specifier.startsWith('.') ? relative(root, resolve(root, dirname(file), specifier)) : specifier;

describe('layering', () => {
  it('keeps lib/domain pure: imports stay inside lib/domain, node built-ins, zod and yaml', () => {
    const allowedPackages = ['zod', 'yaml'];
    const offences = filesUnder('lib/domain').flatMap((file) =>
      importsOf(file)
        .map((specifier) => ({ specifier, target: resolvedImport(file, specifier) }))
        .filter(({ specifier, target }) =>
          specifier.startsWith('.')
            ? !target.startsWith('lib/domain')
            : !specifier.startsWith('node:') &&
              !allowedPackages.some((p) => specifier === p || specifier.startsWith(`${p}/`)),
        )
        .map(({ specifier }) => `${file} imports ${specifier}`),
    );
    expect(offences).toEqual([]);
  });

  it('keeps process.env and the wall clock out of lib/domain', () => {
    const offences = filesUnder('lib/domain').filter((file) =>
      /process\.env|new Date\(\)|Date\.now\(\)/.test(readFileSync(join(root, file), 'utf8')),
    );
    expect(offences).toEqual([]);
  });

  it('lets only adapters, the local stack and composition roots import @aws-sdk', () => {
    const allowed = ['lib/adapters/', 'lib/local/', 'lib/wiring/', 'lib/cli/', 'functions/'];
    const offences = [...filesUnder('lib'), ...filesUnder('functions')].flatMap((file) =>
      allowed.some((prefix) => file.startsWith(prefix))
        ? []
        : importsOf(file)
            .filter((specifier) => specifier.startsWith('@aws-sdk/'))
            .map((specifier) => `${file} imports ${specifier}`),
    );
    expect(offences).toEqual([]);
  });

  it('never lets lib/app import an adapter or a Lambda entry', () => {
    const offences = filesUnder('lib/app').flatMap((file) =>
      importsOf(file)
        .map((specifier) => resolvedImport(file, specifier))
        .filter((target) => target.startsWith('lib/adapters') || target.startsWith('functions'))
        .map((target) => `${file} imports ${target}`),
    );
    expect(offences).toEqual([]);
  });

  it('never lets lib import functions/', () => {
    const offences = filesUnder('lib').flatMap((file) =>
      importsOf(file)
        .map((specifier) => resolvedImport(file, specifier))
        .filter((target) => target.startsWith('functions/'))
        .filter(() => !file.startsWith('lib/local/'))
        .map((target) => `${file} imports ${target}`),
    );
    expect(offences).toEqual([]);
  });
});
