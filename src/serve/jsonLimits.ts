/**
 * Limits on JSON bodies checked on the text before JSON.parse: nesting depth (a record is a flat array or
 * object; a V2 tensor nests as deep as its rank). Deep nesting costs a parser nothing, but the code that walks
 * the value afterwards (validation, JSON.stringify for error records) recurses.
 */
import { badRequest } from './httpErrors.js';

export const MAX_JSON_DEPTH = 32;

const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Throws a 400 when brackets outside strings nest deeper than MAX_JSON_DEPTH. */
export function checkJsonDepth(text: string): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > MAX_JSON_DEPTH) throw badRequest(`the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
}

/** JSON.parse with the depth limit; a 400 naming the parser's complaint when the body is not JSON. */
export function parseJsonBody(text: string): unknown {
  checkJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
