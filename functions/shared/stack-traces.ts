// Source-mapped stack traces for the Lambda bundles, paid for only when a stack is printed.
// `--enable-source-maps` parses the bundle's whole source map at every cold start (10–60 ms
// measured by `npm run bench -- cold-import`) to serve stacks that are rarely printed. Instead, when
// this module runs from a bundle with its `.map` beside it, a stack is formatted through the map,
// read on first use: an error's `stack` names `lib/app/grants.ts:212:11`, not `index.mjs:1:80412`.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

type CallSite = NodeJS.CallSite;

/** The frame as V8 prints it, its position taken from the map when the frame is in the bundle. */
function frameText(frame: CallSite, bundle: string, map: () => SourceMap | null): string {
  const file = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if ((file !== bundle && file !== `file://${bundle}`) || line === null || column === null) return String(frame);
  const entry = map()?.findEntry(line - 1, column - 1);
  if (entry === undefined || !('originalSource' in entry)) return String(frame);
  // `../../work/main/lib/app/grants.ts` → `lib/app/grants.ts`: the repository's own path.
  const source = entry.originalSource
    .replace(/^(?:\.\.\/)+/, '')
    .replace(/^.*?\/(?=(?:lib|functions|node_modules)\/)/, '');
  const name = (entry as { name?: string }).name ?? frame.getFunctionName() ?? '<anonymous>';
  const position = `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  return `${frame.isAsync() ? 'async ' : ''}${name} (${position})`;
}

/** The error's first line as Node prints it. */
function headerOf(error: unknown): string {
  try {
    return error instanceof Error ? Error.prototype.toString.call(error) : String(error);
  } catch {
    return '<error>';
  }
}

/**
 * Installs the lazy formatter for `bundleUrl` (the bundle's import.meta.url) when its source map
 * lies beside it and Node maps nothing itself; otherwise (tsx, tests, `--enable-source-maps`)
 * leaves stack traces alone. Returns whether it installed.
 */
export function installLazySourceMaps(bundleUrl: string): boolean {
  if (!bundleUrl.startsWith('file:') || process.sourceMapsEnabled) return false;
  const bundle = fileURLToPath(bundleUrl);
  const mapFile = `${bundle}.map`;
  if (!bundle.endsWith('.mjs') || !existsSync(mapFile)) return false;
  let map: SourceMap | null | undefined;
  const load = (): SourceMap | null => {
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
      } catch {
        map = null; // an unreadable map: stacks as V8 prints them
      }
    }
    return map;
  };
  Error.prepareStackTrace = (error: Error, frames: CallSite[]) =>
    [headerOf(error), ...frames.map((frame) => `    at ${frameText(frame, bundle, load)}`)].join('\n');
  return true;
}

installLazySourceMaps(import.meta.url);
