import { useMemo, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';

import { ApiError } from '../api/client';
import { deleteFolder, listAllArticles, listFolders, renameFolder } from '../api/endpoints';
import { usePrincipal } from '../auth/session';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { ErrorMessage, Loading, Notice } from '../components/Feedback';
import { Field } from '../components/Field';
import { useDocumentTitle } from '../components/useDocumentTitle';
import { buildFolderTree, flattenFolderTree, parentFolder, type FolderNode } from '../lib/folders';
import { useAsync } from '../lib/useAsync';

interface FolderData {
  folders: string[];
  /** Number of articles directly in each folder ('' is the root). */
  direct: Map<string, number>;
}

async function loadFolderData(signal: AbortSignal): Promise<FolderData> {
  const [folders, articles] = await Promise.all([listFolders(signal), listAllArticles({}, signal)]);
  const direct = new Map<string, number>();
  for (const article of articles) direct.set(article.folder, (direct.get(article.folder) ?? 0) + 1);
  return { folders, direct };
}

function subtreeCount(path: string, direct: Map<string, number>): number {
  let total = 0;
  for (const [folder, count] of direct) {
    if (folder === path || folder.startsWith(`${path}/`)) total += count;
  }
  return total;
}

/** Renders folder management: rename or move a folder with its subfolders, and delete a folder. */
export function FoldersPage() {
  const principal = usePrincipal();
  const canWrite = principal.scope === 'write';
  const data = useAsync(loadFolderData, []);
  const [renaming, setRenaming] = useState<FolderNode | null>(null);
  const [deleting, setDeleting] = useState<FolderNode | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useDocumentTitle('Folders');

  const nodes = useMemo(() => flattenFolderTree(buildFolderTree(data.data?.folders ?? [])), [data.data]);

  async function remove(node: FolderNode) {
    setBusy(true);
    setError(null);
    try {
      await deleteFolder(node.path);
      const parent = parentFolder(node.path);
      setNotice(`Deleted ${node.path}. Its contents moved to ${parent === '' ? 'the root folder' : parent}.`);
      data.reload();
    } catch (cause) {
      setError(cause as ApiError);
    } finally {
      setBusy(false);
      setDeleting(null);
    }
  }

  return (
    <div className="page">
      <div className="page-header">
        <h1>Folders</h1>
      </div>
      <p className="muted">Folders exist while they contain articles. To create one, create an article in it or move a folder to a new path.</p>
      {notice && (
        <Notice kind="success">
          <p>{notice}</p>
        </Notice>
      )}
      {error && <ErrorMessage error={error} />}
      {data.error && <ErrorMessage error={data.error} onRetry={data.reload} />}
      {!data.data && data.loading && <Loading label="Loading folders…" />}
      {data.data && (
        <div className="table-scroll" role="region" aria-label="Folders" tabIndex={0}>
          <table className="table folder-table table--stack">
            <thead>
              <tr>
                <th scope="col">Folder</th>
                <th scope="col" className="numeric">
                  Articles
                </th>
                <th scope="col" className="numeric">
                  Including subfolders
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">
                  <Link to="/?folder=%2F">/ (root)</Link>
                </th>
                <td className="numeric" data-label="Articles">
                  {data.data.direct.get('') ?? 0}
                </td>
                <td className="numeric" data-label="With subfolders">
                  {[...data.data.direct.values()].reduce((sum, count) => sum + count, 0)}
                </td>
                <td className="actions">
                  {canWrite && (
                    <Link className="button button--small" to="/new">
                      New article
                    </Link>
                  )}
                </td>
              </tr>
              {nodes.map((node) => (
                <tr key={node.path}>
                  <th scope="row" className={`folder-table__name folder-table__name--depth-${Math.min(node.depth, 9)}`}>
                    <Link to={`/?folder=${encodeURIComponent(node.path)}`} aria-label={node.path}>
                      {node.name}
                    </Link>
                  </th>
                  <td className="numeric" data-label="Articles">
                    {data.data!.direct.get(node.path) ?? 0}
                  </td>
                  <td className="numeric" data-label="With subfolders">
                    {subtreeCount(node.path, data.data!.direct)}
                  </td>
                  <td className="actions">
                    {canWrite && (
                      <>
                        <Link className="button button--small" to={`/new?folder=${encodeURIComponent(node.path)}`} aria-label={`New article in ${node.path}`}>
                          New article
                        </Link>
                        <button type="button" className="button button--small" onClick={() => setRenaming(node)} aria-label={`Rename or move ${node.path}`}>
                          Rename or move
                        </button>
                        <button type="button" className="button button--small button--danger" onClick={() => setDeleting(node)} aria-label={`Delete ${node.path}`}>
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {renaming && (
        <RenameFolderDialog
          folder={renaming}
          folders={data.data?.folders ?? []}
          onClose={() => setRenaming(null)}
          onRenamed={(newName) => {
            setRenaming(null);
            setNotice(`Moved ${renaming.path} to ${newName}.`);
            data.reload();
          }}
        />
      )}

      <ConfirmDialog
        open={deleting !== null}
        title={`Delete folder ${deleting?.path ?? ''}?`}
        confirmLabel="Delete folder"
        danger
        busy={busy}
        onConfirm={() => deleting && void remove(deleting)}
        onCancel={() => setDeleting(null)}
      >
        {deleting && (
          <p>
            No article is deleted: the articles and subfolders in {deleting.path} move up one level, to{' '}
            {parentFolder(deleting.path) === '' ? 'the root folder' : parentFolder(deleting.path)}.
          </p>
        )}
      </ConfirmDialog>
    </div>
  );
}

function RenameFolderDialog({ folder, folders, onClose, onRenamed }: { folder: FolderNode; folders: string[]; onClose(): void; onRenamed(newName: string): void }) {
  const [value, setValue] = useState(folder.path);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const newName = value.trim().replace(/^\/+|\/+$/g, '');
    if (newName === '') {
      setError('Enter a folder path. To move the contents to the root folder, delete the folder instead.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await renameFolder(folder.path, newName);
      onRenamed(newName);
    } catch (cause) {
      setError(cause instanceof ApiError ? cause.message : String(cause));
      setBusy(false);
    }
  }

  return (
    <Dialog open title={`Rename or move ${folder.path}`} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label="New path" hint="Use / to nest it, e.g. archive/2024. Subfolders move with it." error={error ?? undefined}>
          <input type="text" value={value} list="rename-folder-options" onChange={(event) => setValue(event.target.value)} spellCheck={false} autoFocus />
        </Field>
        <datalist id="rename-folder-options">
          {folders
            .filter((path) => path !== folder.path)
            .map((path) => (
              <option key={path} value={`${path}/${folder.name}`} />
            ))}
        </datalist>
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy || value.trim() === folder.path}>
            {busy ? 'Moving…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
