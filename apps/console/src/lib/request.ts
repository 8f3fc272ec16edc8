/**
 * What the proxy (src/proxy.ts) refuses before Next routes a request, as a pure decision.
 * Two answers Next gets wrong on its own: a path whose percent-encoding does not decode
 * (/alerts/%FF) fails inside Next's router with a 500 in `next start`, and a page answers
 * any method with its HTML. Route handlers under /api keep their own method handling
 * (405 with Allow, 204 for OPTIONS); OPTIONS on a page is left to Next as before.
 */
export const PAGE_METHODS = ['GET', 'HEAD'] as const;

export type Refusal = { status: 400; message: string } | { status: 405; message: string; allow: string };

/** True when every %XX escape in the path decodes, as UTF-8, to text. */
export function pathDecodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** Pages are everything outside route handlers (/api) and Next's own files (/_next). */
export function isPagePath(path: string): boolean {
  return !/^\/(api|_next)(\/|$)/.test(path);
}

/** The refusal for a request (raw, still-encoded path), or null to let Next handle it. */
export function refuse(method: string, path: string): Refusal | null {
  if (!pathDecodes(path)) return { status: 400, message: 'the path is not valid percent-encoded UTF-8' };
  // Method names are case-sensitive (RFC 9110 §9.1): `get` is not GET.
  if (isPagePath(path) && method !== 'OPTIONS' && !(PAGE_METHODS as readonly string[]).includes(method)) {
    return { status: 405, message: `${method} is not allowed on a page`, allow: PAGE_METHODS.join(', ') };
  }
  return null;
}
