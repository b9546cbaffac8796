// Clusters: versions, the upgrade state (cvsh conditions, stages, history), the last preflight
// with the fix of each failed check, live through /api/events (a watch, not a reload).
import { el, getJson, postJson, table, badge } from './api.js';

let events = null;

function stateBadge(state) {
  if (state === 'Progressing') return el('span', { class: 'badge busy' }, state);
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

// Era B (4.3+) request, two steps as the docs describe it: Step 1 lists the pre-check hints
// (the last preflight's checks) -> Acknowledge; Step 2 shows Current and Target (the newest
// offered update: not chosen) -> Start Upgrade -> confirm -> `ac adm upgrade --to-latest`.
function openRequestDialog(view) {
  const dialog = document.getElementById('upgrade-dialog');
  const updates = (view.availableUpdates || []).map((u) => u.version).filter(Boolean);
  const target = updates.reduce((a, b) => (a === '' || compareVersions(b, a) > 0 ? b : a), '');
  const checks = view.preflight && Array.isArray(view.preflight.checks) ? view.preflight.checks : [];
  const message = el('p', { id: 'request-message', role: 'status', 'aria-live': 'polite' });
  const close = el('button', { type: 'button', onclick: () => dialog.close() }, 'Close');
  const step2 = () => {
    const start = el('button', {
      type: 'button',
      id: 'request-start',
      class: 'primary',
      onclick: () => {
        body.replaceChildren(el('p', {}, `Request the upgrade of ${view.cluster} from ${view.currentVersion || '-'} to ${target}?`),
          el('p', {}, el('button', {
            type: 'button',
            id: 'request-confirm',
            class: 'primary',
            onclick: async (event) => {
              event.target.disabled = true;
              message.textContent = 'requesting…';
              try {
                const answer = await postJson(`/api/clusters/${encodeURIComponent(view.cluster)}/upgrade`, { to: target });
                message.textContent = `request submitted: ${answer.message}`;
              } catch (error) {
                message.textContent = error.message;
                event.target.disabled = false;
              }
            },
          }, 'Confirm')));
        body.querySelector('#request-confirm').focus();
      },
    }, 'Start Upgrade');
    body.replaceChildren(el('h4', {}, 'Step 2 of 2: versions'),
      table(['Current version', 'Target version'], [[view.currentVersion || '-', target]]),
      el('p', { class: 'muted' }, 'The Target is the newest update the prepared artifacts offer; it cannot be chosen.'),
      el('p', {}, start));
    start.focus();
  };
  const body = el('div', {},
    el('h4', {}, 'Step 1 of 2: pre-check hints'),
    checks.length
      ? table(['Check', 'Result', 'Message'], checks.map((c) => [c.name, badge(c.state === 'Passed', c.state), c.message || c.reason || '']))
      : el('p', { class: 'muted' }, 'No preflight result yet (bash upgrade.sh --preflight).'),
    el('p', {}, el('button', { type: 'button', id: 'request-ack', class: 'primary', onclick: step2 }, 'Acknowledge')));
  dialog.replaceChildren(el('h3', { id: 'upgrade-title' }, `Upgrade ${view.cluster}`), body, message, el('p', {}, close));
  dialog.showModal();
}

// "4.10.2" > "4.9.9"; pre-release suffixes compare as text.
function compareVersions(a, b) {
  const pa = a.replace(/^v/, '').split(/[.-]/);
  const pb = b.replace(/^v/, '').split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); ++i) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    if (x !== '' && y !== '' && !Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

function clusterCard(view) {
  const updates = (view.availableUpdates || []).map((u) => u.version).filter(Boolean);
  return el('article', { class: 'cluster', 'data-cluster': view.cluster },
    el('h3', {}, view.cluster, ' ', stateBadge(view.state)),
    el('p', {}, `current ${view.currentVersion || '-'}; desired ${view.desiredVersion || '-'}; requested ${view.requestedVersion || '-'}; waiting on ${view.waitingOn}`),
    el('p', {}, el('a', { href: `#/clusters/${encodeURIComponent(view.cluster)}/components` }, 'Functional Components')),
    updates.length
      ? el('p', {}, el('button', { type: 'button', id: `upgrade-${view.cluster}`, onclick: () => openRequestDialog(view) }, 'Upgrade'),
        ` ${updates.length} update(s) offered`)
      : el('p', { class: 'muted' }, 'no update available'),
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
