// The IAM action catalogue's text, read on first call from `iam-catalogue.json` beside this module:
// in the repository the package's own file; in a Lambda bundle, where esbuild has inlined this
// module into index.mjs, the copy the bundling puts beside index.mjs. The file stays out of the
// JavaScript a cold start parses (most requests never read the catalogue: only iam-statements do).
import { readFileSync } from 'node:fs';

/** The file's name, for the bundling that copies it beside a bundle. */
export const CATALOGUE_FILE_NAME = 'iam-catalogue.json';

/** The catalogue's JSON text; throws when the file is missing or unreadable. */
export const catalogueText = () => readFileSync(new URL(`./${CATALOGUE_FILE_NAME}`, import.meta.url), 'utf8');
