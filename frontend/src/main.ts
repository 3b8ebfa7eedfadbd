import { createApp } from 'vue';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import App from './App.vue';
import WarmUp from './components/WarmUp.vue';

import { yieldToMain } from './lib/scheduler';
import { startPrefetch } from './lib/prefetch';

/* The first requests before the mount: their answers arrive while the page is being built. */
startPrefetch();

/* A throw-away component mounted outside the page: Vue's code compiled before the app's mount. */
function warmVue(): void {
	const app = createApp(WarmUp);
	app.mount(document.createElement('div'));
	app.unmount();
}

/*
 * The bundle is evaluated in one task, Vue warmed up in the next and the page mounted in a third:
 * three short tasks, not one long.
 */
void yieldToMain().then(warmVue).then(yieldToMain).then(() => createApp(App).mount('#app'));
