// The admin console's build (issue #13, docs/adr/0016-admin-console.md): `npm run build` writes dist/console, which
// the API serves at `/`. Vite's own transform handles TSX; no plugin is needed for a production build.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // The API's build is not the console's: nothing of the repository's root is public.
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    // Gzip sizes cost build time nobody reads.
    reportCompressedSize: false,
  },
  // `npm run console:dev`: the API on :3000 answers the app's requests.
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
