// Reading a grant request out of ticket text (docs/webhooks.md): Jira webhooks deliver descriptions in
// wiki markup, so the grant sits in the first `{code:yaml}…{code}`, `{code:json}…{code}`,
// `{code}…{code}` or `{noformat}…{noformat}` block, or in a Markdown fence. Rich-text fields
// delivered as Atlassian Document Format (ADF) carry it in their first `codeBlock` node.

// The YAML parser is loaded on the first YAML text, not with the module: most deliveries (status
// transitions, ignored events, JSON) never need it, and a cold start should not pay for it.
let yaml: Promise<typeof import('yaml')> | undefined;
const parseYaml = async (text: string): Promise<unknown> =>
  (await (yaml ??= import('yaml'))).parse(text, { maxAliasCount: 50, prettyErrors: true });

/** The grant text found in a field, with the language its block declared (if any). */
export interface CodeBlock {
  text: string;
  language?: string;
}

/** Outcome of reading a grant: the parsed value, or why not (a message that says what to do). */
export type GrantTextResult =
  { ok: true; grant: Record<string, unknown> } | { ok: false; missing: boolean; message: string };

/** Ticket text larger than this is not parsed: a grant request is a few hundred bytes. */
export const MAX_GRANT_TEXT_LENGTH = 64 * 1024;

// Jira's code macro takes `{code}`, `{code:yaml}`, `{code:title=x.yaml|language=yaml}`;
// noformat takes options too (`{noformat:nopanel=true}`). Both close with the bare tag. Only the
// opening tag is a regex; the closing tag is found with indexOf, so scanning stays linear on
// hostile text (if the first opening tag has no closing tag, no later one has either).
const WIKI_CODE_OPEN = /\{code(?::([^}\n]{0,200}))?\}/i;
const WIKI_NOFORMAT_OPEN = /\{noformat(?::[^}\n]{0,200})?\}/i;
// A Markdown fence opening line: ``` or ~~~ (three or more), then an optional info string.
const MARKDOWN_FENCE_OPEN = /(?:^|\n)[ \t]{0,3}(`{3,}|~{3,})([^\n`]{0,200})(?=\n)/;

function codeMacroLanguage(options: string | undefined): string | undefined {
  if (options === undefined || options.trim() === '') return undefined;
  // `{code:yaml}` names the language directly; `{code:title=…|language=json}` names it as a key.
  for (const option of options.split('|')) {
    const [key, value] = option.split('=', 2).map((part) => part.trim());
    if (value === undefined && key !== undefined && key !== '') return key.toLowerCase();
    if (key?.toLowerCase() === 'language' && value !== undefined) return value.toLowerCase();
  }
  return undefined;
}

const withLanguage = (text: string, language: string | undefined): CodeBlock =>
  language === undefined || language === '' ? { text } : { text, language };

function wikiBlock(
  text: string,
  open: RegExp,
  close: RegExp,
  hasLanguage: boolean,
): { index: number; block: CodeBlock } | undefined {
  const opening = open.exec(text);
  if (opening === null) return undefined;
  const bodyStart = opening.index + opening[0].length;
  const closer = new RegExp(close.source, 'gi');
  closer.lastIndex = bodyStart;
  const closing = closer.exec(text);
  if (closing === null) return undefined;
  const language = hasLanguage ? codeMacroLanguage(opening[1]) : undefined;
  return { index: opening.index, block: withLanguage(text.slice(bodyStart, closing.index), language) };
}

function markdownBlock(text: string): { index: number; block: CodeBlock } | undefined {
  const opening = MARKDOWN_FENCE_OPEN.exec(text);
  if (opening === null) return undefined;
  const fence = opening[1] ?? '```';
  const index = opening.index + (opening[0].startsWith('\n') ? 1 : 0);
  const bodyStart = opening.index + opening[0].length + 1;
  // The closing fence: a line of the same character, at least as long (CommonMark); an unclosed
  // fence runs to the end of the text.
  const lines = text.slice(bodyStart).split('\n');
  const body: string[] = [];
  const closing = new RegExp(`^[ \\t]{0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`);
  for (const line of lines) {
    if (closing.test(line)) break;
    body.push(line);
  }
  const info = (opening[2] ?? '').trim().split(/\s+/)[0]?.toLowerCase();
  return { index, block: withLanguage(body.join('\n'), info) };
}

/** The first code block of wiki-markup or Markdown text, whichever comes first; undefined when none. */
export function extractFirstCodeBlock(text: string): CodeBlock | undefined {
  const normalised = text.replace(/\r\n?/g, '\n');
  const candidates = [
    wikiBlock(normalised, WIKI_CODE_OPEN, /\{code\}/, true),
    wikiBlock(normalised, WIKI_NOFORMAT_OPEN, /\{noformat\}/, false),
    markdownBlock(normalised),
  ].filter((candidate) => candidate !== undefined);
  candidates.sort((a, b) => a.index - b.index);
  return candidates[0]?.block;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The first `codeBlock` node of an ADF document, depth-first (rich-text fields in newer payloads). */
function adfFirstCodeBlock(node: unknown, depth = 0): CodeBlock | undefined {
  if (!isPlainObject(node) || depth > 64) return undefined;
  if (node['type'] === 'codeBlock') {
    const content = Array.isArray(node['content']) ? node['content'] : [];
    const text = content
      .map((child: unknown) => (isPlainObject(child) && typeof child['text'] === 'string' ? child['text'] : ''))
      .join('');
    const attrs = isPlainObject(node['attrs']) ? node['attrs'] : {};
    const language = typeof attrs['language'] === 'string' ? attrs['language'].toLowerCase() : undefined;
    return language === undefined ? { text } : { text, language };
  }
  if (!Array.isArray(node['content'])) return undefined;
  for (const child of node['content']) {
    const found = adfFirstCodeBlock(child, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

const isAdfDocument = (value: unknown): value is Record<string, unknown> =>
  isPlainObject(value) && value['type'] === 'doc' && Array.isArray(value['content']);

/** Parse grant text as JSON or YAML (YAML 1.2 core schema: dates stay strings, no custom tags). */
export async function parseGrantText(block: CodeBlock): Promise<GrantTextResult> {
  const text = block.text.trim();
  if (text === '')
    return { ok: false, missing: true, message: 'the code block is empty; put the grant request (YAML or JSON) in it' };
  if (text.length > MAX_GRANT_TEXT_LENGTH) {
    return {
      ok: false,
      missing: false,
      message: `the grant request is longer than ${MAX_GRANT_TEXT_LENGTH} characters`,
    };
  }
  let value: unknown;
  try {
    // JSON first when it says or looks like JSON: its error messages are clearer for JSON text.
    if (block.language === 'json' || text.startsWith('{')) {
      try {
        value = JSON.parse(text) as unknown;
      } catch (error: unknown) {
        if (block.language === 'json') throw error;
        value = await parseYaml(text);
      }
    } else {
      value = await parseYaml(text);
    }
  } catch (error: unknown) {
    const detail = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    return {
      ok: false,
      missing: false,
      message: `the grant request is not valid ${block.language === 'json' ? 'JSON' : 'YAML or JSON'}: ${detail}`,
    };
  }
  if (!isPlainObject(value)) {
    return {
      ok: false,
      missing: false,
      message: 'the grant request must be an object (dataPlane, scope, resource, …), not a list or a single value',
    };
  }
  return { ok: true, grant: value };
}

/**
 * Read a grant request out of a ticket field. `requireCodeBlock` (descriptions: prose around a
 * code block) demands a code block; otherwise (a custom field holding YAML/JSON) the whole text is
 * the grant unless it contains a code block. An object value is taken as already-parsed JSON.
 */
export async function readGrantFromField(value: unknown, requireCodeBlock: boolean): Promise<GrantTextResult> {
  if (value === undefined || value === null || value === '') {
    return {
      ok: false,
      missing: true,
      message: 'the field is empty; put the grant request (YAML or JSON) in a code block',
    };
  }
  if (isAdfDocument(value)) {
    const block = adfFirstCodeBlock(value);
    if (block === undefined) return { ok: false, missing: true, message: 'no code block with a grant request found' };
    return parseGrantText(block);
  }
  if (isPlainObject(value)) return { ok: true, grant: value };
  if (typeof value !== 'string') {
    return { ok: false, missing: false, message: 'the field must hold the grant request as YAML or JSON text' };
  }
  if (value.length > MAX_GRANT_TEXT_LENGTH * 4) {
    return { ok: false, missing: false, message: `the field is longer than ${MAX_GRANT_TEXT_LENGTH * 4} characters` };
  }
  const block = extractFirstCodeBlock(value);
  if (block !== undefined) return parseGrantText(block);
  if (requireCodeBlock) {
    return {
      ok: false,
      missing: true,
      message:
        'no code block with a grant request found; put it in {code:yaml}…{code} (or {code:json}, {noformat}, a ``` fence)',
    };
  }
  return parseGrantText({ text: value });
}
