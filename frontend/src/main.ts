import { createApp } from 'vue';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import App from './App.vue';

import { yieldToMain } from './lib/scheduler';
import { startPrefetch } from './lib/prefetch';

/* The first requests before the mount: their answers arrive while the page is being built. */
startPrefetch();
/* The bundle is evaluated in one task and the page mounted in the next: two short tasks, not one long. */
void yieldToMain().then(() => createApp(App).mount('#app'));
