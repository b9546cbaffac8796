// The console's router: #/clusters, #/clusters/<name>/components, #/dr.
import { el } from './api.js';
import { renderClusters, stopClusterEvents } from './clusters.js';
import { renderComponents } from './components.js';
import { renderDr } from './dr.js';

async function route() {
  const main = document.getElementById('main');
  const live = document.getElementById('live');
  const hash = location.hash || '#/clusters';
  const components = hash.match(/^#\/clusters\/([^/]+)\/components$/);
  document.querySelectorAll('nav a').forEach((a) => a.removeAttribute('aria-current'));
  if (!components) stopClusterEvents();
  try {
    if (hash.startsWith('#/dr')) {
      document.getElementById('nav-dr').setAttribute('aria-current', 'page');
      live.textContent = '';
      await renderDr(main);
    } else if (components) {
      stopClusterEvents();
      live.textContent = '';
      await renderComponents(main, decodeURIComponent(components[1]));
    } else {
      document.getElementById('nav-clusters').setAttribute('aria-current', 'page');
      await renderClusters(main, live);
    }
  } catch (error) {
    main.replaceChildren(el('p', { class: 'bad-text', role: 'alert' }, error.message));
  }
  document.body.dataset.page = hash;
  document.body.dataset.ready = String(Date.now());
}

window.addEventListener('hashchange', route);
route();
