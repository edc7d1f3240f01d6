#!/usr/bin/env node
// A stand-in for uctl's cluster-resource-attribute commands, for trying `grantplane updates run` without a
// cluster (docs/cli.md) and for its tests:
// it records every call's arguments (one JSON line to $STAND_IN_UCTL_LOG), keeps each pair's
// attributes in $STAND_IN_UCTL_STATE, and answers like uctl: `update` refuses to go on without
// --force (newer uctl asks for confirmation, and CI has no terminal), `get` prints the pair as JSON
// or fails "not found", `delete` removes the pair. $STAND_IN_UCTL_FAIL=update makes updates fail;
// =lost makes them report success and store nothing (what `get` then shows does not verify).
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const args = process.argv.slice(2);
const log = process.env.STAND_IN_UCTL_LOG;
const state = process.env.STAND_IN_UCTL_STATE;
if (log === undefined || state === undefined) {
  process.stderr.write('stand-in uctl: set STAND_IN_UCTL_LOG and STAND_IN_UCTL_STATE\n');
  process.exit(2);
}
appendFileSync(log, `${JSON.stringify(args)}\n`);
mkdirSync(state, { recursive: true });
const [verb, noun] = args;
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const pairFile = (project, domain) => join(state, `${project}_${domain}.json`);
if (noun !== 'cluster-resource-attribute') {
  process.stderr.write(`stand-in uctl: unknown command ${args.join(' ')}\n`);
  process.exit(2);
}
if (verb === 'update' || verb === 'delete') {
  const document = parse(readFileSync(option('--attrFile'), 'utf8'));
  if (verb === 'update' && !args.includes('--force')) {
    process.stdout.write('Are you sure you want to update the attributes? [y/n]: ');
    process.stderr.write('Error: EOF\n');
    process.exit(1);
  }
  if (process.env.STAND_IN_UCTL_FAIL === verb) {
    process.stderr.write('Error: rpc error: code = Unavailable desc = connection refused\n');
    process.exit(1);
  }
  if (verb === 'update' && process.env.STAND_IN_UCTL_FAIL !== 'lost')
    writeFileSync(pairFile(document.project, document.domain), JSON.stringify(document));
  else rmSync(pairFile(document.project, document.domain), { force: true });
  process.stdout.write(
    `${verb === 'update' ? 'Updated' : 'Deleted'} attributes from ${document.project} project and domain ${document.domain}\n`,
  );
} else if (verb === 'get') {
  const file = pairFile(option('-p'), option('-d'));
  if (!existsSync(file)) {
    process.stderr.write(`Error: attribute not found for project ${option('-p')} domain ${option('-d')}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify(JSON.parse(readFileSync(file, 'utf8')), null, 2)}\n`);
} else {
  process.stderr.write(`stand-in uctl: unknown verb ${verb}\n`);
  process.exit(2);
}
