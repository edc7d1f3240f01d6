// zod's mini build (functions instead of methods: a fraction of the classic build's size and of
// its cost per schema, which every Lambda paid at cold start) with the classic build's English
// messages, which the mini build leaves out. Import `* as z` from here, never from 'zod'.
// Only named pieces, never a namespace of zod's (`z.core`, `z.locales`): reaching through one
// defeats tree shaking and puts every locale and the JSON Schema code in the bundle.
import en from 'zod/v4/locales/en.js';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
export { $ZodError as ZodError, type $ZodIssue as ZodIssue } from 'zod/v4/core';
