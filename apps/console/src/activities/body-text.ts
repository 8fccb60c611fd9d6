/**
 * The text of an HTML body, for reading. The markup comes from outside (any sender's mail), so it is never put into
 * the page: DOMParser builds an inert document (no script runs, nothing is fetched), and only its text is shown.
 */
export function htmlBodyText(
  html: string,
  parser: Pick<DOMParser, 'parseFromString'> = new DOMParser(),
): string {
  const doc = parser.parseFromString(html, 'text/html');
  for (const hidden of doc.querySelectorAll('script, style, head, template')) hidden.remove();
  return (doc.body?.textContent ?? '').replace(/\n{3,}/g, '\n\n').trim();
}
