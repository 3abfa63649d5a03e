import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// Minified, no sourcemaps: the output is committed as a test fixture.
export default defineConfig({ plugins: [vue()], build: { sourcemap: false, minify: true } });
