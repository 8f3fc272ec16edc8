/**
 * E-mail addresses as configured for NETSENTRY_SMTP_FROM / _TO, checked at start-up so that a
 * typo stops the service instead of failing every delivery later (EENVELOPE).
 *
 *   mailbox      = addr-spec | [display-name] "<" addr-spec ">"
 *   addr-spec    = local "@" domain
 *   local        = dot-atom (RFC 5322 atext, dots not leading, trailing or doubled)
 *   domain       = hostname labels (a single label such as "localhost" is allowed, for a local
 *                  relay) | "[" IPv4 "]"
 *   display-name = printable text without < > " or control characters, or one "quoted string"
 *
 * Deliberately narrower than RFC 5322 (no comments, no quoted local parts, no non-ASCII): what
 * is refused here can be written in a form that is accepted, and every accepted form is one
 * nodemailer passes to the server unchanged. Commas are impossible anyway: _TO is split on them.
 */

const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL = `${ATEXT}(?:\\.${ATEXT})*`;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const IPV4 = '\\[(?:\\d{1,3}\\.){3}\\d{1,3}\\]';
const DOMAIN = `(?:${LABEL}(?:\\.${LABEL})*|${IPV4})`;
const ADDR = `${LOCAL}@${DOMAIN}`;
const ADDR_ONLY = new RegExp(`^${ADDR}$`);
const WITH_NAME = new RegExp(`^(?:"[^"\\x00-\\x1f\\x7f]*" *|[^<>"\\x00-\\x1f\\x7f]*)<(${ADDR})>$`);

/** Local part at most 64 octets, whole address at most 254 (RFC 5321 limits). */
const MAX_LOCAL = 64;
const MAX_ADDR = 254;

/** The bare address of a mailbox ("Name <a@b>" → "a@b"), or null when it is not one. */
export function mailboxAddress(mailbox: string): string | null {
  const s = mailbox.trim();
  const addr = ADDR_ONLY.test(s) ? s : (WITH_NAME.exec(s)?.[1] ?? null);
  if (addr === null) return null;
  const at = addr.lastIndexOf('@');
  if (at > MAX_LOCAL || addr.length > MAX_ADDR) return null;
  return addr;
}
