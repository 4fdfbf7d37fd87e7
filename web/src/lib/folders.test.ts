import { describe, expect, it } from 'vitest';

import { buildFolderTree, flattenFolderTree, folderAncestors, parentFolder } from './folders';

describe('buildFolderTree', () => {
  it('nests paths and adds missing parents', () => {
    const tree = buildFolderTree(['guides/rust/async', 'notes', 'guides']);
    expect(flattenFolderTree(tree).map((node) => [node.path, node.depth])).toEqual([
      ['guides', 0],
      ['guides/rust', 1],
      ['guides/rust/async', 2],
      ['notes', 0],
    ]);
  });

  it('sorts siblings case-insensitively and ignores the root folder', () => {
    const tree = buildFolderTree(['b', 'A', '', '/', 'c/']);
    expect(tree.map((node) => node.name)).toEqual(['A', 'b', 'c']);
  });
});

describe('folder paths', () => {
  it('lists ancestors outermost first', () => {
    expect(folderAncestors('a/b/c')).toEqual(['a', 'a/b', 'a/b/c']);
    expect(folderAncestors('')).toEqual([]);
  });

  it('returns the parent folder', () => {
    expect(parentFolder('a/b/c')).toBe('a/b');
    expect(parentFolder('a')).toBe('');
  });
});
