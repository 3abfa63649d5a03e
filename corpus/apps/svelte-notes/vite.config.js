import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Minified, no sourcemaps: the output is committed as a test fixture.
export default defineConfig({ plugins: [svelte()], build: { sourcemap: false, minify: true } });
