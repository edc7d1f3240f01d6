// zod's mini build (functions instead of methods: a fraction of the classic build's size and of
// its cost per schema, which every Lambda paid at cold start) with the classic build's English
// messages, which the mini build leaves out. Import `* as z` from here, never from 'zod'.
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';
