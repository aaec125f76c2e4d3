/**
 * The contact that CT log operators see in ctjp's User-Agent: an e-mail
 * address or an https URL (logs throttle clients that name neither).
 */
export const CONTACT_MAX = 128;

/** Why a contact is not an e-mail address or an https URL (null when it is one). */
export function contactProblem(contact: string): string | null {
  if (contact.length > CONTACT_MAX) return `is longer than ${CONTACT_MAX} characters`;
  if (/[^\x21-\x7e]/.test(contact)) return 'must be printable ASCII without spaces';
  if (/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(contact)) return null;
  if (/^https:\/\/[^/\s]+\.[^/\s]+/i.test(contact)) return null;
  return 'is neither an e-mail address nor an https:// URL';
}
