/**
 * Removes a first-line `# Heading` that repeats the article title, because the page already shows
 * the title above the content. Any other first line is kept.
 */
export function withoutLeadingTitle(content: string, title: string): string {
  const match = /^\s*#[ \t]+(.+?)[ \t]*#*[ \t]*(?:\r?\n|$)/.exec(content);
  if (!match) return content;
  const normalise = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();
  return normalise(match[1]) === normalise(title) ? content.slice(match[0].length) : content;
}
