import { jsonObjectMembers } from '../../src/admin/json-members';
import { parseRestoreBody } from '../../src/admin/restore-body';

describe('jsonObjectMembers', () => {
  it('lists every member as written, duplicates and nested values included', () => {
    const text = ' { "a" : 1e2 ,"b":[1,{"c":"]}"}],"a\\"q":"x\\\\","vi\\u0073its":2.0, "n":{"x":[]} ,"s":"\\"}"}';
    expect(JSON.parse(text)).toBeInstanceOf(Object);
    expect(jsonObjectMembers(text)).toEqual([
      { key: 'a', source: '1e2' },
      { key: 'b', source: '[1,{"c":"]}"}]' },
      { key: 'a"q', source: '"x\\\\"' },
      { key: 'visits', source: '2.0' },
      { key: 'n', source: '{"x":[]}' },
      { key: 's', source: '"\\"}"' },
    ]);
  });

  it('finds no member in an empty object', () => {
    expect(jsonObjectMembers('{ }')).toEqual([]);
  });
});

describe('parseRestoreBody', () => {
  it.each(['{"visits":0}', '{"visits":9007199254740991}', '\n{ "visits" : 42 }\n'])('accepts %s', (text) => {
    expect(parseRestoreBody(text)).toEqual({ ok: true, visits: Number(JSON.parse(text).visits) });
  });

  it.each([
    ['{"visits":1,"visits":1}', 'duplicate field(s) "visits": send each field once'],
    ['{"visits":1,"x":1,"x":2}', 'duplicate field(s) "x": send each field once'],
    ['{"__proto__":{"visits":1}}', 'unexpected field(s) "__proto__": send only {"visits": n}'],
    ['{"visits":1e2}', '"visits" must be a whole number in plain digits (no fraction, no exponent), got 1e2'],
    ['{"visits":2.0}', '"visits" must be a whole number in plain digits (no fraction, no exponent), got 2.0'],
    ['{"visits":1E+2}', '"visits" must be a whole number in plain digits (no fraction, no exponent), got 1E+2'],
    ['{"visits":-0}', '"visits" must not be negative, got -0'],
    ['{"visits":9007199254740992}', '"visits" must be at most 9007199254740991 (2^53-1)'],
    ['', 'the body is empty: send {"visits": n}'],
    [' ', 'the body is not valid JSON'],
  ])('refuses %s', (text, message) => {
    expect(parseRestoreBody(text)).toEqual({ ok: false, message });
  });
});
