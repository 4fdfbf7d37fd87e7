import { createBrowserRouter, Outlet, RouterProvider } from 'react-router-dom';

import { SessionProvider, useSession } from './auth/session';
import { ErrorMessage, Loading } from './components/Feedback';
import { AppLayout } from './components/Layout';
import { ArticlePage } from './pages/ArticlePage';
import { ArticlesPage } from './pages/ArticlesPage';
import { EditorPage } from './pages/EditorPage';
import { FoldersPage } from './pages/FoldersPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PublicArticlePage } from './pages/PublicArticlePage';
import { SecurityPage } from './pages/SecurityPage';
import { SettingsPage } from './pages/SettingsPage';
import { SignInPage } from './pages/SignInPage';
import { ThemeProvider } from './theme/theme';

/**
 * Returns the router basename: the path of the `<base href>` the server injects (e.g. `/docs`
 * under BASE_PATH=/docs), or '/' without one.
 */
export function routerBasename(): string {
  const base = document.querySelector('base[href]');
  if (!base) return '/';
  const path = new URL(document.baseURI).pathname.replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

/** Shows the page only with a session; otherwise the sign-in form at the same address. */
function RequireSession() {
  const { state, retry } = useSession();
  switch (state.status) {
    case 'loading':
      return (
        <div className="centered">
          <Loading label="Checking your session…" />
        </div>
      );
    case 'error':
      return (
        <div className="centered">
          <main className="page" id="main">
            <h1>Cannot reach the server</h1>
            <ErrorMessage error={state.error} onRetry={retry} />
          </main>
        </div>
      );
    case 'signed-out':
      return <SignInPage expired={state.expired} />;
    case 'signed-in':
      return <Outlet />;
  }
}

const router = createBrowserRouter(
  [
    { path: '/p/:slug', element: <PublicArticlePage /> },
    {
      element: <RequireSession />,
      children: [
        {
          element: <AppLayout />,
          children: [
            { index: true, element: <ArticlesPage /> },
            { path: 'article/:slug', element: <ArticlePage /> },
            { path: 'edit/:slug', element: <EditorPage /> },
            { path: 'new', element: <EditorPage /> },
            { path: 'folders', element: <FoldersPage /> },
            { path: 'settings', element: <SettingsPage /> },
            { path: 'security', element: <SecurityPage /> },
            { path: '*', element: <NotFoundPage /> },
          ],
        },
      ],
    },
  ],
  { basename: routerBasename() },
);

export function App() {
  return (
    <ThemeProvider>
      <SessionProvider>
        <RouterProvider router={router} />
      </SessionProvider>
    </ThemeProvider>
  );
}
