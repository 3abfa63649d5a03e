import { defineConfig } from 'vite';

// Minified, no sourcemaps: the output is committed as a test fixture.
export default defineConfig({ build: { sourcemap: false, minify: true } });
