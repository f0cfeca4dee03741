import { formatCount, isValidCount, parseCount } from '../../src/counter/count-format';

describe('count format', () => {
  it('writes decimal text and a newline, as `cat data/visits` shows it', () => {
    expect(formatCount(0)).toBe('0\n');
    expect(formatCount(1234)).toBe('1234\n');
  });

  it.each([
    ['0\n', 0],
    ['42\n', 42],
    ['42', 42], // the seed lab wrote no newline
    ['9007199254740991\n', Number.MAX_SAFE_INTEGER],
  ])('reads %j as %d', (text, count) => {
    expect(parseCount(text)).toBe(count);
  });

  it.each([
    ['', /empty/],
    ['abc', /non-negative decimal integer/],
    ['-1\n', /non-negative decimal integer/],
    ['1.5\n', /non-negative decimal integer/],
    ['007\n', /non-negative decimal integer/],
    [' 7\n', /non-negative decimal integer/],
    ['7\n\n', /non-negative decimal integer/],
    ['12\ngarbage', /non-negative decimal integer/],
    ['9007199254740992\n', /beyond 2\^53-1/],
  ])('refuses %j', (text, reason) => {
    expect(() => parseCount(text)).toThrow(reason);
  });

  it('accepts only whole numbers from 0 to 2^53-1 as counts', () => {
    expect([0, 1, Number.MAX_SAFE_INTEGER].every(isValidCount)).toBe(true);
    expect([-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN, '1', null].some(isValidCount)).toBe(false);
  });
});
