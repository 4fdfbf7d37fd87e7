import { describe, expect, it } from 'vitest';

import { withoutLeadingTitle } from './leadingTitle';

describe('withoutLeadingTitle', () => {
  it('removes a first heading equal to the title', () => {
    expect(withoutLeadingTitle('# Release  Notes\n\nBody', 'Release notes')).toBe('\nBody');
  });

  it('removes a closed ATX heading and leading blank lines', () => {
    expect(withoutLeadingTitle('\n\n# Release notes #\nBody', 'Release notes')).toBe('Body');
  });

  it('keeps a different first heading', () => {
    expect(withoutLeadingTitle('# Overview\nBody', 'Release notes')).toBe('# Overview\nBody');
  });

  it('keeps a second-level heading and text before the heading', () => {
    expect(withoutLeadingTitle('## Release notes\nBody', 'Release notes')).toBe('## Release notes\nBody');
    expect(withoutLeadingTitle('Intro\n# Release notes', 'Release notes')).toBe('Intro\n# Release notes');
  });
});
