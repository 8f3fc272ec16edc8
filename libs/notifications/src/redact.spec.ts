import { hasCredentials, redactCredentials } from './redact';

describe('URL credentials', () => {
  it.each([
    ['http://user:pass@127.0.0.1:9/hook', 'http://***@127.0.0.1:9/hook'],
    ['https://token@hooks.example.org/a?b=c@d', 'https://***@hooks.example.org/a?b=c@d'],
    ['http://u:p@ss@host/x', 'http://***@host/x'],
    ['TypeError: Request cannot be constructed from a URL that includes credentials: http://a:b@h/x', 'TypeError: Request cannot be constructed from a URL that includes credentials: http://***@h/x'],
    ['http://host/path@x and https://h2/', 'http://host/path@x and https://h2/'],
    ['mailto:a@b', 'mailto:a@b'],
  ])('masks %j', (input, out) => {
    expect(redactCredentials(input)).toBe(out);
  });

  it('tells URLs with a user name or password', () => {
    expect(hasCredentials('http://user:pass@h/')).toBe(true);
    expect(hasCredentials('http://user@h/')).toBe(true);
    expect(hasCredentials('http://:pass@h/')).toBe(true);
    expect(hasCredentials('http://h/a@b')).toBe(false);
    expect(hasCredentials('not a url')).toBe(false);
  });
});
