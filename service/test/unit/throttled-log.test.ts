import { ThrottledLog } from '../../src/logging/throttled-log';

describe('ThrottledLog', () => {
  it('writes the first event of a kind at once, counts the rest of the interval, and reports them with the next line', () => {
    let now = 0;
    const log = new ThrottledLog(60_000, () => now);
    const lines: string[] = [];
    const write = (kind: string) => log.event(kind, (leftOut) => lines.push(`${kind} +${leftOut}`));
    write('wrong token');
    for (let i = 0; i < 99; i++) write('wrong token');
    write('file empty'); // another kind is not held back by the first
    now = 60_000;
    write('wrong token');
    expect(lines).toEqual(['wrong token +0', 'file empty +0', 'wrong token +99']);
  });
});
