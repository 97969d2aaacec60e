// Builds the dashboard (ui/) into dist/ui/, which the hub serves at /ui/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/ui/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One bundle of ~560 kB (150 kB gzipped), most of it sigma.js and graphology for the Graph view,
    // served by the hub itself: splitting it would buy nothing on loopback, so no warning below 700 kB.
    chunkSizeWarningLimit: 700,
  },
});
