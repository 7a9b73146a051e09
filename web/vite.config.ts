// Build of the web UI: static files in web/dist that `defender-graph serve` hands out.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // Vite's own JSX transform (no React plugin: fast refresh is not worth another toolchain).
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The strict Content-Security-Policy forbids inline scripts, so nothing may be inlined.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      // react-router marks its modules "use client" for server components, which a plain SPA ignores.
      onLog(level, log, handler) {
        if (log.code !== 'MODULE_LEVEL_DIRECTIVE') handler(level, log);
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
