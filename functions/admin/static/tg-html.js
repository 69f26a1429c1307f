// Telegram's HTML subset, rendered into DOM nodes for the preview: the allowed tags become
// elements, everything else is text (never parsed as HTML by the browser). Telegram refuses a
// message with broken markup; `error` says what it would refuse (the API refuses it at save time).

const TAGS = {
  b: 'b', strong: 'b', i: 'i', em: 'i', u: 'u', ins: 'u', s: 's', strike: 's', del: 's',
  code: 'code', pre: 'pre', blockquote: 'blockquote', a: 'a', 'tg-spoiler': 'span', span: 'span',
  'tg-emoji': 'span',
};
const NAMED = { lt: '<', gt: '>', amp: '&', quot: '"' };
const TOKEN = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*)\s*>|&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z]+);|[<&]/g;
const ATTRIBUTE = /([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
const SAFE_LINK = /^(https?:\/\/|tg:\/\/|mailto:)/i;

function attributes(source) {
  const found = {};
  for (const m of source.matchAll(ATTRIBUTE)) {
    found[m[1].toLowerCase()] = decode(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return found;
}

function decode(text) {
  return text.replace(/&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z]+);/g, (all, name) => entity(name) ?? all);
}

function entity(name) {
  if (name[0] !== '#') return NAMED[name];
  const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

function element(name, attrs) {
  const tag = TAGS[name];
  const node = document.createElement(tag);
  if (name === 'tg-spoiler' || name === 'span') node.className = 'tg-spoiler';
  if (name === 'a') {
    const href = attrs.href || '';
    if (SAFE_LINK.test(href)) {
      node.href = href;
      node.target = '_blank';
      node.rel = 'noopener noreferrer';
    }
  }
  if (name === 'blockquote' && 'expandable' in attrs) node.className = 'tg-expandable';
  return node;
}

/**
 * Render `text` (Telegram HTML) into a DocumentFragment.
 * Returns {fragment, error}: error is null, or {reason, at} (a character offset) for markup
 * Telegram would refuse; the refused piece is shown as plain text.
 * renderTelegramHtml('<b>Hi</b> & <x>').error.reason === 'entity'
 */
export function renderTelegramHtml(text) {
  const fragment = document.createDocumentFragment();
  const stack = [{ name: null, node: fragment }];
  let error = null;
  let last = 0;
  const fail = (reason, at) => { error = error ?? { reason, at }; };
  const top = () => stack[stack.length - 1].node;
  const literal = (value) => { if (value) top().appendChild(document.createTextNode(value)); };

  for (const m of text.matchAll(TOKEN)) {
    literal(text.slice(last, m.index));
    last = m.index + m[0].length;
    const [all, closing, rawName, rawAttrs, entityName] = m;
    if (entityName !== undefined) {
      const value = entity(entityName);
      if (value === undefined) fail('entity', m.index);
      literal(value ?? all);
    } else if (rawName === undefined) {
      fail(all === '<' ? 'tag' : 'entity', m.index);
      literal(all);
    } else {
      const name = rawName.toLowerCase();
      if (!(name in TAGS)) {
        fail('tag', m.index);
        literal(all);
      } else if (closing) {
        if (stack.length > 1 && stack[stack.length - 1].name === name) stack.pop();
        else { fail('close', m.index); literal(all); }
      } else {
        const attrs = attributes(rawAttrs || '');
        if (name === 'span' && attrs.class !== 'tg-spoiler') fail('tag', m.index);
        const node = element(name, attrs);
        top().appendChild(node);
        stack.push({ name, node });
      }
    }
  }
  literal(text.slice(last));
  if (stack.length > 1) fail('unclosed', text.length);
  return { fragment, error };
}
