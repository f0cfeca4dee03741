import { parseResponses } from './support/http-response-parser';

/** The fuzz suite's judge must itself be able to say "malformed". */
const bytes = (text: string) => Buffer.from(text, 'latin1');
const never = () => false;

test('reads a Content-Length response, a chunked one and a HEAD answer in sequence', () => {
  const data = bytes(
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' +
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n' +
      'HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\n',
  );
  const result = parseResponses(data, (i) => i === 2, false);
  expect(result.error).toBeUndefined();
  expect(result.responses.map((r) => [r.status, r.body.toString()])).toEqual([
    [200, 'ok'],
    [200, 'abc'],
    [404, ''],
  ]);
});

test.each([
  ['a bad status line', 'HTTP/1.1 2000 OK\r\n\r\n'],
  ['not HTTP at all', '{"error":"oops"}'],
  ['a header without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\nContent-Length: 0\r\n\r\n'],
  ['conflicting lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
  ['a body cut short by the close', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'],
  ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
  ['a body sent for HEAD', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok'],
  ['junk after a complete response', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nGARBAGE'],
])('flags %s', (_name, text) => {
  const head = _name === 'a body sent for HEAD';
  expect(parseResponses(bytes(text), head ? () => true : never, true).error).toBeDefined();
});
