import { describe, expect, it } from 'vitest';
import { Settler } from '../../main/core/watch/settle';
import { checkGlobs, PathFilter } from '../../main/core/watch/watch-globs';
import { settleSeconds } from '../../main/core/watch/watch-store';

describe('settle', () => {
  it('waits until size and mtime stay unchanged for the settle time', () => {
    const settler = new Settler(5000);
    settler.observe('a', { size: 1, mtimeMs: 10_000 }, 10_000);
    expect([...settler.takeSettled(14_999).keys()]).toEqual([]);
    settler.observe('a', { size: 2, mtimeMs: 14_000 }, 14_000); // still being written
    expect([...settler.takeSettled(18_999).keys()]).toEqual([]);
    settler.observe('a', { size: 2, mtimeMs: 14_000 }, 18_000); // unchanged: the clock runs on
    expect(settler.takeSettled(19_000).get('a')).toEqual({ size: 2, mtimeMs: 14_000 });
    expect(settler.size).toBe(0);
  });

  it('takes a file first seen with an mtime older than the settle time at once', () => {
    const settler = new Settler(5000);
    settler.observe('moved-in', { size: 9, mtimeMs: 1000 }, 60_000);
    settler.observe('fresh', { size: 9, mtimeMs: 59_000 }, 60_000);
    expect([...settler.takeSettled(60_000).keys()]).toEqual(['moved-in']);
  });

  it('restarts the clock when a seen file changes, even to an old mtime', () => {
    const settler = new Settler(5000);
    settler.observe('a', { size: 1, mtimeMs: 59_000 }, 60_000);
    settler.observe('a', { size: 1, mtimeMs: 1000 }, 61_000);
    expect([...settler.takeSettled(65_999).keys()]).toEqual([]);
    expect([...settler.takeSettled(66_000).keys()]).toEqual(['a']);
  });

  it('forgets a file that is gone', () => {
    const settler = new Settler(5000);
    settler.observe('a', { size: 1, mtimeMs: 0 }, 60_000);
    settler.forget('a');
    expect(settler.takeSettled(60_000).size).toBe(0);
  });
});

describe('include and exclude globs', () => {
  it('matches a glob without / against the name at any depth, with / against the path', () => {
    const filter = new PathFilter(['*.pdf', 'scans/**'], ['tmp', '*.part']);
    expect(filter.takesFile('a.pdf')).toBe(true);
    expect(filter.takesFile('x/y/a.pdf')).toBe(true);
    expect(filter.takesFile('scans/2024/img.tif')).toBe(true);
    expect(filter.takesFile('a.txt')).toBe(false);
    expect(filter.takesFile('tmp/a.pdf')).toBe(false);
    expect(filter.takesFile('x/tmp/a.pdf')).toBe(false);
    expect(filter.takesFile('scans/img.tif.part')).toBe(false);
    expect(filter.watchesFolder('x/tmp')).toBe(false);
  });

  it('always leaves out sent/ folders, where delivered files are moved', () => {
    const filter = new PathFilter([], []);
    expect(filter.takesFile('a.txt')).toBe(true);
    expect(filter.takesFile('sent/a.txt')).toBe(false);
    expect(filter.takesFile('x/sent/a.txt')).toBe(false);
    expect(filter.watchesFolder('x/sent')).toBe(false);
  });

  it('refuses globs it cannot use, naming each', () => {
    expect(() => checkGlobs('include', ['*.pdf', 'a[b', '', '/abs', 'x/../y', 'a{b'])).toThrow(
      expect.objectContaining({
        fields: {
          'include[1]': ['"a[b" has a [ without ]'],
          'include[2]': ['"" is empty'],
          'include[3]': ['"/abs" must be relative to the watched folder (no leading /)'],
          'include[4]': ['"x/../y" must stay inside the watched folder (no ..)'],
          'include[5]': ['"a{b" has a { without }'],
        },
      }),
    );
    expect(checkGlobs('exclude', ['**/*.tmp', '[ab]*', '{a,b}.txt'])).toHaveLength(3);
  });
});

describe('--settle', () => {
  it('takes decimal seconds, nothing else', () => {
    expect(settleSeconds('5')).toBe(5);
    expect(settleSeconds('2.5')).toBe(2.5);
    for (const bad of ['0', '0x5', '1e1', '-1', '', 'five', '90000', '.5'])
      expect(() => settleSeconds(bad), bad).toThrow(/settle: /);
  });
});
