/** One member of a JSON object as written: its key (decoded) and its value's source text. */
export interface JsonMember {
  key: string;
  source: string;
}

/**
 * The members of the JSON object `text` as written, in order, duplicates included: what
 * JSON.parse does not tell (it keeps the last of duplicate keys, and turns 1e2 and 2.0 into 100
 * and 2). `text` must already be known to parse as a JSON object.
 */
export function jsonObjectMembers(text: string): JsonMember[] {
  const members: JsonMember[] = [];
  let at = skipSpace(text, text.indexOf('{') + 1);
  while (text[at] === '"') {
    const keyEnd = endOfString(text, at);
    const key = JSON.parse(text.slice(at, keyEnd)) as string;
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1); // past the colon
    const valueEnd = endOfValue(text, valueStart);
    members.push({ key, source: text.slice(valueStart, valueEnd) });
    at = skipSpace(text, valueEnd);
    if (text[at] === ',') at = skipSpace(text, at + 1);
  }
  return members;
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  return at;
}

/** Past the closing quote of the string that opens at `at`. */
function endOfString(text: string, at: number): number {
  let i = at + 1;
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** Past the value that starts at `at`: a string, a nested object or array, or a literal. */
function endOfValue(text: string, at: number): number {
  if (text[at] === '"') return endOfString(text, at);
  if (text[at] !== '{' && text[at] !== '[') {
    let i = at;
    while (i < text.length && !',}] \t\n\r'.includes(text[i]!)) i++;
    return i;
  }
  let depth = 0;
  let i = at;
  do {
    if (text[i] === '"') {
      i = endOfString(text, i);
      continue;
    }
    if (text[i] === '{' || text[i] === '[') depth++;
    else if (text[i] === '}' || text[i] === ']') depth--;
    i++;
  } while (depth > 0);
  return i;
}
