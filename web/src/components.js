// Cluster -> Functional Components and its Upgrade dialog: a Target per component (only
// versions above the current one are offered: no downgrade, the 4.2.1 trap), "Do not
// upgrade", Kubernetes optional; Review, then Confirm, which calls the engine that
// `ac adm upgrade components --apply` calls.
import { el, getJson, postJson, table, badge } from './api.js';

const DO_NOT_UPGRADE = '';

function targetSelect(component) {
  const options = component.offered.map((v) => el('option', { value: v, selected: v === component.defaultTarget }, v));
  options.push(el('option', { value: DO_NOT_UPGRADE, selected: component.defaultTarget === '' }, 'Do not upgrade'));
  return el('select', {
    id: `target-${component.module}`,
    name: component.module,
    'aria-label': `Target for ${component.displayName}`,
    disabled: component.kubernetes,
  }, options);
}

function dialogRows(components) {
  return components.map((component) => {
    const select = targetSelect(component);
    let cell = select;
    let toggle = null;
    if (component.kubernetes) {
      toggle = el('input', {
        type: 'checkbox',
        id: 'upgrade-kubernetes',
        onchange: () => { select.disabled = !toggle.checked; },
      });
      cell = el('span', {}, el('label', { for: 'upgrade-kubernetes' }, toggle, ' Upgrade Kubernetes (optional) '), select);
    }
    const trap = component.lowerOffered.length
      ? el('span', { class: 'trap' }, `also offered, lower than ${component.current}: ${component.lowerOffered.join(', ')} — not offered here (a downgrade: the 4.2.1 known issue)`)
      : null;
    return { component, select, toggle, cells: [component.displayName, component.current || '-', cell, el('span', {}, component.note, trap ? el('br') : null, trap)] };
  });
}

function choicesOf(rows) {
  const body = { targets: {}, skip: [], noKubernetes: false };
  for (const row of rows) {
    const { module } = row.component;
    if (row.component.kubernetes && !row.toggle.checked) {
      body.noKubernetes = true;
    } else if (row.select.value === DO_NOT_UPGRADE) {
      body.skip.push(module);
    } else {
      body.targets[module] = row.select.value;
    }
  }
  return body;
}

function openDialog(cluster, components, reload) {
  const dialog = document.getElementById('upgrade-dialog');
  const rows = dialogRows(components);
  const message = el('p', { id: 'dialog-message', role: 'status', 'aria-live': 'polite' });
  const form = el('div', { id: 'dialog-choose' },
    table(['Component', 'Current', 'Target', 'Note'], rows.map((r) => r.cells), { class: 'dialog-table' }));
  const review = el('div', { id: 'dialog-review', hidden: true });
  const close = () => dialog.close();
  const reviewButton = el('button', {
    type: 'button',
    id: 'dialog-review-button',
    onclick: () => {
      const choices = choicesOf(rows);
      const lines = rows.map((r) => {
        const m = r.component.module;
        if (choices.targets[m]) return `${r.component.displayName}: ${r.component.current || '-'} → ${choices.targets[m]}`;
        return `${r.component.displayName}: Do not upgrade`;
      });
      review.replaceChildren(el('h4', {}, 'Confirm the Targets'), el('ul', {}, lines.map((l) => el('li', {}, l))),
        el('button', { type: 'button', onclick: () => { review.hidden = true; form.hidden = false; reviewButton.hidden = false; reviewButton.focus(); } }, 'Back'),
        ' ',
        el('button', {
          type: 'button',
          id: 'dialog-confirm',
          class: 'primary',
          onclick: async (event) => {
            event.target.disabled = true;
            message.textContent = 'applying…';
            try {
              const answer = await postJson(`/api/clusters/${encodeURIComponent(cluster)}/components`, choices);
              message.replaceChildren(el('strong', {}, 'Requested. '), ...answer.lines.map((l) => el('div', { class: 'line' }, l)));
              reload();
            } catch (error) {
              message.textContent = error.message;
              event.target.disabled = false;
            }
          },
        }, 'Confirm upgrade'));
      form.hidden = true;
      reviewButton.hidden = true;
      review.hidden = false;
      review.querySelector('#dialog-confirm').focus();
    },
  }, 'Review');
  dialog.replaceChildren(
    el('h3', { id: 'upgrade-title' }, `Upgrade functional components of ${cluster}`),
    form, review, message,
    el('p', { class: 'buttons' }, reviewButton, ' ', el('button', { type: 'button', onclick: close }, 'Close')));
  dialog.showModal();
}

export async function renderComponents(main, cluster) {
  const load = async () => {
    const view = await getJson(`/api/clusters/${encodeURIComponent(cluster)}/components`);
    const components = view.components;
    main.replaceChildren(
      el('p', {}, el('a', { href: '#/clusters' }, '← Clusters')),
      el('h2', {}, `${cluster} → Functional Components`),
      table(['Component', 'Module', 'Current', 'Requested', 'Available', 'Phase'],
        components.map((c) => [c.displayName, c.module, c.current || '-', c.requested || '-',
          [...c.offered, ...c.lowerOffered].join(', ') || '-', badge(c.phase === 'Running', c.phase || '?')]),
        { id: 'components' }),
      el('p', {}, el('button', {
        type: 'button',
        id: 'open-upgrade',
        class: 'primary',
        disabled: components.length === 0,
        onclick: () => openDialog(cluster, components, load),
      }, 'Upgrade')));
  };
  await load();
}
