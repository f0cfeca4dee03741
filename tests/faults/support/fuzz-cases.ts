import type { Random } from './random';

/** One connection's worth of hostile input. */
export interface FuzzCase {
  kind: 'random' | 'garbage' | 'pipelined' | 'slow' | 'oversized' | 'truncated';
  /** Written in order; `gapMs` apart when set (a slow client). */
  pieces: Buffer[];
  gapMs?: number;
  /** Requests in the bytes, in order, and whether each is HEAD (its answer has no body). */
  heads: boolean[];
  /** An incomplete request the server may rightly wait on: silence is then no fault. */
  mayStall: boolean;
  description: string;
}

const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'MKCOL',
  'PURGE',
  'SEARCH',
  'QUERY',
  'LINK',
];
const ODD_METHODS = ['get', 'G E T', 'GETT', 'BREW', 'X'.repeat(300), '', 'GET\0', 'PO\tST', '\u00c9T\u00c9', 'CONNECT'];
const ROUTES = ['/visits', '/visits/cluster', '/metrics', '/version', '/health/live', '/health/ready', '/health/startup'];
const ODD_PATHS = [
  '/health',
  '/nope',
  '/visits/',
  '//',
  '//visits',
  '/./visits',
  '/../../etc/passwd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/%00',
  '/%',
  '/%zz',
  '/visits%00',
  '/visits%2F..',
  '/\u00e9\u00e8',
  '/\u{1f4a9}',
  '*',
  'http://evil.example/visits',
  'visits',
  '/health/ready/../../',
  '/metrics?format=json',
  '/__proto__',
  '/constructor/prototype',
];
const QUERIES = [
  '',
  '',
  '?',
  '?a=1',
  '?a=1&a=2&a=3',
  '?__proto__[polluted]=1',
  '?constructor[prototype][x]=1',
  '?%ZZ=%',
  '?x=' + '%41'.repeat(200),
];
const VERSIONS = [
  'HTTP/1.1',
  'HTTP/1.1',
  'HTTP/1.1',
  'HTTP/1.1',
  'HTTP/1.0',
  'HTTP/2.0',
  'HTTP/0.9',
  'HTTP/1.1 extra',
  'http/1.1',
  'HTTP/11',
  'HTTP/1.1\0',
  '',
];
const HEADER_POOL: Array<(r: Random) => string> = [
  () => 'Host: localhost',
  () => 'Host: a\r\nHost: b',
  () => 'Host:',
  (r) => `Content-Length: ${r.pick(['-1', 'abc', '99999999999999999999', '5, 6', '0', '1e3', ' 3 ', '0x10'])}`,
  () => 'Content-Length: 3\r\nContent-Length: 4',
  (r) =>
    `Transfer-Encoding: ${r.pick(['chunked', 'gzip, chunked', 'chunked, identity', 'xchunked', ' chunked', 'chunked\r\nTransfer-Encoding: chunked'])}`,
  (r) => `Expect: ${r.pick(['100-continue', 'garbage', '100-continue, 200-ok'])}`,
  (r) => `Connection: ${r.pick(['close', 'keep-alive', 'Upgrade', 'TE, close', 'x'.repeat(50)])}`,
  (r) => `Upgrade: ${r.pick(['websocket', 'h2c', 'HTTP/2.0', '\u00ff'])}`,
  (r) =>
    `Content-Type: ${r.pick(['application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', ';;;', 'application/json; charset=utf-99'])}`,
  (r) => `Accept: ${r.pick(['*/*', 'text/html', 'application/json;q=0', '\t'])}`,
  (r) => `Accept-Encoding: ${r.pick(['gzip', 'br, gzip;q=0.5', 'identity;q=0', '*'])}`,
  (r) => `Cookie: ${'a=b; '.repeat(r.int(1, 400))}`,
  (r) => `X-Forwarded-For: ${Array.from({ length: r.int(1, 50) }, () => `${r.int(0, 255)}.${r.int(0, 255)}.0.1`).join(', ')}`,
  () => 'Range: bytes=0-1,2-3,-1',
  () => 'If-None-Match: *',
  () => 'Authorization: Basic Og==',
  (r) => `Authorization: Bearer ${r.pick(['', 'x', randomAscii(r, r.int(1, 80)), 'null', '../../etc/passwd'])}`,
  (r) => `Content-Type: application/json\r\nAuthorization: Bearer ${randomAscii(r, 43)}`,
  () => 'no-colon-here',
  () => 'Bad Name: value',
  () => 'X-Ctl: a\u0001b\u007fc',
  () => 'X-Folded: first\r\n second line',
  () => ': empty-name',
  (r) => `X-Random-${r.int(0, 1e6)}: ${randomAscii(r, r.int(0, 200))}`,
  (r) => `${randomToken(r, r.int(1, 30))}: ${randomBytes(r, r.int(0, 60)).toString('latin1')}`,
];

export function randomAscii(r: Random, length: number): string {
  return Array.from({ length }, () => String.fromCharCode(r.int(32, 126))).join('');
}

function randomToken(r: Random, length: number): string {
  const chars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  return Array.from({ length }, () => chars[r.int(0, chars.length - 1)]).join('');
}

function randomBytes(r: Random, length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => r.int(0, 255)));
}

function randomPath(r: Random): string {
  const roll = r.next();
  if (roll < 0.35) return r.pick(ROUTES);
  if (roll < 0.7) return r.pick(ODD_PATHS);
  if (roll < 0.9) return '/' + Array.from({ length: r.int(1, 6) }, () => encodeURIComponent(randomAscii(r, r.int(1, 12)))).join('/');
  return '/' + randomAscii(r, r.int(1, 2000)).replace(/[\s]/g, '_');
}

/**
 * GET and HEAD of "/" record a visit; the fuzzer must not, so that any change of the count is
 * a fault. Everything that a router could read as "/" is steered away from for those methods.
 */
function mayRecordVisit(method: string, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const pathname = path.replace(/^https?:\/\/[^/]*/, '').split(/[?#;]/)[0]!;
  return pathname === '/' || pathname === '';
}

function randomBody(r: Random): Buffer {
  const roll = r.next();
  if (roll < 0.4) return Buffer.alloc(0);
  if (roll < 0.55) {
    const json = [
      '{"visits":1e309}',
      '{"visits":0}',
      '{"visits":-1}',
      '{"visits":"9"}',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '{',
      'null',
      '[]',
    ];
    return Buffer.from(r.pick(json));
  }
  if (roll < 0.65) return Buffer.from('['.repeat(r.int(100, 10_000)));
  if (roll < 0.75) return Buffer.from('a=1&'.repeat(r.int(1, 3000)));
  return randomBytes(r, r.int(1, 3000));
}

/** One request as bytes, and whether it is complete enough that the server must answer. */
function randomRequest(r: Random): { bytes: Buffer; head: boolean; mayStall: boolean; description: string } {
  let method = r.chance(0.85) ? r.pick(METHODS) : r.pick(ODD_METHODS);
  const path = randomPath(r) + r.pick(QUERIES);
  if (mayRecordVisit(method, path)) method = 'OPTIONS';
  const version = r.chance(0.75) ? 'HTTP/1.1' : r.pick(VERSIONS);
  const eol = r.chance(0.95) ? '\r\n' : '\n';
  const headers = r.chance(0.9) ? ['Host: localhost'] : [];
  for (let i = r.chance(0.5) ? 0 : r.int(1, 5); i > 0; i--) headers.push(r.pick(HEADER_POOL)(r));
  const body = randomBody(r);
  let mayStall = headers.some((h) => /transfer-encoding|content-length|expect/i.test(h)) || version === '';
  if (body.length > 0 && r.chance(0.8) && !headers.some((h) => /^(content-length|transfer-encoding)/i.test(h))) {
    if (r.chance(0.7)) {
      headers.push(`Content-Length: ${body.length}`);
    } else {
      headers.push('Transfer-Encoding: chunked');
      mayStall = true;
    }
  }
  const chunked = headers.some((h) => /^transfer-encoding: chunked$/i.test(h));
  const payload = chunked ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) : body;
  const head = Buffer.from(`${method} ${path} ${version}${eol}${headers.join(eol)}${headers.length ? eol : ''}${eol}`, 'latin1');
  return {
    bytes: Buffer.concat([head, payload]),
    head: method === 'HEAD',
    mayStall: mayStall || method === 'CONNECT' || headers.some((h) => /upgrade/i.test(h)),
    description: `${method.slice(0, 20)} ${path.slice(0, 60)} ${version}`,
  };
}

export function randomCase(r: Random): FuzzCase {
  const roll = r.next();
  if (roll < 0.08) {
    const bytes = randomBytes(r, r.int(1, 4000));
    return { kind: 'garbage', pieces: [bytes], heads: [false], mayStall: true, description: 'random bytes' };
  }
  if (roll < 0.18) {
    const requests = Array.from({ length: r.int(2, 4) }, () => randomRequest(r));
    return {
      kind: 'pipelined',
      pieces: [Buffer.concat(requests.map((q) => q.bytes))],
      heads: requests.map((q) => q.head),
      mayStall: requests.some((q) => q.mayStall),
      description: `pipelined: ${requests.map((q) => q.description).join(' | ')}`,
    };
  }
  if (roll < 0.24) {
    const request = randomRequest(r);
    const cut = r.int(1, Math.max(1, request.bytes.length - 1));
    return {
      kind: 'truncated',
      pieces: [request.bytes.subarray(0, cut)],
      heads: [request.head],
      mayStall: true,
      description: `truncated at ${cut}: ${request.description}`,
    };
  }
  const request = randomRequest(r);
  return { kind: 'random', pieces: [request.bytes], heads: [request.head], mayStall: request.mayStall, description: request.description };
}

/** A valid request sent a few bytes at a time: slow, but it must still be answered. */
export function slowCase(r: Random): FuzzCase {
  const bytes = Buffer.from(`GET ${r.pick(ROUTES)} HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'s'.repeat(r.int(0, 40))}\r\n\r\n`);
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = r.int(1, 8);
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return { kind: 'slow', pieces, gapMs: 40, heads: [false], mayStall: false, description: `slow (${pieces.length} pieces)` };
}

/** Requests far above the server's limits: a huge header, URL, header count or body. */
export function oversizedCases(): FuzzCase[] {
  const make = (description: string, text: string | Buffer, mayStall = false): FuzzCase => ({
    kind: 'oversized',
    pieces: [typeof text === 'string' ? Buffer.from(text, 'latin1') : text],
    heads: [false],
    mayStall,
    description,
  });
  const mb = Buffer.alloc(1024 * 1024, 0x61);
  return [
    make('64 KiB header', `GET /visits HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(64 * 1024)}\r\n\r\n`),
    make('1 MiB header', `GET /visits HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(1024 * 1024)}\r\n\r\n`),
    make('64 KiB URL', `GET /visits?${'q'.repeat(64 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`),
    make('5000 headers', `GET /visits HTTP/1.1\r\nHost: x\r\n${'X-A: 1\r\n'.repeat(5000)}\r\n`),
    make(
      '1 MiB JSON body to POST /',
      Buffer.concat([
        Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${mb.length}\r\n\r\n`),
        mb,
      ]),
    ),
    make(
      '1 MiB body to GET /visits',
      Buffer.concat([Buffer.from(`GET /visits HTTP/1.1\r\nHost: x\r\nContent-Length: ${mb.length}\r\n\r\n`), mb]),
    ),
    make(
      'a body declared as 1 TiB',
      `POST /visits HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${2 ** 40}\r\n\r\n{`,
      true,
    ),
    make(
      'a 1 MiB chunk',
      Buffer.concat([
        Buffer.from('POST /version HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n'),
        mb,
        Buffer.from('\r\n0\r\n\r\n'),
      ]),
    ),
  ];
}
