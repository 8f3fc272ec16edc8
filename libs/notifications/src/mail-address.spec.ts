import { mailboxAddress } from './mail-address';

describe('mailboxAddress', () => {
  it.each([
    ['soc@example.org', 'soc@example.org'],
    ['  first.last+alerts@mail.example.co.uk ', 'first.last+alerts@mail.example.co.uk'],
    ['root@localhost', 'root@localhost'],
    ['ops@[192.0.2.1]', 'ops@[192.0.2.1]'],
    ['NetSentry <netsentry@example.org>', 'netsentry@example.org'],
    ['"NetSentry (lab)" <netsentry@example.org>', 'netsentry@example.org'],
    ['<bare@example.org>', 'bare@example.org'],
  ])('accepts %j', (input, address) => {
    expect(mailboxAddress(input)).toBe(address);
  });

  it.each([
    'not an address',
    'nobody',
    '@example.org',
    'a@',
    'a@@example.org',
    'a b@example.org',
    '.a@example.org',
    'a..b@example.org',
    'a@-example.org',
    'a@example..org',
    'Name <a@example.org',
    'Name a@example.org>',
    'Name\r\nBcc: x@evil.example <a@example.org>',
    '"unterminated <a@example.org>',
    `${'x'.repeat(65)}@example.org`,
    `a@${'x'.repeat(63)}.${'y'.repeat(63)}.${'z'.repeat(63)}.${'w'.repeat(63)}`,
    'ünï@example.org',
  ])('refuses %j', (input) => {
    expect(mailboxAddress(input)).toBeNull();
  });
});
