/**
 * Credentials in URLs never reach a log, a reason or a destination name: configuration rejects
 * them, and these functions mask them wherever a URL is printed anyway (a channel built directly,
 * an error message quoting the URL).
 */

// userinfo: from "scheme://" to the last '@' before the path (a password may hold a raw '@')
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi;

/** `scheme://user:pass@host` → `scheme://***@host`, for every URL in a text (error messages quote URLs). */
export function redactCredentials(text: string): string {
  return text.replace(USERINFO, '$1***@');
}

/** True when the URL carries a user name or a password (which fetch refuses to send). */
export function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}
