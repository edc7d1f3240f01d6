import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

// The architecture as the layout shows it: arrows point one way,
// functions → lib/app → lib/domain ← lib/adapters; lib/domain imports nothing outside itself
// (no @aws-sdk, no aws-lambda types, no middy, no process.env), and only lib/adapters,
// lib/local, lib/wiring and the CLI/infra composition roots import @aws-sdk.

const root = resolve(import.meta.dirname, '../..');

const filesUnder = (dir: string): string[] =>
  readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });

/** Every text file under a directory (sources, docs), skipping generated output. */
const filesUnderAny = (dir: string): string[] =>
  readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (['node_modules', 'cdk.out'].includes(name)) return [];
    return statSync(join(root, path)).isDirectory()
      ? filesUnderAny(path)
      : /\.(ts|md|ya?ml|json)$/.test(name)
        ? [path]
        : [];
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

/** The repository files a file imports (relative specifiers, `.js` → the `.ts` source, dirs → index). */
const localImports = (file: string): string[] =>
  importsOf(file)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => resolvedImport(file, specifier).replace(/\.js$/, '.ts'))
    .map((target) => (existsSync(join(root, target)) ? target : `${target}/index.ts`));

describe('layering', () => {
  it('keeps lib/domain pure: imports stay inside lib/domain, node:crypto, zod and yaml (no node:fs)', () => {
    // @grantplane/iam-catalogue: the IAM action catalogue's data, read from the file it ships.
    const allowedPackages = ['zod', 'yaml', 'node:crypto', '@grantplane/iam-catalogue'];
    const offences = filesUnder('lib/domain').flatMap((file) =>
      importsOf(file)
        .map((specifier) => ({ specifier, target: resolvedImport(file, specifier) }))
        .filter(({ specifier, target }) =>
          specifier.startsWith('.')
            ? !target.startsWith('lib/domain')
            : !allowedPackages.some((p) => specifier === p || specifier.startsWith(`${p}/`)),
        )
        .map(({ specifier }) => `${file} imports ${specifier}`),
    );
    expect(offences).toEqual([]);
  });

  it('reaches zod only through lib/domain/zod.ts (the mini build with English messages), in everything a function bundles', () => {
    // The classic build cost every cold start ~15 ms; a namespace such as z.core pulls zod's whole
    // core into a bundle (npm run bench -- cold-import).
    const offences = [...filesUnder('lib'), ...filesUnder('functions')]
      .filter((file) => !file.startsWith('lib/local/') && !file.startsWith('lib/cli/') && file !== 'lib/domain/zod.ts')
      .flatMap((file) => {
        const text = readFileSync(join(root, file), 'utf8');
        return [
          ...importsOf(file)
            .filter((specifier) => specifier === 'zod' || specifier.startsWith('zod/'))
            .map((specifier) => `${file} imports ${specifier}`),
          ...(/\bz\.(core|locales)\b/.test(text) ? [`${file} reaches through a zod namespace`] : []),
        ];
      });
    expect(offences).toEqual([]);
  });

  it('keeps process.env and the wall clock out of lib/domain', () => {
    const offences = filesUnder('lib/domain').filter((file) =>
      /process\.env|new Date\(\)|Date\.now\(\)/.test(readFileSync(join(root, file), 'utf8')),
    );
    expect(offences).toEqual([]);
  });

  it('lets only adapters, the composition roots (lib/wiring) and the local stack import @aws-sdk', () => {
    const allowed = ['lib/adapters/', 'lib/local/', 'lib/wiring/'];
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

  it('follows only the allowed arrows between layers, in every file of lib, functions and infra', () => {
    // layer → the layers it may import (itself included); anything else is an offence.
    const arrows: Record<string, readonly string[]> = {
      'lib/domain': ['lib/domain'],
      'lib/app': ['lib/app', 'lib/domain'],
      'lib/adapters': ['lib/adapters', 'lib/domain'],
      'lib/wiring': ['lib/wiring', 'lib/adapters', 'lib/app', 'lib/domain'],
      functions: ['functions', 'lib/wiring', 'lib/app', 'lib/domain'],
      'lib/cli': ['lib/cli', 'lib/app', 'lib/domain', 'lib/adapters', 'lib/local'],
      'lib/local': ['lib/local', 'lib/wiring', 'lib/app', 'lib/domain', 'lib/adapters', 'functions'],
      // The stack reads the table's definition and item types (its stream filters), the route table
      // and the domain, nothing else.
      infra: [
        'infra',
        'lib/domain',
        'lib/adapters/dynamodb/table.ts',
        'lib/adapters/dynamodb/items.ts',
        'functions/shared/routes.ts',
      ],
    };
    const layerOf = (file: string): string | undefined => Object.keys(arrows).find((layer) => file.startsWith(layer));
    const files = [...filesUnder('lib'), ...filesUnder('functions'), ...filesUnder('infra')];
    const offences = files.flatMap((file) => {
      const from = layerOf(file);
      if (from === undefined) return [`${file} is in no layer`];
      return localImports(file)
        .filter((target) => !(arrows[from] ?? []).some((allowed) => target.startsWith(allowed)))
        .map((target) => `${file} (${from}) imports ${target}`);
    });
    expect(offences).toEqual([]);
  });

  it('has no import cycle, type-only imports included', () => {
    const files = [...filesUnder('lib'), ...filesUnder('functions'), ...filesUnder('infra')];
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      state.set(file, 'open');
      for (const target of localImports(file)) {
        if (state.get(target) === 'open') cycles.push([...path.slice(path.indexOf(target)), file, target].join(' → '));
        else if (state.get(target) === undefined) visit(target, [...path, file]);
      }
      state.set(file, 'done');
    };
    for (const file of files) if (state.get(file) === undefined) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('cites nothing outside the repository: code, tests and docs stand alone', () => {
    // Built from pieces, so this file does not match itself.
    const outside = new RegExp(['DESI' + 'GN', 'STY' + 'LE habit', 'TOOL' + 'CHAIN'].join('|'));
    const files = [
      ...['lib', 'functions', 'infra', 'test', 'bench', 'docs'].flatMap((dir) => filesUnderAny(dir)),
      'README.md',
      'openapi.yaml',
    ];
    const offences = files.filter((file) => outside.test(readFileSync(join(root, file), 'utf8')));
    expect(offences).toEqual([]);
  });
});
