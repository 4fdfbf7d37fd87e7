/** Folder paths (`guides/rust`) arranged as a tree for display. */

export interface FolderNode {
  /** Full path, e.g. `guides/rust`. */
  path: string;
  /** Last segment, e.g. `rust`. */
  name: string;
  depth: number;
  children: FolderNode[];
}

/**
 * Builds a tree from folder paths. Parents missing from the list are added, so `a/b` alone
 * yields `a` with child `a/b`. Siblings are sorted by name, case-insensitively. The root folder
 * (empty path) is not part of the tree.
 */
export function buildFolderTree(paths: readonly string[]): FolderNode[] {
  const byPath = new Map<string, FolderNode>();
  const roots: FolderNode[] = [];

  const ensure = (path: string): FolderNode => {
    const existing = byPath.get(path);
    if (existing) return existing;
    const segments = path.split('/');
    const node: FolderNode = { path, name: segments[segments.length - 1], depth: segments.length - 1, children: [] };
    byPath.set(path, node);
    if (segments.length === 1) {
      roots.push(node);
    } else {
      ensure(segments.slice(0, -1).join('/')).children.push(node);
    }
    return node;
  };

  for (const raw of paths) {
    const path = raw.replace(/^\/+|\/+$/g, '');
    if (path !== '') ensure(path);
  }

  const sort = (nodes: FolderNode[]) => {
    nodes.sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
    for (const node of nodes) sort(node.children);
  };
  sort(roots);
  return roots;
}

/** Returns the tree's nodes in display order (depth first). */
export function flattenFolderTree(nodes: readonly FolderNode[]): FolderNode[] {
  const result: FolderNode[] = [];
  const visit = (list: readonly FolderNode[]) => {
    for (const node of list) {
      result.push(node);
      visit(node.children);
    }
  };
  visit(nodes);
  return result;
}

/** Returns `path` and each of its ancestors, outermost first: `a/b/c` gives `a`, `a/b`, `a/b/c`. */
export function folderAncestors(path: string): string[] {
  if (path === '') return [];
  const segments = path.split('/');
  return segments.map((_, index) => segments.slice(0, index + 1).join('/'));
}

/** Returns the parent of a folder path, or '' for a top-level folder. */
export function parentFolder(path: string): string {
  const index = path.lastIndexOf('/');
  return index < 0 ? '' : path.slice(0, index);
}
