import { itIf } from './skip';

// Both forms register real tests when the condition holds, and skipped ones (named with the
// reason) when it does not; the skipped bodies must never run.
const ran: string[] = [];

describe('itIf', () => {
  itIf(true, 'never shown')('runs when the condition holds', () => {
    ran.push('plain');
  });
  itIf(true, 'never shown').each([[1], [2]])('runs each row %i when the condition holds', (n) => {
    ran.push(`each-${n}`);
  });
  itIf(false, 'tool missing')('is skipped with its reason', () => {
    ran.push('skipped-plain');
  });
  itIf(false, 'data missing').each([[1], [2]])('skips row %i with its reason', (n) => {
    ran.push(`skipped-each-${n}`);
  });
  itIf(false, 'data missing').each([{ a: 1 }])('skips object rows $a too', ({ a }) => {
    ran.push(`skipped-obj-${a}`);
  });

  afterAll(() => {
    // afterAll runs after every test of this block: only the enabled ones ran.
    expect(ran).toEqual(['plain', 'each-1', 'each-2']);
  });
});
