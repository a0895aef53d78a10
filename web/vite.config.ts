// The dashboard's build: `npx vite build` writes dist/ (index.html + hashed assets), which
// `stocklake serve` serves at `/`. In development (`npx vite`) API calls are proxied to a
// running `stocklake serve` (STOCKLAKE_API, default http://127.0.0.1:8080).
import { defineConfig } from 'vite';

const api = process.env.STOCKLAKE_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The chart library is most of the bundle; one chunk keeps the served file list short.
    chunkSizeWarningLimit: 600,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': api,
      '/healthz': api,
      '/readyz': api,
    },
  },
});
