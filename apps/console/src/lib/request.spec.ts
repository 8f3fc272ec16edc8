import { isPagePath, pathDecodes, refuse } from './request';

describe('refuse', () => {
  it.each(['/alerts/%FF', '/alerts/a%C3', '/%80', '/api/alerts/%FF', '/_next/static/%E0%A4', '/alerts/%', '/alerts/%G1'])(
    '%s: 400 for any method',
    (path) => {
      expect(pathDecodes(path)).toBe(false);
      for (const m of ['GET', 'POST', 'OPTIONS']) expect(refuse(m, path)?.status).toBe(400);
    },
  );

  it.each(['/', '/alerts', '/alerts/port_scan-1', '/alerts/%C3%A9', '/alerts/%25FF', '/icon.svg'])('%s: pages answer GET and HEAD', (path) => {
    expect(refuse('GET', path)).toBeNull();
    expect(refuse('HEAD', path)).toBeNull();
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'get'])('%s on a page: 405 with Allow', (m) => {
    expect(refuse(m, '/alerts')).toEqual({ status: 405, message: expect.any(String), allow: 'GET, HEAD' });
  });

  it('OPTIONS on a page, and any method on /api or /_next, is left to Next', () => {
    expect(refuse('OPTIONS', '/alerts')).toBeNull();
    for (const m of ['GET', 'POST', 'DELETE', 'OPTIONS']) {
      expect(refuse(m, '/api/alerts')).toBeNull();
      expect(refuse(m, '/_next/static/chunk.js')).toBeNull();
    }
  });

  it('only /api and /_next themselves are not pages', () => {
    expect(isPagePath('/api')).toBe(false);
    expect(isPagePath('/api/alerts')).toBe(false);
    expect(isPagePath('/apis')).toBe(true);
    expect(isPagePath('/_nextx')).toBe(true);
  });
});
