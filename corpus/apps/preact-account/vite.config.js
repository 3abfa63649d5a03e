import { defineConfig } from 'vite';

// Preact's JSX through Vite's own transform (no Babel-based preset needed).
// Minified, no sourcemaps: the output is committed as a test fixture.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { sourcemap: false, minify: true },
});
