// DR pair: roles, the etcd-sync leader and its replicas (Lease + pods), replication lag over
// the monitor's lag history (uPlot), the last /check with "Check now", the gates guarding
// uninstall and failover, and the DR journals with the command that resumes them.
import { el, getJson, postJson, table, badge } from './api.js';

function lagPlot(history) {
  if (!history || history.error) return el('p', { class: 'bad-text' }, `lag history: ${history ? history.error : 'none'}`);
  const samples = Array.isArray(history.samples) ? history.samples : [];
  const box = el('div', { id: 'lag-plot', 'data-points': samples.length, role: 'img', 'aria-label': `Replication lag, ${samples.length} samples` });
  if (typeof window.uPlot !== 'function') {
    box.append(el('p', { class: 'muted' }, 'uPlot is not built in: run scripts/install-deps.sh and rebuild ac'));
    return box;
  }
  const xs = samples.map((s) => s.t);
  const ys = samples.map((s) => s.lag_seconds);
  const width = Math.max(320, Math.min(900, window.innerWidth - 80));
  // uPlot draws into the box once it is in the document.
  queueMicrotask(() => {
    // eslint-disable-next-line no-new
    new window.uPlot({
      width, height: 220, title: 'Replication lag (seconds), last hour',
      series: [{}, { label: 'lag s', stroke: '#1565c0', width: 2, points: { show: true, size: 4 } }],
      scales: { x: { time: true } },
    }, [xs, ys], box);
  });
  return box;
}

function checkSection(check, at) {
  if (!check) return el('p', { class: 'muted', id: 'check-result' }, 'No /check yet: press Check now.');
  const list = (name) => {
    const section = check[name] || { count: 0, keys: [] };
    return el('section', { class: `keys ${name}` }, el('h4', {}, `${name}: ${section.count}`),
      section.keys.length ? el('ul', { id: `check-${name}` }, section.keys.map((k) => el('li', {}, k))) : null);
  };
  return el('div', { id: 'check-result' },
    el('p', {}, badge(check.consistent, check.consistent ? 'consistent' : 'inconsistent'),
      ` at ${at} — source revision ${check.sourceRevision}, ${check.sourceKeys} source keys, ${check.destinationKeys} standby keys`),
    el('p', { class: 'muted' }, 'Surplus keys are reported, never repaired: remove them on the standby.'),
    list('missed'), list('surplus'), list('stale'));
}

function gatesSection(report) {
  return el('div', { id: 'gates' },
    el('p', {}, badge(report.passed, report.passed ? 'all gates pass' : 'blocked')),
    table(['Gate', 'State', 'Found', 'What to do'],
      report.gates.map((g) => [g.name, badge(g.passed, g.passed ? 'green' : 'red'), g.detail, g.passed ? '' : g.remedy])));
}

function journalSection(journals) {
  if (!journals.length) return el('p', { class: 'muted' }, 'No DR journal (no ac adm dr upgrade/failover/reenable has run here).');
  return journals.map((j) => j.error
    ? el('p', { class: 'bad-text' }, `${j.operation}: ${j.error}`)
    : el('section', { class: 'journal' },
      el('h4', {}, `${j.operation} ${j.sourceVersion || ''} → ${j.targetVersion || ''}: ${j.done} done, ${j.pending} pending, ${j.failed} failed`),
      table(['Step', 'State', 'Attempts', 'Message'], j.steps.map((s) => [s.name, badge(s.state === 'done', s.state), s.attempts, s.message])),
      j.resumeCommand ? el('p', {}, 'Resume with: ', el('code', {}, j.resumeCommand)) : el('p', {}, 'Complete.')));
}

export async function renderDr(main) {
  const view = await getJson('/api/dr');
  if (!view.enabled) {
    main.replaceChildren(el('h2', {}, 'DR pair'), el('p', {}, view.hint));
    return;
  }
  const leader = view.leader;
  const checkBox = el('div', {}, checkSection(view.lastCheck, view.lastCheckAt));
  const checkMessage = el('p', { role: 'status', 'aria-live': 'polite' });
  const gatesBox = el('div', {}, el('p', { class: 'muted' }, 'evaluating gates…'));
  const checkNow = el('button', {
    type: 'button',
    id: 'check-now',
    onclick: async () => {
      checkNow.disabled = true;
      checkMessage.textContent = 'checking…';
      try {
        const answer = await postJson('/api/dr/check', {});
        checkBox.replaceChildren(checkSection(answer.check, answer.at));
        checkMessage.textContent = 'checked';
      } catch (error) {
        checkMessage.textContent = error.message;
      }
      checkNow.disabled = false;
    },
  }, 'Check now');
  const evaluate = async () => {
    try {
      gatesBox.replaceChildren(gatesSection(await getJson('/api/dr/gates')));
    } catch (error) {
      gatesBox.replaceChildren(el('p', { class: 'bad-text' }, error.message));
    }
  };
  main.replaceChildren(
    el('h2', {}, 'DR pair'),
    el('section', {},
      el('h3', {}, 'Roles'),
      el('p', {}, 'primary: the cluster of --kubeconfig; standby: --standby-kubeconfig; monitor ', el('code', {}, view.monitorUrl || view.monitorError || '?')),
      el('p', {}, 'etcd-sync leader: ', el('strong', { id: 'leader' }, leader.leader || '(none)'),
        leader.renewTime ? ` (renewed ${leader.renewTime}, ${leader.leaseTransitions} transitions)` : '',
        leader.leaseError ? el('span', { class: 'bad-text' }, ` ${leader.leaseError}`) : ''),
      table(['Replica', 'Phase', 'Role'], leader.replicas.map((r) => [r.name, r.phase || '-', r.leader ? 'leader' : 'standing by']), { id: 'replicas' })),
    el('section', {}, el('h3', {}, 'Replication lag'), lagPlot(view.lagHistory)),
    el('section', {}, el('h3', {}, 'Consistency (/check)'), el('p', {}, checkNow), checkMessage, checkBox),
    el('section', {}, el('h3', {}, 'Gates (uninstall, failover)'),
      el('p', {}, el('button', { type: 'button', id: 'gates-again', onclick: evaluate }, 'Evaluate again')), gatesBox),
    el('section', {}, el('h3', {}, 'DR journal'), journalSection(view.journals)));
  evaluate();
}
