// The admin page: one module, no framework. Every element is built with textContent (data never
// is parsed as HTML); every string comes from i18n.js; every data call sends the key in
// X-Api-Key (kept in sessionStorage: no cookie, so no CSRF surface).

import { LANGUAGES, STRINGS } from './i18n.js';
import { renderTelegramHtml } from './tg-html.js';

const API = new URL('..', import.meta.url).pathname.replace(/\/$/, ''); // …/v1/admin
const KEY_STORAGE = 'admin-api-key';
const LANG_STORAGE = 'admin-lang';
const TREES = ['faq', 'complaints'];
const ROOT = 'root';
const TICKET_KINDS = ['incident', 'photo'];
const REFRESH_MS = 15000; // the inbox reads itself again this often while it is shown
const TICKET_STATUSES = ['open', 'in_progress', 'answered', 'closed'];

const state = {
  key: sessionStorage.getItem(KEY_STORAGE) || '',
  lang: pickLanguage(),
  tab: 'faq',
  trees: {},          // tree → {nodes: [...], byId: Map}
  selected: {},       // tree → node id
  editing: null,      // {tree, mode: 'edit'|'create', parentId, nodeId}
  content: { default: 'ru', languages: ['ru'] }, // the trees' languages, the default first (from the API)
  contentLang: 'ru',  // the language the editor and the preview show
  conversation: null, // the conversation (C<number>) shown in the thread pane
  ticketKinds: TICKET_KINDS,
  ticketStatuses: TICKET_STATUSES,
  enumsLearned: false, // read from the OpenAPI document when the tickets are first shown
  me: null,           // {id, name, role} of the key signed in with (GET /me)
  auditCursor: null,  // the next audit page's cursor
  canned: { replies: [], default: 'ru', languages: ['ru'] }, // GET /canned-replies
  cannedEditing: null, // the canned reply in the editor (null: a new one)
  cannedChosen: null,  // the canned reply picked in the inbox
};
const RANK = { operator: 1, admin: 2 };

// ---- small helpers ------------------------------------------------------------------------
const $ = (testid, scope = document) => scope.querySelector(`[data-testid="${testid}"]`);

function pickLanguage() {
  const saved = localStorage.getItem(LANG_STORAGE);
  if (LANGUAGES.includes(saved)) return saved;
  return (navigator.language || '').toLowerCase().startsWith('en') ? 'en' : 'ru';
}

function t(key, vars = {}) {
  const text = STRINGS[state.lang][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}

/** el('button', {testid: 'x', class: 'y', text: 'Save', onclick}, child…) */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = value;
    else if (name === 'testid') node.dataset.testid = value;
    else if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name in node && typeof node[name] !== 'string') node[name] = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function show(node, visible) {
  node.hidden = !visible;
}

function applyStrings() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  document.title = t('app.title');
  $('lang-select').value = state.lang;
}

// ---- messages -----------------------------------------------------------------------------
let noticeTimer = 0;

function notice(text) {
  const box = $('notice');
  box.textContent = text;
  show(box, true);
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => show(box, false), 4000);
}

function showError(text) {
  $('error-text').textContent = text;
  show($('error-banner'), true);
}

/** Before each action: the last action's outcome (error or notice) goes away. */
function clearError() {
  show($('error-banner'), false);
  $('error-text').textContent = '';
  show($('notice'), false);
}

class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** The fields and reasons of a 422 (Powertools' `detail` list, or {field, message}). */
function details(body) {
  if (body === null || body === undefined) return '';
  if (typeof body === 'string') return body;
  const parts = [];
  const list = Array.isArray(body.detail) ? body.detail : Array.isArray(body.errors) ? body.errors : [];
  for (const item of list) {
    const loc = (item.loc || []).filter((p) => p !== 'body' && p !== 'query' && p !== 'path').join('.');
    const field = item.field || loc;
    parts.push(field ? `${field}: ${item.msg || item.message || ''}` : item.msg || item.message || '');
  }
  if (!parts.length) {
    const field = body.field ? `${body.field}: ` : '';
    const message = typeof body.detail === 'string' ? body.detail : body.message || body.error || '';
    if (field || message) parts.push(field + message);
  }
  return parts.join('; ') || JSON.stringify(body);
}

function errorText(error) {
  if (!(error instanceof ApiError)) return t('error.network');
  if (error.status === 409) return `${t('error.conflict')} ${details(error.body)}`.trim();
  if (error.status === 422 || error.status === 400) return t('error.validation', { details: details(error.body) });
  if (error.status === 404) return t('error.not_found', { details: details(error.body) });
  return t('error.other', { status: error.status, details: details(error.body) });
}

/** Run an action; show its error in the banner (a refused key signs out). A user's action
 * first clears the last outcome; a (re)load (`fresh` false) leaves it for the user to read. */
async function guarded(action, fresh = true) {
  if (fresh) clearError();
  try {
    return await action();
  } catch (error) {
    handleError(error);
    return undefined;
  }
}

function handleError(error) {
  const role = error instanceof ApiError && error.status === 403 && /^needs role (\w+)$/.exec(error.body?.detail || '');
  if (role) {
    showError(t('error.role', { role: t(`role.${role[1]}`) }));
  } else if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
    signOut(t('signin.expired'));
  } else {
    showError(errorText(error));
  }
}

// ---- the API ------------------------------------------------------------------------------
async function api(method, path, body, contentType = 'application/json') {
  const headers = { 'X-Api-Key': state.key, Accept: 'application/json' };
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = contentType;
    init.body = contentType === 'application/json' ? JSON.stringify(body) : body;
  }
  let response;
  try {
    response = await fetch(API + path, init);
  } catch (error) {
    throw new TypeError(String(error));
  }
  const text = await response.text();
  let data = text;
  if ((response.headers.get('Content-Type') || '').includes('json') && text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// A path segment; "+" stays as it is (phones in E.164), as the API matches the raw path.
const enc = (value) => encodeURIComponent(value).replace(/%2B/g, '+');

// ---- sign in ------------------------------------------------------------------------------
async function signIn(key) {
  const error = $('signin-error');
  show(error, false);
  if (!key) {
    error.textContent = t('signin.missing');
    show(error, true);
    return;
  }
  state.key = key;
  try {
    state.me = await api('GET', '/me'); // who the key is, and so which tabs to show
  } catch (failure) {
    state.key = '';
    const refused = failure instanceof ApiError && (failure.status === 401 || failure.status === 403);
    error.textContent = refused ? t('signin.wrong') : t('signin.failed', { reason: errorText(failure) });
    show(error, true);
    return;
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  $('signin-key').value = '';
  enterApp();
}

function signOut(reason) {
  state.key = '';
  state.me = null;
  show($('whoami'), false);
  sessionStorage.removeItem(KEY_STORAGE);
  for (const view of document.querySelectorAll('[data-view]')) show(view, false);
  show($('tabs'), false);
  show($('signout'), false);
  show($('signin'), true);
  clearError();
  const error = $('signin-error');
  error.textContent = reason || '';
  show(error, Boolean(reason));
  $('signin-key').focus();
}

async function enterApp() {
  if (!state.me) {
    state.me = await guarded(() => api('GET', '/me'), false);
    if (!state.me) return;
  }
  const allowed = [];
  for (const button of document.querySelectorAll('[data-tab]')) {
    const may = RANK[state.me.role] >= RANK[button.dataset.role];
    show(button, may);
    if (may) allowed.push(button.dataset.tab);
  }
  show($('signin'), false);
  show($('tabs'), true);
  show($('signout'), true);
  renderWhoami();
  openTab(allowed.includes(state.tab) ? state.tab : allowed[0]);
}

function renderWhoami() {
  const who = $('whoami');
  who.textContent = state.me ? t('whoami', { name: state.me.name, role: t(`role.${state.me.role}`) }) : '';
  show(who, Boolean(state.me));
}

// ---- tabs ---------------------------------------------------------------------------------
function openTab(tab) {
  state.tab = tab;
  clearError();
  for (const button of document.querySelectorAll('[data-tab]')) {
    button.setAttribute('aria-selected', String(button.dataset.tab === tab));
  }
  const view = TREES.includes(tab) ? 'tree' : tab;
  for (const section of document.querySelectorAll('[data-view]')) show(section, section.dataset.view === view);
  if (TREES.includes(tab)) loadTree(tab);
  else if (tab === 'conversations') loadConversations();
  else if (tab === 'tickets') loadTickets();
  else if (tab === 'customers') loadCustomers();
  else if (tab === 'failed') loadFailed();
  else if (tab === 'broadcasts') {
    renderBroadcastPreview();
    loadBroadcasts();
  } else if (tab === 'stats') loadStats();
  else if (tab === 'hours') loadHours();
  else if (tab === 'reports') loadReports();
  else if (tab === 'operators') loadOperators();
  else if (tab === 'audit') loadAudit();
  else if (tab === 'canned') {
    editCanned(null);
    loadCanned();
  }
}

function rerender() {
  applyStrings();
  if (!state.key) return;
  if (TREES.includes(state.tab)) renderTree(state.tab);
  else if (state.tab === 'tickets') renderTicketFilters();
  else if (state.tab === 'conversations') loadConversations();
  else if (state.tab === 'customers') loadCustomers();
  else if (state.tab === 'failed') loadFailed();
  else if (state.tab === 'broadcasts') loadBroadcasts();
  else if (state.tab === 'stats') loadStats();
  else if (state.tab === 'hours') renderHours(hoursBody());
  else if (state.tab === 'reports') loadReports();
  else if (state.tab === 'operators') loadOperators();
  else if (state.tab === 'audit') loadAudit();
  else if (state.tab === 'canned') renderCannedList();
  renderWhoami();
}

// ---- trees --------------------------------------------------------------------------------
/** The API's nested nodes, each with `id` (its node_id) and `children`. */
function treeNodes(list) {
  return (list || []).map((node) => ({ ...node, id: node.node_id, children: treeNodes(node.children) }));
}

function indexTree(nodes) {
  const byId = new Map();
  const walk = (list, parentId) => {
    list.forEach((node) => {
      byId.set(node.id, { node, parentId });
      walk(node.children || [], node.id);
    });
  };
  walk(nodes, ROOT);
  return byId;
}

async function loadTree(tree) {
  const body = await guarded(() => api('GET', `/trees/${tree}`), false);
  if (body === undefined) return;
  const nodes = treeNodes(body.nodes);
  state.trees[tree] = { nodes, byId: indexTree(nodes) };
  setContentLanguages(body.default_language, body.languages);
  if (state.editing && state.editing.tree !== tree) state.editing = null;
  renderTree(tree);
}

function siblingsOf(tree, parentId) {
  const data = state.trees[tree];
  return parentId === ROOT ? data.nodes : data.byId.get(parentId)?.node.children || [];
}

function renderTree(tree) {
  const data = state.trees[tree];
  if (!data || state.tab !== tree) return;
  const list = $('tree-list');
  list.replaceChildren(...data.nodes.map((node, i) => treeItem(tree, node, ROOT, i, data.nodes.length)));
  show($('tree-empty'), data.nodes.length === 0);
  renderEditor(tree);
}

function treeItem(tree, node, parentId, index, count) {
  const selected = state.selected[tree] === node.id;
  const children = node.children || [];
  return el(
    'li',
    { testid: 'tree-node', dataset: { nodeId: node.id, parentId } },
    el(
      'div',
      { class: selected ? 'row selected' : 'row', testid: 'node-row' },
      el('button', {
        type: 'button',
        class: 'link title',
        testid: 'node-select',
        text: node.title || node.id,
        'aria-current': selected ? 'true' : null,
        onclick: () => selectNode(tree, node.id),
      }),
      el('button', {
        type: 'button',
        class: 'icon',
        testid: 'node-up',
        text: '▲',
        title: t('tree.up'),
        'aria-label': `${t('tree.up')}: ${node.title}`,
        disabled: index === 0,
        onclick: () => shift(tree, parentId, node.id, -1),
      }),
      el('button', {
        type: 'button',
        class: 'icon',
        testid: 'node-down',
        text: '▼',
        title: t('tree.down'),
        'aria-label': `${t('tree.down')}: ${node.title}`,
        disabled: index === count - 1,
        onclick: () => shift(tree, parentId, node.id, 1),
      }),
    ),
    children.length
      ? el('ul', {}, ...children.map((child, i) => treeItem(tree, child, node.id, i, children.length)))
      : null,
  );
}

function selectNode(tree, nodeId) {
  state.selected[tree] = nodeId;
  state.editing = { tree, mode: 'edit', nodeId };
  renderTree(tree);
  $('node-title').focus();
}

async function shift(tree, parentId, nodeId, step) {
  const ids = siblingsOf(tree, parentId).map((n) => n.id);
  const from = ids.indexOf(nodeId);
  const to = from + step;
  if (from < 0 || to < 0 || to >= ids.length) return;
  [ids[from], ids[to]] = [ids[to], ids[from]];
  const done = await guarded(() => api('POST', `/trees/${tree}/reorder`, { parent_id: parentId, order: ids }));
  await loadTree(tree); // in either case: the page shows the stored order
  if (done !== undefined) notice(t('editor.reordered'));
}

function startCreate(tree, parentId) {
  state.editing = { tree, mode: 'create', parentId };
  renderEditor(tree);
  $('node-title').focus();
}

// ---- languages: the node's own title and text are the default language's; each other language
// has its own fields (empty: the bot shows the default's), one language shown at a time
function setContentLanguages(fallback, languages) {
  if (!fallback || !Array.isArray(languages)) return;
  state.content = { default: fallback, languages };
  if (!languages.includes(state.contentLang)) state.contentLang = fallback;
  const base = document.querySelector('[data-testid="language-fields"]');
  base.dataset.lang = fallback;
  for (const language of languages.slice(1)) {
    if (document.querySelector(`[data-testid="language-fields"][data-lang="${language}"]`)) continue;
    const block = base.cloneNode(true);
    block.dataset.lang = language;
    for (const field of block.querySelectorAll('input, textarea')) {
      field.dataset.testid += `-${language}`; // node-title-en, node-text-en
      field.value = '';
    }
    block.append(el('p', { class: 'muted', testid: `fallback-${language}` }));
    base.after(block);
  }
}

function langField(name, language) {
  return $(language === state.content.default ? `node-${name}` : `node-${name}-${language}`);
}

function showLanguage(tree, language) {
  state.contentLang = language;
  renderLanguages();
  renderPreview(tree);
}

function renderLanguages() {
  const { default: fallback, languages } = state.content;
  $('editor-languages').replaceChildren(
    ...languages.map((language) => {
      const name = t(`language.${language}`);
      return el('button', {
        type: 'button',
        testid: 'editor-language',
        dataset: { lang: language },
        'aria-selected': String(language === state.contentLang),
        text: language === fallback ? t('editor.language_default', { language: name }) : name,
        onclick: () => showLanguage(state.tab, language),
      });
    }),
  );
  show($('editor-languages'), languages.length > 1);
  for (const block of document.querySelectorAll('[data-testid="language-fields"]')) {
    show(block, block.dataset.lang === state.contentLang);
  }
  for (const language of languages.slice(1)) {
    $(`fallback-${language}`).textContent = t('editor.fallback', { text: $('node-title').value || '—' });
  }
}

/** What the bot shows in the editor's language: each empty field falls back to the default's. */
function shownFields() {
  const language = state.contentLang;
  const own = { title: langField('title', language).value, text: langField('text', language).value };
  if (language === state.content.default) return own;
  return { title: own.title.trim() || $('node-title').value, text: own.text || $('node-text').value };
}

function renderEditor(tree) {
  const editing = state.editing && state.editing.tree === tree ? state.editing : null;
  const data = state.trees[tree];
  const form = $('node-editor');
  let node = null;
  if (editing && editing.mode === 'edit') {
    node = data.byId.get(editing.nodeId)?.node || null;
    if (!node) state.editing = null;
  }
  const active = Boolean(state.editing && (node || editing.mode === 'create'));
  show(form, active);
  show($('editor-placeholder'), !active);
  if (!active) {
    renderPreview(tree);
    return;
  }
  const creating = editing.mode === 'create';
  const parent = creating && editing.parentId !== ROOT ? data.byId.get(editing.parentId)?.node : null;
  $('editor-heading').textContent = creating
    ? parent ? t('editor.new_child', { title: parent.title }) : t('editor.new_root')
    : t('editor.edit', { title: node.title });
  $('editor-version').textContent = creating ? '' : t('editor.version', { version: node.version ?? '' });
  $('node-save').textContent = creating ? t('editor.create') : t('editor.save');
  show($('node-add-child'), !creating);
  show($('node-delete'), !creating);
  show($('node-move'), !creating);
  show($('node-cancel'), creating);
  if (form.dataset.loaded !== `${tree}:${editing.mode}:${node ? `${node.id}:${node.version}` : editing.parentId}`) {
    form.dataset.loaded = `${tree}:${editing.mode}:${node ? `${node.id}:${node.version}` : editing.parentId}`;
    $('node-title').value = node?.title ?? '';
    $('node-text').value = node?.text ?? '';
    for (const language of state.content.languages.slice(1)) {
      const given = node?.translations?.[language] || {};
      langField('title', language).value = given.title ?? '';
      langField('text', language).value = given.text ?? '';
    }
    $('node-ask').value = node?.ask ?? '';
    $('node-required').checked = node ? node.required !== false : true;
    $('node-submit').checked = Boolean(node?.submit);
    $('node-min-length').value = node?.min_length ?? '';
    $('node-max-length').value = node?.max_length ?? '';
  }
  show($('complaint-fields'), tree === 'complaints');
  renderLanguages();
  if (!creating) renderMoveTargets(tree, node);
  renderPreview(tree);
}

/** Every node outside the moved node's own subtree can be its new parent. */
function renderMoveTargets(tree, node) {
  const data = state.trees[tree];
  const select = $('node-move-parent');
  const current = data.byId.get(node.id).parentId;
  const options = [el('option', { value: ROOT, text: t('tree.root') })];
  const walk = (list, depth) => {
    for (const candidate of list) {
      if (candidate.id === node.id) continue;
      options.push(el('option', { value: candidate.id, text: `${'  '.repeat(depth)}${candidate.title}` }));
      walk(candidate.children || [], depth + 1);
    }
  };
  walk(data.nodes, 1);
  select.replaceChildren(...options);
  select.value = current;
}

function editorFields(tree) {
  const fields = { title: $('node-title').value, text: $('node-text').value, translations: {} };
  for (const language of state.content.languages.slice(1)) {
    const title = langField('title', language).value.trim();
    const text = langField('text', language).value;
    if (title || text) fields.translations[language] = { title: title || null, text: text || null };
  }
  if (tree === 'complaints') {
    const number = (testid) => ($(testid).value === '' ? null : Number($(testid).value));
    Object.assign(fields, {
      ask: $('node-ask').value || null,
      required: $('node-required').checked,
      submit: $('node-submit').checked,
      min_length: number('node-min-length'),
      max_length: number('node-max-length'),
    });
  }
  return fields;
}

async function saveNode(tree) {
  const editing = state.editing;
  if (!editing) return;
  const fields = editorFields(tree);
  if (editing.mode === 'create') {
    const created = await guarded(() =>
      api('POST', `/trees/${tree}/nodes`, { parent_id: editing.parentId, ...fields }),
    );
    if (created === undefined) return;
    state.selected[tree] = created.node_id;
    state.editing = { tree, mode: 'edit', nodeId: created.node_id };
  } else {
    const node = state.trees[tree].byId.get(editing.nodeId).node;
    const body = { ...fields, version: node.version };
    clearError();
    try {
      await api('PUT', `/trees/${tree}/nodes/${enc(node.id)}`, body);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) await reloadKeepingEdits(tree);
      handleError(error);
      return;
    }
  }
  await loadTree(tree);
  notice(t(editing.mode === 'create' ? 'editor.created' : 'editor.saved'));
}

/** After a 409: the fresh version is loaded; what the admin typed stays in the form. */
async function reloadKeepingEdits(tree) {
  const fields = [...document.querySelectorAll('[data-testid="language-fields"] input, [data-testid="language-fields"] textarea')];
  const typed = fields.map((field) => field.value);
  await loadTree(tree);
  fields.forEach((field, i) => { field.value = typed[i]; });
  renderPreview(tree);
}

function countDescendants(node) {
  return (node.children || []).reduce((sum, child) => sum + 1 + countDescendants(child), 0);
}

function confirmDialog(text) {
  const dialog = $('confirm-dialog');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

async function deleteNode(tree) {
  const node = state.trees[tree].byId.get(state.editing.nodeId).node;
  const nested = countDescendants(node);
  const question = nested
    ? t('confirm.cascade', { title: node.title, count: nested })
    : t('confirm.delete', { title: node.title });
  if (!(await confirmDialog(question))) return;
  const query = `?version=${node.version}${nested ? '&cascade=true' : ''}`;
  const done = await guarded(() => api('DELETE', `/trees/${tree}/nodes/${enc(node.id)}${query}`));
  if (done === undefined) return;
  state.editing = null;
  delete state.selected[tree];
  await loadTree(tree);
  notice(t('editor.deleted'));
}

async function moveNode(tree) {
  const node = state.trees[tree].byId.get(state.editing.nodeId).node;
  // No position: kept within the same parent, last under a new one.
  const body = { parent_id: $('node-move-parent').value, version: node.version };
  const done = await guarded(() => api('POST', `/trees/${tree}/nodes/${enc(node.id)}/move`, body));
  await loadTree(tree);
  if (done !== undefined) notice(t('editor.moved'));
}

async function exportTree(tree) {
  const body = await guarded(() => api('GET', `/trees/${tree}/export`));
  if (body === undefined) return;
  const blob = new Blob([JSON.stringify(body, null, 2)], { type: 'application/json' });
  const link = el('a', { href: URL.createObjectURL(blob), download: `${tree}.json` });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function importTree(tree) {
  const file = $('tree-import-file').files[0];
  if (!file) return showError(t('orders.no_file'));
  let parsed;
  try {
    parsed = JSON.parse(await file.text());
  } catch (error) {
    return showError(t('orders.bad_json', { reason: error.message }));
  }
  const body = { nodes: Array.isArray(parsed) ? parsed : parsed.nodes, replace: $('tree-import-replace').checked };
  const done = await guarded(() => api('POST', `/trees/${tree}/import`, body));
  if (done === undefined) return;
  state.editing = null;
  await loadTree(tree);
  notice(t('tree.imported'));
}

// ---- the Telegram preview -------------------------------------------------------------------
function renderPreview(tree) {
  const textBox = $('preview-text');
  const buttons = $('preview-buttons');
  const warning = $('preview-warning');
  const editing = state.editing && state.editing.tree === tree ? state.editing : null;
  show($('node-preview'), Boolean(editing));
  if (!editing) {
    textBox.replaceChildren();
    buttons.replaceChildren();
    show(warning, false);
    return;
  }
  const node = editing.mode === 'edit' ? state.trees[tree].byId.get(editing.nodeId)?.node : null;
  const { title, text: body } = shownFields();
  const children = node?.children || [];
  // The bot shows the title in bold, then the text; a section with children adds a hint.
  const bold = el('b', { text: title });
  const { fragment, error } = renderTelegramHtml(body);
  const parts = [bold];
  if (tree === 'faq' && children.length) parts.push(document.createTextNode(`\n\n${t('preview.category_hint')}`));
  if (body) parts.push(document.createTextNode('\n\n'), fragment);
  const ask = tree === 'complaints' ? $('node-ask').value : '';
  if (ask) parts.push(document.createTextNode(`\n\n${t(`preview.ask_${ask}`)}`));
  textBox.replaceChildren(...parts);
  const rows = children.map((child) =>
    el('div', { class: 'tg-row' }, el('span', { class: 'tg-button', testid: 'preview-button', text: child.translations?.[state.contentLang]?.title || child.title })),
  );
  if (tree === 'complaints' && $('node-submit').checked) {
    rows.push(el('div', { class: 'tg-row' }, el('span', { class: 'tg-button', text: t('preview.submit') })));
  }
  // A customer comes down the menus, so Up would lead where Back does: the bot shows no Up then.
  const nav = el(
    'div',
    { class: 'tg-row' },
    el('span', { class: 'tg-button', text: t('preview.back') }),
    el('span', { class: 'tg-button', text: t('preview.home') }),
  );
  buttons.replaceChildren(...rows, nav);
  warning.textContent = error ? t('preview.bad_html', { reason: t(`preview.reason.${error.reason}`) }) : '';
  show(warning, Boolean(error));
}

// ---- conversations ------------------------------------------------------------------------
function when(value) {
  if (value === undefined || value === null || value === '') return '';
  const date = typeof value === 'number' ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString(state.lang);
}

/** The customer as people know them: their name, else "User <id>". */
function conversationLabel(userId, customer) {
  return customer?.name || t('conv.user', { id: userId });
}

/** Name, phone (masked by the API: customer_phone) and type, as one line. */
function customerLine(c) {
  const parts = [conversationLabel(c.user_id, c.customer)];
  if (c.customer_phone) parts.push(c.customer_phone);
  if (c.customer?.type) parts.push(label('conv.type', c.customer.type));
  return parts.join(' · ');
}

/** What the list says of a conversation beside its preview: rating, order, unread. */
function conversationFacts(c) {
  const facts = [];
  if (c.rating) facts.push(t('conv.rating', { rating: c.rating }));
  if (c.order?.number || c.order?.id) facts.push(t('conv.order', { number: c.order.number || c.order.id }));
  if (c.unread) facts.push(t('conv.unread', { count: c.unread }));
  facts.push(t('conv.count', { count: c.messages }), when(c.last_activity_at));
  return facts.join(' · ');
}

function renderInboxFilters() {
  for (const [name, values, prefix] of [
    ['inbox-status', ['open', 'answered', 'closed', 'rated'], 'conv.status'],
    ['inbox-desk', ['inbox', 'blinger'], 'conv.desk'],
  ]) {
    const select = $(name);
    const chosen = select.value;
    select.replaceChildren(
      el('option', { value: '', text: t('conv.any') }),
      ...values.map((v) => el('option', { value: v, text: label(prefix, v) })),
    );
    select.value = chosen;
  }
}

/** One filter at a time (each is its own index): the one just chosen clears the others. */
function keepOneFilter(changed) {
  const filters = { 'inbox-tag': 'value', 'inbox-mine': 'checked', 'inbox-status': 'value', 'inbox-desk': 'value' };
  for (const [name, field] of Object.entries(filters)) {
    if (name !== changed) $(name)[field] = field === 'checked' ? false : '';
  }
  loadConversations();
}

function conversationRow(c) {
  const id = c.id;
  return el(
    'li',
    { testid: 'conversation-item', dataset: { id, userId: String(c.user_id), status: c.status }, class: id === state.conversation ? 'selected' : '' },
    el(
      'button',
      { type: 'button', class: 'link', onclick: () => openConversation(id) },
      el('strong', { testid: 'conversation-who', text: `${id} · ${customerLine(c)}` }),
      el('span', { class: c.open ? 'badge' : 'badge muted', testid: 'conversation-status', text: label('conv.status', c.status) }),
      c.undelivered ? el('span', { class: 'badge warn', testid: 'conversation-undelivered', text: `⚠️ ${c.undelivered}` }) : '',
      c.banned_until
        ? el('span', { class: 'badge warn', testid: 'conversation-banned', title: t('ban.until_short', { until: when(c.banned_until) }), text: `⛔ ${t('ban.badge')}` })
        : '',
      el('span', { class: 'muted', testid: 'conversation-facts', text: ` ${conversationFacts(c)}` }),
      el('span', { class: 'preview', testid: 'conversation-last', text: c.preview }),
    ),
  );
}

async function loadConversations(cursor) {
  renderInboxFilters();
  const query = new URLSearchParams();
  const tag = $('inbox-tag').value.trim().toLowerCase();
  if (tag) query.set('tag', tag);
  else if ($('inbox-mine').checked) query.set('assignee', 'me');
  else if ($('inbox-status').value) query.set('status', $('inbox-status').value);
  else if ($('inbox-desk').value) query.set('desk', $('inbox-desk').value);
  if (typeof cursor === 'string') query.set('cursor', cursor);
  const suffix = query.toString() ? `?${query}` : '';
  const body = await guarded(() => api('GET', `/conversations${suffix}`), false);
  if (body === undefined) return;
  const rows = body.conversations.map(conversationRow);
  if (typeof cursor === 'string') $('conversation-list').append(...rows);
  else $('conversation-list').replaceChildren(...rows);
  show($('conversations-empty'), typeof cursor !== 'string' && rows.length === 0);
  const more = $('conversations-more');
  show(more, Boolean(body.next_cursor));
  more.onclick = body.next_cursor ? () => loadConversations(body.next_cursor) : null;
  if (typeof cursor === 'string') return;
  if (state.conversation) await openConversation(state.conversation);
  else showThread(false);
}

/** The inbox reads itself again every REFRESH_MS while it is shown (and the tab is visible). */
function refreshInbox() {
  if (state.key && state.tab === 'conversations' && document.visibilityState === 'visible' && !state.refreshing) {
    state.refreshing = true;
    loadConversations().finally(() => {
      state.refreshing = false;
    });
  }
}

function partText(part) {
  if (part.text) return part.text;
  return `📎 ${part.file_name || part.kind}`;
}

function showThread(visible, closable = false) {
  show($('thread-placeholder'), !visible);
  show($('reply-form'), visible);
  show($('conversation-close'), visible && closable);
  show($('canned-picker'), visible);
  show($('triage'), visible);
  if (visible) loadCanned().then(renderCannedOptions);
  if (!visible) {
    $('conversation-thread').replaceChildren();
    $('thread-title').textContent = '';
  }
}

/** A message's parts: the customer's as plain text, ours as the Telegram HTML they were sent as;
 * photos as thumbnails and files as links (presigned URLs of the copies the bot keeps). */
function messageBody(message) {
  const outgoing = message.direction === 'to_customer';
  return message.parts.map((part) => {
    const box = el('div', { class: 'body', testid: 'thread-text' });
    const name = part.file_name || part.kind;
    if (part.url && part.kind === 'image') {
      box.append(
        el('a', { href: part.url, target: '_blank', rel: 'noopener' }, el('img', { class: 'thumb', testid: 'thread-thumb', src: part.url, alt: name })),
      );
      if (part.text) box.append(el('div', { text: part.text }));
    } else if (part.url) {
      box.append(el('a', { href: part.url, target: '_blank', rel: 'noopener', testid: 'thread-file', text: t('conv.file', { name }) }));
    } else if (outgoing && part.text) box.append(renderTelegramHtml(part.text).fragment);
    else if (part.text) box.textContent = part.text;
    else box.textContent = t(part.file_id || part.file_key ? 'conv.file_missing' : 'conv.file', { name });
    return box;
  });
}

function messageRow(m) {
  const outgoing = m.direction === 'to_customer';
  const who = outgoing ? t('conv.out') : m.direction === 'to_desk' ? t('conv.to_desk') : m.destination === 'warehouse' ? t('conv.to_warehouse') : t('conv.in');
  const status = `${label('delivery', m.status)}${m.reason ? ` (${m.reason})` : ''}`;
  const retry =
    m.status === 'failed'
      ? el('button', { type: 'button', testid: 'message-retry', text: t('conv.retry'), onclick: () => retryMessage(m.id) })
      : '';
  const place = outgoing ? 'out' : m.direction === 'to_desk' ? 'desk' : 'in';
  return el(
    'li',
    { testid: 'thread-message', class: m.status === 'banned' ? `${place} banned` : place, dataset: { direction: m.direction, status: m.status, id: m.id } },
    el('div', { class: 'meta muted', text: `${who} · ${when(m.created_at)} · ${status}` }, retry),
    ...messageBody(m),
  );
}

/** ``id``: C<number>, or a user id (that user's latest conversation, as the API reads it).
 * ``older``: the cursor of the page before the messages shown (they are prepended). */
async function openConversation(id, older) {
  const suffix = older ? `?cursor=${encodeURIComponent(older)}` : '';
  const body = await guarded(() => api('GET', `/conversations/${enc(id)}${suffix}`), false);
  if (body === undefined) return;
  const conversation = body.conversation;
  const messages = body.messages.map(messageRow);
  const olderButton = $('thread-older');
  show(olderButton, Boolean(body.next_cursor));
  olderButton.onclick = body.next_cursor ? () => openConversation(conversation.id, body.next_cursor) : null;
  if (older) {
    $('conversation-thread').querySelector('[data-testid="thread-message"]')?.before(...messages);
    return;
  }
  state.conversation = conversation.id;
  for (const item of document.querySelectorAll('[data-testid="conversation-item"]')) {
    item.classList.toggle('selected', item.dataset.id === conversation.id);
  }
  $('thread-title').textContent = `${conversation.id} · ${conversationLabel(body.user_id, conversation.customer)} · ${label('conv.status', conversation.status)}`;
  $('thread-who').textContent = [customerLine(conversation), conversationFacts(conversation)].join(' · ');
  const tickets = body.tickets.map((ticket) =>
    el('li', { class: 'ticket', testid: 'thread-ticket', text: `${ticket.ref} · ${label('kind', ticket.kind)} · ${ticketState(ticket)} · ${ticket.title}` }),
  );
  $('conversation-thread').replaceChildren(...tickets, ...messages);
  showThread(true, conversation.open);
  renderTriage(conversation);
  renderBan(body.ban);
  await loadNotes(conversation.id);
}

async function retryMessage(messageId) {
  const done = await guarded(() => api('POST', `/messages/${enc(messageId)}/retry`));
  if (done === undefined) return;
  notice(t('conv.retried'));
  await loadConversations();
}

// ---- bans ---------------------------------------------------------------------------------
function renderBan(ban) {
  $('thread-ban').textContent = ban ? t('ban.until', { until: when(ban.until), name: ban.by_name }) : '';
  show($('thread-ban'), Boolean(ban));
  show($('ban-hours-label'), !ban);
  show($('ban'), !ban);
  show($('unban'), Boolean(ban));
}

async function banCustomer() {
  const id = state.conversation;
  const hours = Number($('ban-hours').value);
  if (!id) return;
  if (!Number.isInteger(hours) || hours < 1 || hours > 8760) {
    showError(t('ban.bad_hours'));
    return;
  }
  if (!(await confirmDialog(t('ban.confirm', { hours })))) return;
  const done = await guarded(() => api('PUT', `/conversations/${enc(id)}/ban`, { hours }));
  if (done !== undefined) await loadConversations(); // the inbox marks the ban; the thread is opened again
}

async function unbanCustomer() {
  const id = state.conversation;
  if (!id) return;
  const done = await guarded(() => api('DELETE', `/conversations/${enc(id)}/ban`));
  if (done !== undefined) await loadConversations();
}

// ---- notes, tags, assignee ----------------------------------------------------------------
function renderTriage(conversation) {
  const mine = state.me && conversation.assignee === state.me.id;
  $('thread-assignee').textContent = conversation.assignee
    ? t('triage.assignee', { name: mine ? state.me.name : conversation.assignee })
    : t('triage.nobody');
  show($('assign-me'), !mine);
  show($('unassign'), Boolean(conversation.assignee));
  $('thread-tags').replaceChildren(
    ...conversation.tags.map((tag) =>
      el(
        'span',
        { class: 'badge', testid: 'thread-tag', dataset: { tag } },
        `#${tag} `,
        el('button', { type: 'button', class: 'link', testid: 'tag-remove', 'aria-label': tag, text: '×', onclick: () => changeTag(tag, false) }),
      ),
    ),
  );
}

async function loadNotes(id) {
  const body = await guarded(() => api('GET', `/conversations/${enc(id)}/notes`), false);
  if (body === undefined) return;
  $('thread-notes').replaceChildren(
    ...body.notes.map((note) =>
      el(
        'li',
        { testid: 'thread-note', class: 'desk' },
        el('div', { class: 'meta muted', text: `${note.author_name} · ${when(note.at)}` }),
        el('div', { class: 'body', text: note.text }),
      ),
    ),
  );
}

async function changeTag(tag, present) {
  const id = state.conversation;
  const value = tag.trim().toLowerCase();
  if (!id || !value) return;
  const done = await guarded(() =>
    present ? api('POST', `/conversations/${enc(id)}/tags`, { tag: value }) : api('DELETE', `/conversations/${enc(id)}/tags/${enc(value)}`),
  );
  if (done === undefined) return;
  $('tag-input').value = '';
  renderTriage(done);
}

async function assign(assignee) {
  const id = state.conversation;
  if (!id) return;
  const done = await guarded(() => api('PUT', `/conversations/${enc(id)}/assignee`, { assignee }));
  if (done !== undefined) renderTriage(done);
}

async function addNote() {
  const id = state.conversation;
  const text = $('note-text').value.trim();
  if (!id || !text) return;
  const done = await guarded(() => api('POST', `/conversations/${enc(id)}/notes`, { text }));
  if (done === undefined) return;
  $('note-text').value = '';
  await loadNotes(id);
}

function showConversation(id) {
  state.conversation = id;
  openTab('conversations');
}

async function sendReply() {
  const text = $('reply-text').value.trim();
  const id = state.conversation;
  if (!text || !id) return;
  const done = await guarded(() => api('POST', `/conversations/${enc(id)}/reply`, { text }));
  if (done === undefined) return;
  $('reply-text').value = '';
  await openConversation(id);
  notice(t('conv.sent'));
}

async function closeConversation() {
  const id = state.conversation;
  if (!id) return;
  const done = await guarded(() => api('POST', `/conversations/${enc(id)}/close`));
  if (done === undefined) return;
  await loadConversations();
  notice(t('conv.closed', { id }));
}

// ---- tickets ------------------------------------------------------------------------------
function ticketState(ticket) {
  return ticket.status === 'closed' && ticket.outcome ? `${label('status', 'closed')}: ${label('outcome', ticket.outcome)}` : label('status', ticket.status);
}

function label(prefix, value) {
  const key = `${prefix}.${value}`;
  return STRINGS[state.lang][key] ? t(key) : String(value);
}

function renderTicketFilters() {
  const fill = (select, values, prefix) => {
    const chosen = select.value;
    select.replaceChildren(
      el('option', { value: '', text: t('tickets.any') }),
      ...values.map((v) => el('option', { value: v, text: label(prefix, v) })),
    );
    select.value = values.includes(chosen) ? chosen : '';
  };
  fill($('tickets-kind'), state.ticketKinds, 'kind');
  fill($('tickets-status'), state.ticketStatuses, 'status');
  for (const select of document.querySelectorAll('[data-testid="ticket-status-select"]')) {
    const chosen = select.value;
    select.replaceChildren(...state.ticketStatuses.map((v) => el('option', { value: v, text: label('status', v) })));
    select.value = chosen;
  }
}

async function loadTickets(cursor) {
  if (!state.enumsLearned) {
    state.enumsLearned = true;
    await learnTicketEnums();
  }
  renderTicketFilters();
  const query = new URLSearchParams();
  if ($('tickets-kind').value) query.set('kind', $('tickets-kind').value);
  if ($('tickets-status').value) query.set('status', $('tickets-status').value);
  if (cursor) query.set('cursor', cursor);
  const suffix = query.toString() ? `?${query}` : '';
  const body = await guarded(() => api('GET', `/tickets${suffix}`), false);
  if (body === undefined) return;
  const rows = body.tickets.map(ticketRow);
  if (cursor) $('ticket-list').append(...rows);
  else $('ticket-list').replaceChildren(...rows);
  show($('tickets-empty'), !cursor && rows.length === 0);
  const more = $('tickets-more');
  show(more, Boolean(body.next_cursor));
  more.onclick = body.next_cursor ? () => loadTickets(body.next_cursor) : null;
}

function ticketRow(ticket) {
  const select = el(
    'select',
    { testid: 'ticket-status-select', 'aria-label': t('tickets.change') },
    ...state.ticketStatuses.map((v) => el('option', { value: v, text: label('status', v) })),
  );
  select.value = ticket.status;
  const save = el('button', {
    type: 'button',
    testid: 'ticket-status-save',
    text: t('tickets.save'),
    onclick: async () => {
      const change = { status: select.value, version: ticket.version };
      const done = await guarded(() => api('PATCH', `/tickets/${enc(ticket.ref)}`, change));
      if (done === undefined) return;
      await loadTickets();
      notice(t('tickets.updated', { number: ticket.ref }));
    },
  });
  return el(
    'tr',
    { testid: 'ticket-row', dataset: { number: String(ticket.number), ref: ticket.ref, status: ticket.status ?? '' } },
    el('td', { text: ticket.ref }),
    el('td', { text: label('kind', ticket.kind) }),
    el('td', { testid: 'ticket-status', text: ticketState(ticket) }),
    el('td', {}, el('button', { type: 'button', class: 'link', text: ticket.conversation || conversationLabel(ticket.user_id), onclick: () => showConversation(ticket.conversation || String(ticket.user_id)) })),
    el('td', { text: ticket.title }),
    el('td', { text: when(ticket.created_at) }),
    el('td', {}, select, save),
  );
}

/** Ticket kinds and statuses as the served OpenAPI document declares them, when it does. */
async function learnTicketEnums() {
  let doc;
  try {
    doc = await api('GET', '/openapi.json');
  } catch {
    return;
  }
  const params = doc?.paths?.[`${API}/tickets`]?.get?.parameters || doc?.paths?.['/tickets']?.get?.parameters || [];
  const enumOf = (schema) => {
    if (!schema) return null;
    if (schema.$ref) return enumOf(resolveRef(doc, schema.$ref));
    if (Array.isArray(schema.enum)) return schema.enum.filter((v) => v !== null);
    for (const part of schema.anyOf || schema.oneOf || schema.allOf || []) {
      const found = enumOf(part);
      if (found) return found;
    }
    return null;
  };
  const kinds = enumOf(params.find((p) => p.name === 'kind')?.schema);
  const statuses = enumOf(params.find((p) => p.name === 'status')?.schema);
  if (kinds?.length) state.ticketKinds = kinds;
  if (statuses?.length) state.ticketStatuses = statuses;
}

function resolveRef(doc, ref) {
  return ref.replace(/^#\//, '').split('/').reduce((node, part) => node?.[part], doc);
}

// ---- customers' orders --------------------------------------------------------------------
async function importOrders() {
  const phone = $('orders-phone').value.trim();
  const file = $('orders-file').files[0];
  const result = $('orders-result');
  result.textContent = '';
  if (!file) return showError(t('orders.no_file'));
  const text = await file.text();
  const csv = /\.csv$/i.test(file.name) || file.type === 'text/csv';
  let body = text;
  if (!csv) {
    try {
      body = JSON.parse(text);
    } catch (error) {
      return showError(t('orders.bad_json', { reason: error.message }));
    }
  }
  const path = `/customers/${enc(phone)}/orders/import`;
  const done = await guarded(() => api('POST', path, body, csv ? 'text/csv' : 'application/json'));
  if (done === undefined) return;
  const count = done.imported ?? done.count ?? (Array.isArray(done) ? done.length : done.orders?.length ?? '?');
  result.textContent = t('orders.done', { count });
}

// ---- customers and their orders ----------------------------------------------------------
async function loadCustomers(cursor) {
  const suffix = typeof cursor === 'string' ? `?cursor=${encodeURIComponent(cursor)}` : '';
  const body = await guarded(() => api('GET', `/customers${suffix}`), false);
  if (body === undefined) return;
  const rows = body.customers.map((c) =>
    el(
      'tr',
      { testid: 'customer-row', dataset: { phone: c.phone } },
      el('td', { text: c.phone }),
      el('td', { text: c.name }),
      el('td', { text: `${label('conv.type', c.user_type)}${c.blocked ? ` · ${t('customers.blocked')}` : ''}` }),
      el('td', {}, el('button', { type: 'button', testid: 'customer-orders', text: t('customers.open'), onclick: () => loadOrders(c.phone) })),
    ),
  );
  if (typeof cursor === 'string') $('customer-list').append(...rows);
  else $('customer-list').replaceChildren(...rows);
  show($('customers-empty'), typeof cursor !== 'string' && rows.length === 0);
  const more = $('customers-more');
  show(more, Boolean(body.next_cursor));
  more.onclick = body.next_cursor ? () => loadCustomers(body.next_cursor) : null;
}

async function loadOrders(phone, cursor) {
  const suffix = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
  const body = await guarded(() => api('GET', `/customers/${enc(phone)}/orders${suffix}`), false);
  if (body === undefined) return;
  const heading = $('orders-heading');
  heading.textContent = t('customers.orders', { phone });
  show(heading, true);
  show($('orders-table'), true);
  const rows = body.orders.map((o) =>
    el(
      'tr',
      { testid: 'order-row', dataset: { id: o.id } },
      el('td', { text: o.number }),
      el('td', { text: o.title }),
      el('td', { text: o.status_text || o.status || '' }),
      el('td', { class: 'muted', text: `${o.amount} ${o.currency} · ${when(o.updated_at)}` }),
    ),
  );
  if (cursor) $('order-list').append(...rows);
  else $('order-list').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { text: t('customers.no_orders') }))]));
  const more = $('orders-more');
  show(more, Boolean(body.next_cursor));
  more.onclick = body.next_cursor ? () => loadOrders(phone, body.next_cursor) : null;
}

// ---- failed updates -----------------------------------------------------------------------
async function loadFailed(cursor) {
  const suffix = typeof cursor === 'string' ? `?cursor=${encodeURIComponent(cursor)}` : '';
  const body = await guarded(() => api('GET', `/failed-updates${suffix}`), false);
  if (body === undefined) return;
  const rows = body.items.map((f) =>
    el(
      'tr',
      { testid: 'failed-row', dataset: { id: String(f.update_id) } },
      el('td', { text: String(f.update_id) }),
      el('td', { text: f.user_id ? String(f.user_id) : '—' }),
      el('td', { class: 'muted', text: f.error }),
      el('td', { text: when(f.recorded_at) }),
      el('td', {}, el('button', { type: 'button', testid: 'failed-replay', text: t('failed.replay'), onclick: () => replay(f.update_id) })),
    ),
  );
  if (typeof cursor === 'string') $('failed-list').append(...rows);
  else $('failed-list').replaceChildren(...rows);
  show($('failed-empty'), typeof cursor !== 'string' && rows.length === 0);
  const more = $('failed-more');
  show(more, Boolean(body.next_cursor));
  more.onclick = body.next_cursor ? () => loadFailed(body.next_cursor) : null;
}

async function replay(updateId) {
  const done = await guarded(() => api('POST', `/failed-updates/${updateId}/replay`));
  if (done === undefined) return;
  if (done.replayed) notice(t('failed.replayed', { id: updateId }));
  else showError(t('failed.again', { id: updateId, error: done.error }));
  await loadFailed();
}

// ---- broadcasts ---------------------------------------------------------------------------
function broadcastBody() {
  const body = { text: $('bc-text').value };
  const audience = {};
  if ($('bc-user-type').value) audience.user_type = $('bc-user-type').value;
  if ($('bc-language').value) audience.language = $('bc-language').value;
  body.audience = audience;
  if ($('bc-photo').value.trim()) body.photo_url = $('bc-photo').value.trim();
  const buttonText = $('bc-button-text').value.trim();
  const buttonUrl = $('bc-button-url').value.trim();
  if (buttonText || buttonUrl) {
    if (!buttonText || !buttonUrl) throw new Error(t('bc.need_button_url'));
    body.button = { text: buttonText, url: buttonUrl };
  }
  if ($('bc-start-at').value) body.start_at = new Date($('bc-start-at').value).toISOString();
  return body;
}

function renderBroadcastPreview() {
  const { fragment, error } = renderTelegramHtml($('bc-text').value);
  const photo = $('bc-photo').value.trim();
  const parts = photo ? [el('div', { class: 'muted', text: `🖼 ${photo}` }), fragment] : [fragment];
  $('bc-preview-text').replaceChildren(...parts);
  const buttonText = $('bc-button-text').value.trim();
  $('bc-preview-buttons').replaceChildren(
    ...(buttonText ? [el('div', { class: 'tg-row' }, el('span', { class: 'tg-button', testid: 'bc-preview-button', text: `${buttonText} ↗` }))] : []),
  );
  const warning = $('bc-preview-warning');
  warning.textContent = error ? t('preview.bad_html', { reason: t(`preview.reason.${error.reason}`) }) : '';
  show(warning, Boolean(error));
}

function plainText(html) {
  const box = document.createElement('div');
  box.append(renderTelegramHtml(html).fragment);
  return box.textContent;
}

function audienceLabel(audience) {
  const who = audience.user_type ? t(audience.user_type === 'customer' ? 'bc.customers' : 'bc.partners') : t('bc.everyone');
  return audience.language ? `${who} (${audience.language})` : who;
}

async function submitBroadcast(test) {
  let body;
  try {
    body = broadcastBody();
  } catch (error) {
    showError(error.message);
    return;
  }
  if (test) {
    const chat = $('bc-test-chat').value.trim();
    if (!chat) {
      showError(t('bc.need_test_chat'));
      return;
    }
    body.test_chat_id = Number(chat);
    delete body.start_at;
  } else if (!(await confirmDialog(t('bc.confirm_create', { audience: audienceLabel(body.audience) })))) {
    return;
  }
  const created = await guarded(() => api('POST', '/broadcasts', body));
  if (created === undefined) return;
  notice(test ? t('bc.test_notice', { chat: body.test_chat_id }) : t('bc.created_notice'));
  await loadBroadcasts();
}

function broadcastRow(broadcast) {
  const cancel = ['scheduled', 'running'].includes(broadcast.status)
    ? el('button', { type: 'button', testid: 'bc-cancel', text: t('bc.cancel'), onclick: () => cancelBroadcast(broadcast.id) })
    : null;
  const to = broadcast.test_chat_id !== null ? t('bc.test', { chat: broadcast.test_chat_id }) : audienceLabel(broadcast.audience || {});
  const start = broadcast.status === 'scheduled' ? ` · ${when(broadcast.start_at)}` : '';
  return el(
    'tr',
    { testid: 'bc-row', dataset: { id: broadcast.id } },
    el('td', { text: when(broadcast.created_at) }),
    el('td', {}, el('div', { text: plainText(broadcast.text).slice(0, 80) }), el('div', { class: 'muted', text: to })),
    el('td', { testid: 'bc-status', text: t(`bc.status.${broadcast.status}`) + start }),
    el('td', { testid: 'bc-counts', text: t('bc.counts', broadcast) }),
    el('td', {}, cancel),
  );
}

async function loadBroadcasts(cursor) {
  const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
  const body = await guarded(() => api('GET', `/broadcasts${query}`), false);
  if (body === undefined) return;
  const rows = body.broadcasts.map(broadcastRow);
  if (cursor) $('bc-list').append(...rows);
  else $('bc-list').replaceChildren(...rows);
  show($('bc-empty'), !cursor && rows.length === 0);
  const more = $('bc-more');
  show(more, Boolean(body.next_cursor));
  more.onclick = body.next_cursor ? () => loadBroadcasts(body.next_cursor) : null;
}

async function cancelBroadcast(id) {
  if (!(await confirmDialog(t('bc.confirm_cancel')))) return;
  const done = await guarded(() => api('POST', `/broadcasts/${enc(id)}/cancel`));
  if (done !== undefined) await loadBroadcasts();
}

// ---- stats --------------------------------------------------------------------------------
async function loadStats() {
  const body = await guarded(() => api('GET', '/stats'), false);
  if (body === undefined) return;
  const row = (name, text, value) => [
    el('dt', { text }),
    el('dd', { testid: 'stat-value', dataset: { stat: name }, text: String(value) }),
  ];
  const rows = [
    ...row('users', t('stats.users'), body.users),
    ...row('conversations', t('stats.conversations'), body.conversations),
    ...row('conversations_open', t('stats.conversations_open'), body.conversations_open),
    ...row('undelivered', t('stats.undelivered'), body.undelivered),
    ...row('rated', t('stats.rated'), body.ratings.rated),
    ...row('rating_average', t('stats.rating_average'), body.ratings.average ?? '—'),
  ];
  for (const [status, count] of Object.entries(body.tickets_by_status || {})) {
    rows.push(...row(`status.${status}`, t('stats.tickets_status', { status: label('status', status) }), count));
  }
  for (const [kind, count] of Object.entries(body.tickets_by_kind || {})) {
    rows.push(...row(`kind.${kind}`, t('stats.tickets_kind', { kind: label('kind', kind) }), count));
  }
  $('stats').replaceChildren(...rows);
}

// ---- business hours -----------------------------------------------------------------------
// GET|PUT /settings/business-hours: {} is always open; a day missing from `week` is closed. The
// form keeps what is typed (the API checks it and names a bad field); a language change redraws it
// from what the form holds.
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

async function loadHours() {
  const body = await guarded(() => api('GET', '/settings/business-hours'), false);
  if (body !== undefined) renderHours(body);
}

/** The schedule the form holds, as the API takes it. */
function hoursBody() {
  if ($('hours-always').checked) return {};
  const week = {};
  for (const row of $('hours-days').querySelectorAll('[data-testid=hours-day]')) {
    const ranges = [...row.querySelectorAll('[data-testid=hours-range]')].map((range) => [
      $('hours-start', range).value.trim(),
      $('hours-end', range).value.trim(),
    ]);
    if (ranges.length) week[row.dataset.day] = ranges;
  }
  const holidays = [...$('hours-holidays').querySelectorAll('[data-testid=hours-holiday-date]')]
    .map((input) => input.value)
    .filter(Boolean);
  return { week, holidays };
}

function hoursRange(cell, [start, end] = ['', '']) {
  const clock = (testid, value, placeholder, label) =>
    el('input', { type: 'text', testid, value, placeholder, maxlength: 5, size: 5, inputmode: 'numeric', 'aria-label': label });
  const remove = () => {
    range.remove();
    renderHoursState();
  };
  const range = el(
    'span',
    { class: 'hours-range', testid: 'hours-range' },
    clock('hours-start', start, '09:00', t('hours.start')),
    ' – ',
    clock('hours-end', end, '18:00', t('hours.end')),
    el('button', { type: 'button', class: 'link', testid: 'hours-range-remove', text: t('hours.remove'), onclick: remove }),
  );
  cell.insertBefore(range, $('hours-closed', cell));
  return range;
}

function hoursHoliday(date = '') {
  const item = el(
    'li',
    { testid: 'hours-holiday' },
    el('input', { type: 'date', testid: 'hours-holiday-date', value: date, 'aria-label': t('hours.holiday') }),
    ' ',
    el('button', { type: 'button', class: 'link', testid: 'hours-holiday-remove', text: t('hours.remove'), onclick: () => item.remove() }),
  );
  $('hours-holidays').append(item);
  return item;
}

function renderHours(body) {
  $('hours-always').checked = !('week' in body) && !('holidays' in body);
  const row = (day) => {
    const cell = el('td', {}, el('span', { class: 'muted', testid: 'hours-closed', text: t('hours.closed') }));
    for (const range of (body.week || {})[day] || []) hoursRange(cell, range);
    const add = () => {
      hoursRange(cell).querySelector('input').focus();
      renderHoursState();
    };
    return el(
      'tr',
      { testid: 'hours-day', dataset: { day } },
      el('th', { text: t(`day.${day}`) }),
      cell,
      el('td', {}, el('button', { type: 'button', testid: 'hours-range-add', text: t('hours.add_range'), onclick: add })),
    );
  };
  $('hours-days').replaceChildren(...DAYS.map(row));
  $('hours-holidays').replaceChildren();
  for (const date of body.holidays || []) hoursHoliday(date);
  renderHoursState();
}

/** Closed days say so; the week is greyed out while always open; a week with no hours warns. */
function renderHoursState() {
  const always = $('hours-always').checked;
  let ranges = 0;
  for (const row of $('hours-days').querySelectorAll('[data-testid=hours-day]')) {
    const count = row.querySelectorAll('[data-testid=hours-range]').length;
    ranges += count;
    show($('hours-closed', row), count === 0);
  }
  const controls = ['hours-week', 'hours-holidays-box'].map((id) => `[data-testid=${id}] :is(input, button)`);
  for (const control of document.querySelectorAll(controls.join(', '))) control.disabled = always;
  show($('hours-never'), !always && ranges === 0);
}

async function saveHours() {
  for (const input of $('view-hours').querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const save = async () => {
    try {
      return await api('PUT', '/settings/business-hours', hoursBody());
    } catch (error) {
      // 422: against the document; 400: a rule it cannot state (an empty range); both name the field
      if (error instanceof ApiError && (error.status === 422 || error.status === 400)) markHoursFields(error.body);
      throw error;
    }
  };
  const saved = await guarded(save);
  if (saved === undefined) return;
  renderHours(saved);
  notice(t('hours.saved'));
}

/** The inputs a 422 or 400 names (`loc`: body, week, <day>, <range>[, 0 start | 1 end], or body,
 * holidays, <n>) are marked, the first focused: the banner says why. */
function markHoursFields(body) {
  const marked = [];
  for (const item of Array.isArray(body?.detail) ? body.detail : []) {
    const [where, ...loc] = (item.loc || []).filter((part) => part !== 'body');
    if (where === 'week') {
      const row = $('hours-days').querySelector(`[data-day="${loc[0]}"]`);
      const range = row?.querySelectorAll('[data-testid=hours-range]')[loc[1]];
      const names = loc[2] === 1 ? ['hours-end'] : loc[2] === 0 ? ['hours-start'] : ['hours-start', 'hours-end'];
      if (range) marked.push(...names.map((name) => $(name, range)));
    } else if (where === 'holidays') {
      marked.push($('hours-holidays').querySelectorAll('[data-testid=hours-holiday-date]')[loc[0]]);
    }
  }
  for (const input of marked.filter(Boolean)) input.setAttribute('aria-invalid', 'true');
  marked.find(Boolean)?.focus();
}

// ---- reports --------------------------------------------------------------------------------
// GET /reports (figures per opening week), /reports/charts/<name> (SVG drawn by the API, shown as
// images from blob: URLs: the page's key goes in a header, which an <img> cannot send) and
// /reports/csv.
const CHARTS = ['weeks', 'hours', 'weekdays', 'ratings'];

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return t('reports.duration_s', { n: Math.round(seconds) });
  if (seconds < 5400) return t('reports.duration_m', { n: Math.round(seconds / 60) });
  return t('reports.duration_h', { n: Math.round(seconds / 360) / 10 });
}

async function loadReports() {
  const weeks = $('reports-weeks').value;
  const body = await guarded(() => api('GET', `/reports?weeks=${weeks}`), false);
  if (body === undefined) return;
  const row = (name, text, value) => [
    el('dt', { text }),
    el('dd', { testid: 'report-total', dataset: { total: name }, text: String(value) }),
  ];
  $('reports-totals').replaceChildren(
    ...row('opened', t('reports.total_opened'), body.opened),
    ...row('first_answer', t('reports.first_answer'), duration(body.first_answer_seconds)),
    ...row('resolution', t('reports.resolution'), duration(body.resolution_seconds)),
    ...row('rating', t('reports.rating'), body.rating_average ?? '—'),
    ...row('ratings', t('reports.ratings'), Object.values(body.ratings).join(' · ')),
  );
  $('reports-rows').replaceChildren(
    ...body.weeks.map((week) =>
      el(
        'tr',
        { testid: 'report-week', dataset: { week: week.week } },
        el('td', { text: `${week.week} (${week.starts})` }),
        el('td', { testid: 'report-opened', text: String(week.opened) }),
        el('td', { text: String(week.answered) }),
        el('td', { testid: 'report-first-answer', text: duration(week.first_answer_seconds) }),
        el('td', { text: String(week.resolved) }),
        el('td', { text: duration(week.resolution_seconds) }),
        el('td', { text: String(week.rated) }),
        el('td', { testid: 'report-rating', text: String(week.rating_average ?? '—') }),
      ),
    ),
  );
  $('reports-operator-rows').replaceChildren(
    ...body.operators.map((row) =>
      el(
        'tr',
        { testid: 'report-operator' },
        el('td', { text: row.operator }),
        el('td', { text: String(row.answered) }),
        el('td', { text: duration(row.first_answer_seconds) }),
      ),
    ),
  );
  show($('reports-operators-empty'), body.operators.length === 0);
  for (const name of CHARTS) {
    const svg = await guarded(() => api('GET', `/reports/charts/${name}?weeks=${weeks}&lang=${state.lang}`), false);
    if (svg === undefined) return;
    const image = $(`report-chart-${name}`);
    if (image.src.startsWith('blob:')) URL.revokeObjectURL(image.src);
    image.src = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    image.alt = t(`reports.chart_${name}`);
  }
}

async function downloadReport(by = 'week') {
  const text = await guarded(() => api('GET', `/reports/csv?weeks=${$('reports-weeks').value}&by=${by}`));
  if (text === undefined) return;
  const name = by === 'week' ? 'report.csv' : `report-by-${by}.csv`;
  const link = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// ---- canned replies -----------------------------------------------------------------------
async function loadCanned() {
  const body = await guarded(() => api('GET', '/canned-replies'), false);
  if (body === undefined) return;
  state.canned = { replies: body.canned_replies, default: body.default_language, languages: body.languages };
  renderCannedList();
}

const otherLanguage = () => state.canned.languages.find((language) => language !== state.canned.default);

function renderCannedList() {
  const other = otherLanguage() || '—';
  $('canned-title-other-label').textContent = t('canned.title_other', { lang: other });
  $('canned-text-other-label').textContent = t('canned.text_other', { lang: other });
  $('canned-list').replaceChildren(
    ...state.canned.replies.map((reply) =>
      el(
        'li',
        { testid: 'canned-item', dataset: { id: reply.id } },
        el('button', { type: 'button', class: 'link', text: reply.title, onclick: () => editCanned(reply) }),
      ),
    ),
  );
  show($('canned-empty'), state.canned.replies.length === 0);
}

function editCanned(reply) {
  state.cannedEditing = reply;
  const other = reply?.translations?.[otherLanguage()] || {};
  $('canned-title').value = reply?.title || '';
  $('canned-text').value = reply?.text || '';
  $('canned-title-other').value = other.title || '';
  $('canned-text-other').value = other.text || '';
  show($('canned-delete'), Boolean(reply));
}

async function saveCanned() {
  const body = { title: $('canned-title').value.trim(), text: $('canned-text').value };
  const other = { title: $('canned-title-other').value.trim(), text: $('canned-text-other').value };
  if (otherLanguage() && (other.title || other.text.trim())) {
    body.translations = { [otherLanguage()]: Object.fromEntries(Object.entries(other).filter(([, v]) => v.trim())) };
  }
  const editing = state.cannedEditing;
  const saved = await guarded(() =>
    editing
      ? api('PUT', `/canned-replies/${enc(editing.id)}`, { ...body, version: editing.version })
      : api('POST', '/canned-replies', body),
  );
  if (saved === undefined) return;
  await loadCanned();
  editCanned(saved);
  notice(t('canned.saved'));
}

async function deleteCanned() {
  const reply = state.cannedEditing;
  if (!reply || !(await confirmDialog(t('canned.confirm_delete', { title: reply.title })))) return;
  const done = await guarded(() => api('DELETE', `/canned-replies/${enc(reply.id)}`));
  if (done === undefined) return;
  await loadCanned();
  editCanned(null);
}

/** The inbox's picker: replies whose title or text (any language) has the search words. */
function renderCannedOptions() {
  const words = $('canned-search').value.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  const haystack = (reply) =>
    [reply.title, reply.text, ...Object.values(reply.translations || {}).flatMap((v) => [v.title, v.text])]
      .filter(Boolean)
      .join(' ')
      .toLocaleLowerCase();
  const found = state.canned.replies.filter((reply) => words.every((word) => haystack(reply).includes(word)));
  $('canned-options').replaceChildren(
    ...found.map((reply) =>
      el(
        'li',
        { testid: 'canned-option', dataset: { id: reply.id } },
        el('button', { type: 'button', class: 'link', text: reply.title, onclick: () => chooseCanned(reply) }),
      ),
    ),
    ...(found.length ? [] : [el('li', { class: 'muted', text: t('canned.none') })]),
  );
}

function chooseCanned(reply) {
  state.cannedChosen = reply;
  $('canned-preview').replaceChildren(renderTelegramHtml(reply.text).fragment);
  show($('canned-chosen'), Boolean(reply));
}

function clearCanned() {
  state.cannedChosen = null;
  show($('canned-chosen'), false);
}

async function sendCanned() {
  const reply = state.cannedChosen;
  const id = state.conversation;
  if (!reply || !id) return;
  const done = await guarded(() => api('POST', `/conversations/${enc(id)}/reply`, { canned_id: reply.id }));
  if (done === undefined) return;
  clearCanned();
  await openConversation(id);
  notice(t('canned.sent'));
}

// ---- people and the audit -----------------------------------------------------------------
async function loadOperators() {
  const body = await guarded(() => api('GET', '/operators'), false);
  if (body === undefined) return;
  $('operator-list').replaceChildren(...body.operators.map(operatorRow));
  show($('operators-empty'), body.operators.length === 0);
}

function operatorRow(operator) {
  const reissue = el('button', {
    type: 'button',
    testid: 'operator-reissue',
    text: t('operators.reissue'),
    onclick: async () => {
      if (!(await confirmDialog(t('operators.confirm_reissue', { name: operator.name })))) return;
      const issued = await guarded(() => api('POST', `/operators/${enc(operator.id)}/key`));
      if (issued) showKey(issued);
    },
  });
  const remove = el('button', {
    type: 'button',
    class: 'danger',
    testid: 'operator-remove',
    text: t('operators.remove'),
    onclick: async () => {
      if (!(await confirmDialog(t('operators.confirm_remove', { name: operator.name })))) return;
      const done = await guarded(() => api('DELETE', `/operators/${enc(operator.id)}`));
      if (done === undefined) return;
      show($('operator-key-box'), false);
      await loadOperators();
      notice(t('operators.removed', { name: operator.name }));
    },
  });
  return el(
    'tr',
    { testid: 'operator-row', dataset: { id: operator.id, role: operator.role } },
    el('td', { testid: 'operator-row-name', text: operator.name }),
    el('td', { text: t(`role.${operator.role}`) }),
    el('td', { text: operator.telegram_id ? String(operator.telegram_id) : '' }),
    el('td', { text: when(operator.created_at) }),
    el('td', {}, reissue, remove),
  );
}

/** A key is in the answer that issued it, once: shown until the next action, never stored. */
function showKey(issued) {
  $('operator-key-note').textContent = t('operators.key_note', { name: issued.name });
  $('operator-key').textContent = issued.key;
  show($('operator-key-box'), true);
}

async function addOperator() {
  const name = $('operator-name').value.trim();
  const telegram = $('operator-telegram-id').value.trim();
  const body = { name, role: $('operator-role').value };
  if (telegram) body.telegram_id = Number(telegram);
  const issued = await guarded(() => api('POST', '/operators', body));
  if (issued === undefined) return;
  $('operator-name').value = '';
  $('operator-telegram-id').value = '';
  await loadOperators();
  showKey(issued);
}

async function loadAudit(more = false) {
  const query = more && state.auditCursor ? `?cursor=${encodeURIComponent(state.auditCursor)}` : '';
  const body = await guarded(() => api('GET', `/audit${query}`), false);
  if (body === undefined) return;
  const rows = body.changes.map((change) =>
    el(
      'tr',
      { testid: 'audit-row', dataset: { actor: change.actor_id } },
      el('td', { text: when(change.at) }),
      el('td', { testid: 'audit-who', text: `${change.actor_name} (${label('role', change.actor_role)})` }),
      el('td', { testid: 'audit-what', text: `${change.method} ${change.path}` }),
      el('td', { text: String(change.status) }),
    ),
  );
  if (more) $('audit-list').append(...rows);
  else $('audit-list').replaceChildren(...rows);
  state.auditCursor = body.next_cursor;
  show($('audit-more'), Boolean(body.next_cursor));
  show($('audit-empty'), !more && rows.length === 0);
}

// ---- wiring -------------------------------------------------------------------------------
function wire() {
  $('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    signIn($('signin-key').value.trim());
  });
  $('signout').addEventListener('click', () => signOut());
  $('lang-select').addEventListener('change', (event) => {
    state.lang = event.target.value;
    localStorage.setItem(LANG_STORAGE, state.lang);
    rerender();
  });
  for (const button of document.querySelectorAll('[data-tab]')) {
    button.addEventListener('click', () => openTab(button.dataset.tab));
  }
  $('error-close').addEventListener('click', clearError);

  $('tree-add-root').addEventListener('click', () => startCreate(state.tab, ROOT));
  $('tree-reload').addEventListener('click', () => loadTree(state.tab));
  $('tree-export').addEventListener('click', () => exportTree(state.tab));
  $('tree-import-form').addEventListener('submit', (event) => {
    event.preventDefault();
    importTree(state.tab);
  });
  $('node-editor').addEventListener('submit', (event) => {
    event.preventDefault();
    saveNode(state.tab);
  });
  $('node-editor').addEventListener('input', () => {
    renderLanguages();
    renderPreview(state.tab);
  });
  $('node-cancel').addEventListener('click', () => {
    state.editing = null;
    renderEditor(state.tab);
  });
  $('node-add-child').addEventListener('click', () => startCreate(state.tab, state.editing.nodeId));
  $('node-delete').addEventListener('click', () => deleteNode(state.tab));
  $('node-move-submit').addEventListener('click', () => moveNode(state.tab));

  $('conversations-reload').addEventListener('click', () => loadConversations());
  $('conversation-close').addEventListener('click', closeConversation);
  $('reply-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sendReply();
  });
  $('tickets-filter').addEventListener('change', () => loadTickets());
  $('orders-form').addEventListener('submit', (event) => {
    event.preventDefault();
    importOrders();
  });
  $('stats-reload').addEventListener('click', loadStats);
  $('hours-form').addEventListener('submit', (event) => {
    event.preventDefault();
    saveHours();
  });
  $('hours-always').addEventListener('change', renderHoursState);
  $('hours-holiday-add').addEventListener('click', () => hoursHoliday().querySelector('input').focus());
  $('hours-reload').addEventListener('click', loadHours);
  $('reports-weeks').addEventListener('change', loadReports);
  $('reports-reload').addEventListener('click', loadReports);
  $('reports-csv').addEventListener('click', () => downloadReport('week'));
  $('reports-csv-operators').addEventListener('click', () => downloadReport('operator'));
  $('broadcast-form').addEventListener('input', renderBroadcastPreview);
  $('broadcast-form').addEventListener('submit', (event) => {
    event.preventDefault();
    submitBroadcast(false);
  });
  $('bc-test-send').addEventListener('click', () => submitBroadcast(true));
  $('bc-reload').addEventListener('click', () => loadBroadcasts());
  $('operator-form').addEventListener('submit', (event) => {
    event.preventDefault();
    addOperator();
  });
  $('audit-reload').addEventListener('click', () => loadAudit());
  $('canned-new').addEventListener('click', () => editCanned(null));
  $('canned-editor').addEventListener('submit', (event) => {
    event.preventDefault();
    saveCanned();
  });
  $('canned-delete').addEventListener('click', deleteCanned);
  $('canned-search').addEventListener('input', renderCannedOptions);
  $('canned-send').addEventListener('click', sendCanned);
  $('inbox-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    loadConversations();
  });
  for (const name of ['inbox-tag', 'inbox-mine', 'inbox-status', 'inbox-desk']) {
    $(name).addEventListener('change', () => keepOneFilter(name));
  }
  setInterval(refreshInbox, REFRESH_MS);
  $('tag-add').addEventListener('click', () => changeTag($('tag-input').value, true));
  $('assign-me').addEventListener('click', () => assign('me'));
  $('unassign').addEventListener('click', () => assign(null));
  $('note-add').addEventListener('click', addNote);
  $('ban').addEventListener('click', banCustomer);
  $('unban').addEventListener('click', unbanCustomer);
  $('canned-clear').addEventListener('click', clearCanned);
  $('audit-more').addEventListener('click', () => loadAudit(true));
}

wire();
applyStrings();
if (state.key) {
  enterApp();
} else {
  signOut();
}
