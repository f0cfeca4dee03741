/**
 * A strict reader of HTTP/1.x responses as raw bytes, for the fuzz suite: it says whether
 * what a server sent on one connection is a sequence of well-formed responses, and where
 * the last one ends. It knows the framing rules of RFC 9112 section 6.3: no body for HEAD,
 * 1xx, 204 and 304; chunked; Content-Length; otherwise up to the close.
 */
export interface ParsedResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface ParseResult {
  responses: ParsedResponse[];
  /** Bytes after the last complete response (an incomplete one, or junk). */
  rest: Buffer;
  /** Set when the bytes can never become a well-formed response. */
  error?: string;
}

const STATUS_LINE = /^HTTP\/1\.[01] ([1-5][0-9][0-9]) [\t -~\x80-\xff]*$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[\t ]*([\t -~\x80-\xff]*?)[\t ]*$/;

/**
 * Parses what arrived. `headRequest` says which of the answered requests were HEAD (by
 * position); `closed` says the server closed the connection, which ends a body without length.
 */
export function parseResponses(data: Buffer, headRequest: (index: number) => boolean, closed: boolean): ParseResult {
  const responses: ParsedResponse[] = [];
  let offset = 0;
  let finalIndex = 0;
  for (;;) {
    if (offset === data.length) return { responses, rest: Buffer.alloc(0) };
    const headEnd = data.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) {
      const partial = data.subarray(offset);
      const prefix = partial.toString('latin1', 0, Math.min(7, partial.length));
      if (!'HTTP/1.'.startsWith(prefix)) {
        return { responses, rest: partial, error: `not an HTTP response: ${JSON.stringify(partial.toString('latin1', 0, 60))}` };
      }
      return { responses, rest: partial, error: closed ? 'connection closed inside a response head' : undefined };
    }
    const lines = data.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const statusMatch = STATUS_LINE.exec(lines[0]!);
    if (!statusMatch) return { responses, rest: data.subarray(offset), error: `bad status line ${JSON.stringify(lines[0]!.slice(0, 80))}` };
    const status = Number(statusMatch[1]);
    const headers: Array<[string, string]> = [];
    for (const line of lines.slice(1)) {
      const header = HEADER_LINE.exec(line);
      if (!header) return { responses, rest: data.subarray(offset), error: `bad header line ${JSON.stringify(line.slice(0, 80))}` };
      headers.push([header[1]!.toLowerCase(), header[2]!]);
    }
    const bodyStart = headEnd + 4;
    const connection = headers.find(([n]) => n === 'connection')?.[1];
    // A request the server could not parse was never understood as HEAD: Fastify's raw
    // client-error answer (a 4xx without a Connection header, then a close) is framed by its
    // own headers when bytes follow its head.
    const rejected = status >= 400 && status < 500 && connection === undefined && closed && data.length > bodyStart;
    const framing = bodyFraming(status, headers, headRequest(finalIndex) && !rejected);
    if ('error' in framing) return { responses, rest: data.subarray(offset), error: framing.error };
    let bodyEnd: number;
    let body: Buffer;
    if (framing.kind === 'none') {
      bodyEnd = bodyStart;
      body = Buffer.alloc(0);
    } else if (framing.kind === 'length') {
      bodyEnd = bodyStart + framing.length;
      if (bodyEnd > data.length)
        return { responses, rest: data.subarray(offset), error: closed ? 'connection closed inside a body' : undefined };
      body = data.subarray(bodyStart, bodyEnd);
    } else if (framing.kind === 'chunked') {
      const chunked = readChunked(data, bodyStart);
      if ('error' in chunked) return { responses, rest: data.subarray(offset), error: chunked.error };
      if (!chunked.done)
        return { responses, rest: data.subarray(offset), error: closed ? 'connection closed inside a chunked body' : undefined };
      bodyEnd = chunked.end;
      body = chunked.body;
    } else {
      if (!closed) return { responses, rest: data.subarray(offset) };
      bodyEnd = data.length;
      body = data.subarray(bodyStart);
    }
    responses.push({ status, headers, body });
    if (status >= 200) finalIndex += 1;
    offset = bodyEnd;
    // After "Connection: close" the connection is over for a client (RFC 9112 section 9.6);
    // whatever the server still writes (Node answers later garbage with a 400) is never read.
    if (status >= 200 && connection !== undefined && /\bclose\b/i.test(connection)) return { responses, rest: Buffer.alloc(0) };
  }
}

type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' } | { error: string };

function bodyFraming(status: number, headers: Array<[string, string]>, head: boolean): Framing {
  const lengths = headers.filter(([name]) => name === 'content-length').map(([, value]) => value);
  const encodings = headers.filter(([name]) => name === 'transfer-encoding').map(([, value]) => value.toLowerCase());
  if (lengths.length > 0 && encodings.length > 0) return { error: 'both Content-Length and Transfer-Encoding' };
  if (new Set(lengths).size > 1) return { error: `conflicting Content-Length ${lengths.join(', ')}` };
  if (lengths.length > 0 && !/^[0-9]+$/.test(lengths[0]!)) return { error: `bad Content-Length ${lengths[0]}` };
  if (head || status < 200 || status === 204 || status === 304) return { kind: 'none' };
  if (encodings.length > 0) return encodings.join(',').trim().endsWith('chunked') ? { kind: 'chunked' } : { kind: 'close' };
  if (lengths.length > 0) return { kind: 'length', length: Number(lengths[0]) };
  return { kind: 'close' };
}

function readChunked(data: Buffer, start: number): { done: boolean; end: number; body: Buffer } | { error: string } {
  const parts: Buffer[] = [];
  let offset = start;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) return { done: false, end: offset, body: Buffer.alloc(0) };
    const sizeText = data.subarray(offset, lineEnd).toString('latin1').split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return { error: `bad chunk size ${JSON.stringify(sizeText.slice(0, 20))}` };
    const size = parseInt(sizeText, 16);
    offset = lineEnd + 2;
    if (size === 0) {
      // Trailers, then an empty line.
      for (;;) {
        const trailerEnd = data.indexOf('\r\n', offset);
        if (trailerEnd < 0) return { done: false, end: offset, body: Buffer.alloc(0) };
        const empty = trailerEnd === offset;
        offset = trailerEnd + 2;
        if (empty) return { done: true, end: offset, body: Buffer.concat(parts) };
      }
    }
    if (offset + size + 2 > data.length) return { done: false, end: offset, body: Buffer.alloc(0) };
    parts.push(data.subarray(offset, offset + size));
    if (data.toString('latin1', offset + size, offset + size + 2) !== '\r\n') return { error: 'chunk not followed by CRLF' };
    offset += size + 2;
  }
}
