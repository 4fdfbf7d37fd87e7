import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';

import { buildFolderTree, folderAncestors, type FolderNode } from '../lib/folders';

interface FolderTreeProps {
  folders: readonly string[];
  /** undefined: all articles; '': the root folder only; otherwise a folder path. */
  selected: string | undefined;
  /** Builds the link target for a folder choice. */
  hrefFor(folder: string | undefined): string;
}

/** Navigation through folders as nested lists of links; branches open and close with a button. */
export function FolderTree({ folders, selected, hrefFor }: FolderTreeProps) {
  const tree = useMemo(() => buildFolderTree(folders), [folders]);
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const openByDefault = useMemo(() => new Set(folderAncestors(selected ?? '')), [selected]);

  const isOpen = (path: string) => toggled[path] ?? openByDefault.has(path);

  const renderNodes = (nodes: FolderNode[]) => (
    <ul className="folder-tree__list">
      {nodes.map((node) => {
        const open = isOpen(node.path);
        return (
          <li key={node.path}>
            <div className="folder-tree__row">
              {node.children.length > 0 ? (
                <button
                  type="button"
                  className="folder-tree__toggle"
                  aria-expanded={open}
                  aria-label={`${open ? 'Collapse' : 'Expand'} ${node.path}`}
                  onClick={() => setToggled((state) => ({ ...state, [node.path]: !open }))}
                >
                  <span aria-hidden="true">{open ? '▾' : '▸'}</span>
                </button>
              ) : (
                <span className="folder-tree__spacer" aria-hidden="true" />
              )}
              <Link to={hrefFor(node.path)} aria-current={selected === node.path ? 'page' : undefined} className="folder-tree__link">
                {node.name}
              </Link>
            </div>
            {node.children.length > 0 && open && renderNodes(node.children)}
          </li>
        );
      })}
    </ul>
  );

  return (
    <nav className="folder-tree" aria-label="Folders">
      <ul className="folder-tree__list">
        <li>
          <div className="folder-tree__row">
            <span className="folder-tree__spacer" aria-hidden="true" />
            <Link to={hrefFor(undefined)} aria-current={selected === undefined ? 'page' : undefined} className="folder-tree__link">
              All articles
            </Link>
          </div>
        </li>
        <li>
          <div className="folder-tree__row">
            <span className="folder-tree__spacer" aria-hidden="true" />
            <Link to={hrefFor('')} aria-current={selected === '' ? 'page' : undefined} className="folder-tree__link">
              Root folder only
            </Link>
          </div>
        </li>
      </ul>
      {renderNodes(tree)}
    </nav>
  );
}
