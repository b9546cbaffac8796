// Clusters: versions, the upgrade state (cvsh conditions, stages, history), the last preflight
// with the fix of each failed check, live through /api/events (a watch, not a reload).
import { el, getJson, postJson, table, badge } from './api.js';

let events = null;

function stateBadge(state) {
  return badge(state === 'Completed' || state === 'UpToDate', state);
}

function preflightSection(preflight) {
  if (!preflight) return el('p', { class: 'muted' }, 'Preflight: no result yet (run: bash upgrade.sh --preflight)');
  const checks = Array.isArray(preflight.checks) ? preflight.checks : [];
  const failed = checks.filter((c) => c.state !== 'Passed');
  return el('section', { class: 'preflight' },
    el('h4', {}, 'Last preflight'),
    el('p', {}, badge(preflight.result === 'Passed', preflight.result || 'no result'),
      ` for ${preflight.targetVersion || '?'} (observed ${preflight.observedAt || '?'}), `,
      `${checks.length - failed.length} of ${checks.length} checks passed`),
    failed.length
      ? table(['Check', 'Result', 'Fix'], failed.map((c) => [c.name, badge(false, c.state), c.message || c.reason || '']),
        { class: 'checks' })
      : null);
}

function clusterCard(view) {
  const updates = (view.availableUpdates || []).map((u) => u.version).filter(Boolean);
  const select = el('select', { 'aria-label': `Version to upgrade ${view.cluster} to`, id: `to-${view.cluster}` },
    updates.map((v) => el('option', { value: v }, v)));
  const result = el('p', { class: 'result', 'aria-live': 'polite' });
  const request = el('button', {
    type: 'button',
    disabled: updates.length === 0,
    onclick: async () => {
      result.textContent = 'requesting…';
      try {
        const answer = await postJson(`/api/clusters/${encodeURIComponent(view.cluster)}/upgrade`, { to: select.value });
        result.textContent = answer.message;
      } catch (error) {
        result.textContent = error.message;
      }
    },
  }, 'Request upgrade');
  return el('article', { class: 'cluster', 'data-cluster': view.cluster },
    el('h3', {}, view.cluster, ' ', stateBadge(view.state)),
    el('p', {}, `current ${view.currentVersion || '-'}; desired ${view.desiredVersion || '-'}; requested ${view.requestedVersion || '-'}; waiting on ${view.waitingOn}`),
    el('p', {}, el('a', { href: `#/clusters/${encodeURIComponent(view.cluster)}/components` }, 'Functional Components')),
    updates.length ? el('p', {}, select, ' ', request) : el('p', { class: 'muted' }, 'no update available'),
    result,
    el('details', {},
      el('summary', {}, 'Conditions, stages, history'),
      table(['Condition', 'Status', 'Reason', 'Message'], (view.conditions || []).map((c) => [c.type, c.status, c.reason || '', c.message || ''])),
      table(['Stage', 'Phase'], (view.stages || []).map((s) => [s.name, s.phase || 'Pending'])),
      table(['Version', 'State', 'Started', 'Completed'], (view.history || []).map((h) => [h.version, h.state, h.startedTime || '', h.completionTime || '']))),
    preflightSection(view.preflight));
}

export async function renderClusters(main, live) {
  const { clusters } = await getJson('/api/clusters');
  const list = el('div', { id: 'clusters' }, clusters.map(clusterCard));
  main.replaceChildren(el('h2', {}, 'Clusters'), clusters.length ? list : el('p', {}, 'No ClusterVersionShadow in cpaas-system.'));
  if (events) events.close();
  events = new EventSource('/api/events');
  events.addEventListener('open', () => { live.textContent = 'live'; });
  events.addEventListener('error', () => { live.textContent = 'reconnecting…'; });
  events.addEventListener('cluster', (event) => {
    const view = JSON.parse(event.data);
    const card = clusterCard(view);
    const old = list.querySelector(`[data-cluster="${CSS.escape(view.cluster)}"]`);
    if (old) old.replaceWith(card); else list.append(card);
    live.textContent = `live: ${view.cluster} ${view.state}`;
  });
}

export function stopClusterEvents() {
  if (events) events.close();
  events = null;
}
