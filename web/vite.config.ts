import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The server injects `<base href="/prefix/">` into index.html. The dev server does the same with
// "/" so that deep routes resolve assets and API calls the way they do in production.
function devBaseHref(): Plugin {
  return {
    name: 'mdm-dev-base-href',
    apply: 'serve',
    transformIndexHtml(html) {
      return html.replace('<head>', '<head>\n    <base href="/" />');
    },
  };
}

// The dev server forwards API and MCP calls to a running server (MDM_DEV_API, default port 3000).
const apiTarget = process.env.MDM_DEV_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  base: './',
  plugins: [react(), devBaseHref()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Mermaid is loaded on demand and is large by nature; it does not slow the first page.
    chunkSizeWarningLimit: 1500,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/mcp': { target: apiTarget, changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
});
