/**
 * Copies text to the clipboard. The Clipboard API needs a secure context (HTTPS or localhost);
 * on plain HTTP the function falls back to a selected, off-screen textarea and execCommand.
 * Returns false when neither way works, so the caller can ask the person to copy by hand.
 */
export async function copyText(text: string): Promise<boolean> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission denied or document not focused: try the fallback below.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.appendChild(area);
  area.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}
