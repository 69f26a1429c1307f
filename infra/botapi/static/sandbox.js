// Telegram sandbox web chat. Talks to /sandbox/api/ (see infra/botapi/sandbox.py).
// Safety rule: text from users or the bot goes into the page via textContent/DOM nodes only; the one
// exception is the server's `html`/`caption_html`, which render.py builds with everything escaped.
"use strict";

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const ui = {
  users: $("users"), groups: $("groups"), webhook: document.querySelector("[data-testid=webhook-status]"),
  title: $("chat-title"), subtitle: $("chat-subtitle"), actingBox: $("acting-box"), acting: $("acting-user"),
  messages: $("messages"), toasts: $("toasts"), keyboard: $("reply-keyboard"),
  input: $("text-input"), send: $("send-button"), photoButton: $("photo-button"), photoInput: $("photo-input"),
  replyPreview: $("reply-preview"), replyText: $("reply-preview-text"),
};

const state = {
  world: null,         // last /state answer
  userId: null,        // the person acting
  chatId: null,        // the chat shown
  chat: null,
  replyTo: null,       // {message_id, snippet}
  bubbles: new Map(),  // message_id -> {node, sig}
  answersSeen: null,   // highest callback answer seq already shown (null: not loaded yet)
  refusalsSeen: null,  // highest 429 seq already shown (same rule)
  chatPoll: null,      // AbortController of the chat's long poll
};

// ---- HTTP ---------------------------------------------------------------------------------------
async function api(path, options = {}) {
  const response = await fetch("/sandbox/api/" + path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function post(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
}

// ---- DOM helpers --------------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function toast(text, kind = "toast") {
  const node = kind === "error"
    ? el("div", { class: "toast error", "data-testid": "error", text })
    : kind === "rate-limit"
      ? el("div", { class: "toast rate-limit", "data-testid": "rate-limit", text })
      : el("div", { class: "toast", "data-testid": "toast", text });
  ui.toasts.append(node);
  setTimeout(() => node.remove(), kind === "error" ? 6000 : 4000);
}

function alertBox(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
}
$("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });

const time = (unix) => new Date(unix * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
const userById = (id) => (state.world ? state.world.users.find((u) => u.id === id) : null);

// ---- sidebar ------------------------------------------------------------------------------------
function renderSidebar(world) {
  state.world = world;
  const hook = world.webhook;
  const parts = [hook.url ? `Webhook: ${hook.url}` : "No webhook: the bot uses getUpdates",
    `pending updates: ${hook.pending_update_count}`];
  ui.webhook.replaceChildren(parts.join(" · "));
  if (hook.last_error_message) {
    ui.webhook.append(el("div", { class: "error", "data-testid": "webhook-error",
      text: `last error ${time(hook.last_error_date)}: ${hook.last_error_message}` }));
  }
  ui.users.replaceChildren(...world.users.map((u) => el("li", {
    "data-testid": "user-item", "data-user-id": u.id, class: u.id === state.userId ? "active" : null,
    onclick: () => selectUser(u.id),
  }, el("span", { class: "name", text: u.name }),
  el("span", { class: "sub", text: [u.username ? "@" + u.username : null, u.phone_number, u.language_code]
    .filter(Boolean).join(" · ") }))));
  const groups = world.chats.filter((c) => c.type !== "private");
  ui.groups.replaceChildren(...groups.map((c) => el("li", {
    "data-testid": "group-item", "data-chat-id": c.id, class: c.id === state.chatId ? "active" : null,
    onclick: () => selectGroup(c.id),
  }, el("span", { class: "name", text: c.title }),
  el("span", { class: "sub", text: `${c.id} · ${c.members.length} members` }))));
  ui.acting.replaceChildren(...world.users.map((u) =>
    el("option", { value: u.id, selected: u.id === state.userId, text: u.name })));
}

async function pollState() {
  let since = -1;
  for (;;) {
    try {
      const world = await api(`state?since=${since}&wait=20`);
      since = world.version;
      renderSidebar(world);
    } catch (e) {
      await sleep(1500);
    }
  }
}

function selectUser(userId) {
  state.userId = userId;
  openChat(userId);
}

function selectGroup(chatId) {
  if (state.userId === null && state.world && state.world.users.length) state.userId = state.world.users[0].id;
  openChat(chatId);
}

ui.acting.addEventListener("change", () => {
  state.userId = Number(ui.acting.value);
  if (state.world) renderSidebar(state.world);
  rerenderAll();
});

// ---- the chat -----------------------------------------------------------------------------------
async function openChat(chatId) {
  if (state.chatPoll) state.chatPoll.abort();
  const controller = new AbortController();
  state.chatPoll = controller;
  state.chatId = chatId;
  state.chat = null;
  state.bubbles.clear();
  state.answersSeen = null;
  state.refusalsSeen = null;
  setReplyTo(null);
  ui.messages.replaceChildren();
  ui.keyboard.hidden = true;
  const ready = state.userId !== null;
  ui.input.disabled = ui.send.disabled = ui.photoButton.disabled = !ready;
  if (state.world) renderSidebar(state.world);
  ui.input.focus();
  let since = -1;
  while (!controller.signal.aborted) {
    try {
      const answer = await api(`chats/${chatId}/messages?since=${since}&wait=20`, { signal: controller.signal });
      if (controller.signal.aborted) return;
      since = answer.version;
      if (answer.changed) renderChat(answer);
    } catch (e) {
      if (controller.signal.aborted) return;
      await sleep(1500);
    }
  }
}

function renderChat(answer) {
  const chat = answer.chat;
  state.chat = chat;
  const group = chat.type !== "private";
  ui.title.textContent = chat.title;
  ui.subtitle.textContent = group ? `group ${chat.id} · ${chat.members.length} members` : `private chat with the bot · ${chat.id}`;
  ui.actingBox.hidden = !group;
  let added = false;
  const visible = new Set();
  for (const m of answer.messages) {
    if (m.deleted) continue;
    visible.add(m.message_id);
    const sig = JSON.stringify(m) + "|" + state.userId;
    const known = state.bubbles.get(m.message_id);
    if (known && known.sig === sig) {
      ui.messages.append(known.node); // keeps the order; no rebuild
      continue;
    }
    const node = bubble(m, group);
    if (known) known.node.replaceWith(node);
    else added = true;
    ui.messages.append(node);
    state.bubbles.set(m.message_id, { node, sig, message: m });
  }
  for (const [id, known] of state.bubbles) {
    if (!visible.has(id)) { known.node.remove(); state.bubbles.delete(id); } // deleted live
  }
  if (!state.bubbles.size) ui.messages.replaceChildren(el("div", { class: "empty", text: "No messages yet: say /start" }));
  else ui.messages.querySelector(".empty")?.remove();
  if (added) ui.messages.scrollTop = ui.messages.scrollHeight;
  renderKeyboard(answer.reply_keyboard);
  showAnswers(answer.callback_answers);
  showRefusals(answer.rate_limited, answer.rate_limited_count);
}

function rerenderAll() {
  for (const [id, known] of state.bubbles) {
    const node = bubble(known.message, state.chat && state.chat.type !== "private");
    known.node.replaceWith(node);
    state.bubbles.set(id, { node, sig: JSON.stringify(known.message) + "|" + state.userId, message: known.message });
  }
}

function bubble(m, group) {
  const mine = !m.from_bot && m.from.id === state.userId;
  const node = el("div", {
    class: "msg " + (m.from_bot ? "bot" : mine ? "me" : "other"), "data-testid": "message",
    "data-message-id": m.message_id, "data-from": m.from_bot ? "bot" : "user", "data-sender-id": m.from.id,
    "data-edited": m.edit_date ? "true" : null,
  });
  if (group && !mine) node.append(el("div", { class: "sender", text: m.from.name }));
  if (m.reply_to) {
    node.append(el("div", { class: "reply-quote", "data-testid": "message-reply-to",
      "data-reply-to-id": m.reply_to.message_id, text: `${m.reply_to.from_name}: ${m.reply_to.snippet}` }));
  }
  if (m.photo) {
    node.append(m.photo.url
      ? el("img", { src: m.photo.url, alt: "photo", "data-testid": "message-photo", loading: "lazy" })
      : el("div", { "data-testid": "message-photo", text: "📷 photo (sent by URL, not fetched)" }));
  }
  if (m.document) {
    node.append(el("a", { "data-testid": "message-document", href: m.document.url, download: m.document.file_name,
      text: "📎 " + m.document.file_name }));
  }
  if (m.contact) {
    node.append(el("div", { class: "contact", "data-testid": "message-contact",
      text: `📱 ${m.contact.first_name} ${m.contact.phone_number}` }));
  }
  if (m.html !== null && m.html !== undefined) node.append(richText(m.html, "text", "message-text"));
  if (m.caption_html) node.append(richText(m.caption_html, "text caption", "message-caption"));
  node.append(el("div", { class: "meta" },
    el("button", { type: "button", "data-testid": "reply-action", title: "Reply",
      onclick: () => setReplyTo(m), text: "↩" }),
    m.edit_date ? el("span", { "data-testid": "message-edited", text: "edited " }) : null,
    time(m.date)));
  if (m.inline_keyboard.length) node.append(inlineKeyboard(m));
  return node;
}

function richText(html, cls, testid) {
  const node = el("div", { class: cls, "data-testid": testid });
  node.innerHTML = html; // built and escaped by the server (render.py); never raw user text
  for (const spoiler of node.querySelectorAll(".tg-spoiler")) {
    spoiler.addEventListener("click", () => spoiler.classList.add("revealed"));
  }
  return node;
}

function inlineKeyboard(m) {
  const box = el("div", { class: "inline-keyboard", "data-testid": "inline-keyboard" });
  for (const row of m.inline_keyboard) {
    box.append(el("div", { class: "row" }, ...row.map((b) => {
      if (b.kind === "url" && b.url) {
        return el("a", { href: b.url, target: "_blank", rel: "noopener noreferrer", "data-testid": "inline-button",
          "data-kind": "url", text: b.text + " ↗" });
      }
      return el("button", { type: "button", "data-testid": "inline-button", "data-kind": b.kind,
        "data-callback-data": b.callback_data, text: b.text,
        onclick: () => press(m.message_id, b) });
    })));
  }
  return box;
}

function renderKeyboard(keyboard) {
  ui.input.placeholder = (keyboard && keyboard.placeholder) || "Message";
  if (!keyboard) { ui.keyboard.hidden = true; ui.keyboard.replaceChildren(); return; }
  ui.keyboard.replaceChildren(...keyboard.rows.map((row) => el("div", { class: "row" }, ...row.map((b) =>
    el("button", { type: "button", "data-testid": "reply-button", "data-request-contact": b.request_contact ? "true" : null,
      text: b.text, onclick: () => act("reply_button", { text: b.text }) })))));
  ui.keyboard.hidden = false;
}

function showAnswers(answers) {
  const top = answers.length ? answers[answers.length - 1].seq : -1;
  if (state.answersSeen === null) { state.answersSeen = top; return; } // old answers are not replayed
  for (const a of answers) {
    if (a.seq <= state.answersSeen) continue;
    if (a.user_id === state.userId && a.text) {
      if (a.show_alert) alertBox(a.text);
      else toast(a.text);
    }
  }
  state.answersSeen = Math.max(state.answersSeen, top);
}

// The bot's sends this chat's flood limit refused (429): a person sees pacing at work.
function showRefusals(refusals, total) {
  const top = refusals.length ? refusals[refusals.length - 1].seq : -1;
  const count = total ? ` · ${total} × 429` : "";
  ui.subtitle.textContent = ui.subtitle.textContent.replace(/ · \S+ × 429$/, "") + count;
  if (state.refusalsSeen === null) { state.refusalsSeen = top; return; }
  for (const r of refusals) {
    if (r.seq <= state.refusalsSeen) continue;
    toast(`Telegram answered the bot 429 Too Many Requests (${r.method}): retry after ${r.retry_after} s`, "rate-limit");
  }
  state.refusalsSeen = Math.max(state.refusalsSeen, top);
}

// ---- acting -------------------------------------------------------------------------------------
async function act(action, data) {
  if (state.userId === null || state.chatId === null) { toast("Choose a user first", "error"); return null; }
  try {
    return await post(`chats/${state.chatId}/${action}`, { user_id: state.userId, ...data });
  } catch (e) {
    toast(e.message, "error");
    return null;
  }
}

function press(messageId, button) {
  if (button.kind !== "callback_data") { toast(`"${button.kind}" buttons are not simulated`, "error"); return; }
  act("press", { message_id: messageId, callback_data: button.callback_data });
}

function setReplyTo(m) {
  state.replyTo = m ? { message_id: m.message_id } : null;
  ui.replyPreview.hidden = !m;
  if (m) {
    ui.replyText.textContent = `Reply to ${m.from.name}: ${(m.text || m.caption || (m.photo ? "📷 Photo" : "")).slice(0, 80)}`;
    ui.input.focus();
  }
}
$("reply-cancel").addEventListener("click", () => setReplyTo(null));

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = ui.input.value.trim();
  if (!text) return;
  const reply = state.replyTo ? { reply_to_message_id: state.replyTo.message_id } : {};
  ui.input.value = "";
  const done = await act("messages", { text, ...reply });
  if (done) setReplyTo(null);
  else ui.input.value = text;
});

ui.photoButton.addEventListener("click", () => ui.photoInput.click());
ui.photoInput.addEventListener("change", async () => {
  const file = ui.photoInput.files[0];
  ui.photoInput.value = "";
  if (!file || state.userId === null || state.chatId === null) return;
  const form = new FormData();
  form.append("user_id", String(state.userId));
  form.append("photo", file, file.name);
  const caption = ui.input.value.trim();
  if (caption) form.append("caption", caption);
  if (state.replyTo) form.append("reply_to_message_id", String(state.replyTo.message_id));
  try {
    await api(`chats/${state.chatId}/photos`, { method: "POST", body: form });
    ui.input.value = "";
    setReplyTo(null);
  } catch (e) {
    toast(e.message, "error");
  }
});

// ---- forms --------------------------------------------------------------------------------------
$("new-user-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(event.target));
  try {
    const user = await post("users", data);
    event.target.reset();
    state.userId = user.id;
    state.world = await api("state");
    renderSidebar(state.world);
    selectUser(user.id);
  } catch (e) {
    toast(e.message, "error");
  }
});

$("new-group-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(event.target));
  if (!data.id) delete data.id;
  if (state.userId !== null) data.members = [state.userId];
  try {
    const chat = await post("groups", data);
    event.target.reset();
    state.world = await api("state");
    renderSidebar(state.world);
    selectGroup(chat.id);
  } catch (e) {
    toast(e.message, "error");
  }
});

// ---- start --------------------------------------------------------------------------------------
(async function start() {
  try {
    state.world = await api("state");
    renderSidebar(state.world);
    const wanted = Number(new URLSearchParams(location.search).get("user"));
    if (wanted && userById(wanted)) selectUser(wanted);
  } catch (e) {
    toast("The sandbox API does not answer: " + e.message, "error");
  }
  pollState();
})();
