import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

/* PERFWATCH_API: where `npm run dev` proxies /api and /healthz (a running perfwatch-api). */
const api = process.env.PERFWATCH_API ?? 'http://127.0.0.1:8470';

export default defineConfig({
	plugins: [vue()],
	/* The page uses the Composition API only: drop the Options API and devtools hooks. */
	define: {
		__VUE_OPTIONS_API__: false,
		__VUE_PROD_DEVTOOLS__: false,
		__VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
	},
	build: {
		outDir: 'dist',
		emptyOutDir: true,
		target: 'es2020',
		reportCompressedSize: true,
	},
	server: {
		proxy: {
			'/api': api,
			'/healthz': api,
		},
	},
	test: {
		include: ['src/**/*.test.ts'],
		environment: 'node',
	},
});
