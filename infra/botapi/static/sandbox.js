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
  input: $("text-input"), send: $("send-button"), attach: $("attach-button"), attachMenu: $("attach-menu"),
  replyPreview: $("reply-preview"), replyText: $("reply-preview-text"), phone: $("phone-edit"),
  topics: $("topics"),
};
const STICKERS = ["👍", "😀", "😂", "❤️", "😢", "😡", "🔥", "🎉", "🙏", "📦"]; // sandbox.py STICKERS

const state = {
  world: null,         // last /state answer
  userId: null,        // the person acting
  chatId: null,        // the chat shown
  chat: null,
  replyTo: null,       // {message_id}
  editing: null,       // {message_id}: the composer edits this message instead of sending
  bubbles: new Map(),  // message_id -> {node, sig}
  answersSeen: null,   // highest callback answer seq already shown (null: not loaded yet)
  refusalsSeen: null,  // highest 429 seq already shown (same rule)
  chatPoll: null,      // AbortController of the chat's long poll
  topic: null,         // a forum's topic shown (message_thread_id; null: General)
  lastAnswer: null,    // the chat's last feed, shown again when another topic is chosen
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

// The viewer's time zone, 24-hour, as Telegram shows times.
const time = (unix) => new Date(unix * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
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
  el("span", { class: "sub", text: `${c.id} · ${c.members.length} members` + (c.is_forum ? ` · ${c.topics.length} topic${c.topics.length === 1 ? "" : "s"}` : "") }))));
  renderActing();
}

// In a group, members are listed first (a non-member who writes joins, as in the sandbox API).
function renderActing() {
  const world = state.world;
  if (!world) return;
  const members = new Set(state.chat && state.chat.type !== "private" ? state.chat.members : []);
  const users = [...world.users].sort((a, b) => members.has(b.id) - members.has(a.id));
  ui.acting.replaceChildren(...users.map((u) => el("option", { value: u.id, selected: u.id === state.userId,
    text: members.size && !members.has(u.id) ? `${u.name} (not a member)` : u.name })));
  const me = userById(state.userId);
  ui.phone.hidden = !me || (state.chat && state.chat.type !== "private") || state.chatId === null;
  if (me) ui.phone.textContent = `📱 ${me.phone_number || "no phone"}`;
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
  document.body.classList.remove("show-sidebar");
  openChat(userId);
}

// The acting person in a group is one of its members unless the one chosen already is.
function selectGroup(chatId) {
  const chat = state.world && state.world.chats.find((c) => c.id === chatId);
  const members = chat ? chat.members : [];
  if (members.length && !members.includes(state.userId)) state.userId = members[0];
  if (state.userId === null && state.world && state.world.users.length) state.userId = state.world.users[0].id;
  document.body.classList.remove("show-sidebar");
  openChat(chatId);
}

ui.acting.addEventListener("change", () => {
  state.userId = Number(ui.acting.value);
  setEditing(null);
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
  state.topic = null;
  state.lastAnswer = null;
  state.bubbles.clear();
  state.answersSeen = null;
  state.refusalsSeen = null;
  setReplyTo(null);
  setEditing(null);
  ui.messages.replaceChildren();
  ui.keyboard.hidden = true;
  const ready = state.userId !== null;
  ui.input.disabled = ui.send.disabled = ui.attach.disabled = !ready;
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
  state.lastAnswer = answer;
  const group = chat.type !== "private";
  const forum = Boolean(chat.is_forum);
  if (forum && state.topic !== null && !chat.topics.some((t) => t.id === state.topic)) state.topic = null; // deleted
  ui.title.textContent = chat.title;
  const topic = forum && chat.topics.find((t) => t.id === state.topic);
  ui.subtitle.textContent = group
    ? `${forum ? "forum" : "group"} ${chat.id} · ${chat.members.length} members` + (forum ? ` · ${topic ? "topic " + topic.name : "General"}` : "")
    : `private chat with the bot · ${chat.id}`;
  ui.actingBox.hidden = !group;
  renderActing();
  renderTopics(forum ? chat : null);
  const following = atBottom();
  let added = false;
  const visible = new Set();
  for (const m of answer.messages) {
    if (m.deleted) continue;
    if (forum && (m.message_thread_id ?? null) !== state.topic) continue; // another topic's
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
  if (!state.bubbles.size) {
    const empty = forum ? "No messages in this topic yet" : "No messages yet: say /start";
    ui.messages.replaceChildren(el("div", { class: "empty", text: empty }));
  }
  else ui.messages.querySelector(".empty")?.remove();
  if (added || following) scrollToNewest();
  renderKeyboard(answer.reply_keyboard);
  showAnswers(answer.callback_answers);
  showRefusals(answer.rate_limited, answer.rate_limited_count);
}

// A forum's topics, as Telegram lists them: General first, then each topic (🔒 once closed), with
// its newest message; choosing one shows only its messages and sends into it.
function renderTopics(chat) {
  ui.topics.hidden = !chat;
  if (!chat) { ui.topics.replaceChildren(); return; }
  const entries = [{ id: null, name: "General", last_message: null, closed: false }, ...chat.topics];
  ui.topics.replaceChildren(...entries.map((t) => el("button", {
    type: "button", class: t.id === state.topic ? "active" : "", "data-testid": "topic", "data-topic-id": t.id ?? "",
    "data-closed": t.closed ? "true" : null, title: t.name, onclick: () => selectTopic(t.id),
  }, el("b", { text: (t.closed ? "🔒 " : "") + t.name }), t.last_message ? el("span", { class: "sub", text: t.last_message }) : null)));
}

function selectTopic(id) {
  if (id === state.topic) return;
  state.topic = id;
  setReplyTo(null);
  setEditing(null);
  state.bubbles.clear();
  ui.messages.replaceChildren();
  if (state.lastAnswer) renderChat(state.lastAnswer);
  scrollToNewest();
}

// What a send needs to go into the topic shown (nothing outside forums, or in General).
const topicPart = () => (state.chat && state.chat.is_forum && state.topic !== null ? { message_thread_id: state.topic } : {});

// The chat follows the newest message unless the viewer scrolled up to read older ones; images
// that load later grow the list, so they scroll it again.
function atBottom() {
  return ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 40;
}

function scrollToNewest() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
  state.following = true;
}
ui.messages.addEventListener("scroll", () => { state.following = atBottom(); });
ui.messages.addEventListener("load", () => { if (state.following) scrollToNewest(); }, true);

function rerenderAll() {
  for (const [id, known] of state.bubbles) {
    const node = bubble(known.message, state.chat && state.chat.type !== "private");
    known.node.replaceWith(node);
    state.bubbles.set(id, { node, sig: JSON.stringify(known.message) + "|" + state.userId, message: known.message });
  }
}

function bubble(m, group) {
  if (m.topic_created) {
    return el("div", { class: "msg service", "data-testid": "message", "data-message-id": m.message_id,
      "data-service": "topic-created", text: `🗂 Topic created: ${m.topic_created}` });
  }
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
  if (m.media_group_id) node.dataset.mediaGroupId = m.media_group_id;
  if (m.photo) {
    node.append(m.photo.url
      ? el("img", { src: m.photo.url, alt: "photo", "data-testid": "message-photo" })
      : el("div", { "data-testid": "message-photo", text: "📷 photo (sent by URL, not fetched)" }));
  }
  if (m.document) {
    node.append(el("a", { "data-testid": "message-document", href: m.document.url, download: m.document.file_name,
      text: "📎 " + m.document.file_name }));
  }
  if (m.sticker) {
    node.classList.add("sticker");
    node.append(el("div", { class: "sticker-emoji", "data-testid": "message-sticker", text: m.sticker.emoji || "🖼" }));
  }
  if (m.voice) {
    node.append(el("div", { class: "media", "data-testid": "message-voice" }, `🎤 ${m.voice.duration} s `,
      m.voice.url ? el("audio", { controls: true, preload: "none", src: m.voice.url }) : null));
  }
  for (const [kind, icon] of [["audio", "🎵"], ["video", "🎬"]]) {
    if (!m[kind]) continue;
    node.append(el("div", { class: "media", "data-testid": `message-${kind}` }, `${icon} ${m[kind].duration ?? "?"} s `,
      m[kind].url ? el(kind, { controls: true, preload: "none", src: m[kind].url }) : null));
  }
  if (m.video_note) {
    node.append(el("div", { class: "media", "data-testid": "message-video-note" },
      m.video_note.url ? el("video", { class: "video-note", controls: true, preload: "metadata", src: m.video_note.url }) : null,
      `⏺ ${m.video_note.duration} s`));
  }
  if (m.venue) {
    node.append(el("div", { class: "place", "data-testid": "message-venue" }, el("b", { text: "🏢 " + m.venue.title }),
      el("div", { text: m.venue.address }), el("div", { class: "sub", text: coordinates(m.venue.location) })));
  } else if (m.location) {
    node.append(el("div", { class: "place", "data-testid": "message-location", text: "📍 " + coordinates(m.location) }));
  }
  if (m.contact) {
    node.append(el("div", { class: "contact", "data-testid": "message-contact",
      text: `👤 ${[m.contact.first_name, m.contact.last_name].filter(Boolean).join(" ")} ${m.contact.phone_number}` }));
  }
  if (m.html !== null && m.html !== undefined) node.append(richText(m.html, "text", "message-text"));
  if (m.caption_html) node.append(richText(m.caption_html, "text caption", "message-caption"));
  node.append(el("div", { class: "meta" },
    el("button", { type: "button", "data-testid": "reply-action", title: "Reply",
      onclick: () => setReplyTo(m), text: "↩" }),
    mine && ((m.text !== null && m.text !== undefined) || m.caption) ? el("button", { type: "button", "data-testid": "edit-action",
      title: "Edit", onclick: () => setEditing(m), text: "✎" }) : null,
    m.edit_date ? el("span", { "data-testid": "message-edited", text: "edited " }) : null,
    time(m.date)));
  if (m.inline_keyboard.length) node.append(inlineKeyboard(m));
  return node;
}

const coordinates = (where) => `${where.latitude.toFixed(5)}, ${where.longitude.toFixed(5)}`;

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
    return await post(`chats/${state.chatId}/${action}`, { user_id: state.userId, ...topicPart(), ...data });
  } catch (e) {
    toast(e.message, "error");
    return null;
  }
}

function press(messageId, button) {
  if (button.kind !== "callback_data") { toast(`"${button.kind}" buttons are not simulated`, "error"); return; }
  act("press", { message_id: messageId, callback_data: button.callback_data });
}

const snippet = (m) => (m.text || m.caption || (m.photo ? "📷 Photo" : m.document ? "📎 " + m.document.file_name
  : m.sticker ? `${m.sticker.emoji} Sticker` : m.voice ? "🎤 Voice message" : m.video_note ? "⏺ Video message"
  : m.venue ? "📍 " + m.venue.title : m.location ? "📍 Location" : m.contact ? "👤 " + m.contact.first_name : "")).slice(0, 80);

function setReplyTo(m) {
  if (m) setEditing(null);
  state.replyTo = m ? { message_id: m.message_id } : null;
  ui.replyPreview.hidden = !m;
  if (m) {
    ui.replyText.textContent = `Reply to ${m.from.name}: ${snippet(m)}`;
    ui.input.focus();
  }
}

// Editing an own text message: the composer holds its text; sending makes an edited_message.
function setEditing(m) {
  if (m) setReplyTo(null);
  const words = m ? m.text ?? m.caption : null; // a text, or a file's caption
  state.editing = m ? { message_id: m.message_id, text: words } : null;
  ui.replyPreview.hidden = !m && !state.replyTo;
  if (m) {
    ui.replyText.textContent = `Edit: ${snippet(m)}`;
    ui.input.value = words;
    ui.input.focus();
  } else if (!state.replyTo) {
    ui.replyText.textContent = "";
  }
}
$("reply-cancel").addEventListener("click", () => {
  if (state.editing) ui.input.value = "";
  setReplyTo(null);
  setEditing(null);
});

const replyPart = () => (state.replyTo ? { reply_to_message_id: state.replyTo.message_id } : {});

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = ui.input.value.trim();
  if (!text) return;
  ui.input.value = "";
  const done = state.editing
    ? await act("edit", { message_id: state.editing.message_id, text })
    : await act("messages", { text, ...replyPart() });
  if (done) { setReplyTo(null); setEditing(null); } else ui.input.value = text;
});

// ---- attachments --------------------------------------------------------------------------------
ui.attach.addEventListener("click", () => { ui.attachMenu.hidden = !ui.attachMenu.hidden; });
const FILE_INPUTS = { photo: "photo-input", document: "document-input", voice: "voice-input", video_note: "video-note-input" };
for (const button of ui.attachMenu.querySelectorAll("button")) {
  button.addEventListener("click", () => {
    ui.attachMenu.hidden = true;
    const kind = button.dataset.kind;
    if (FILE_INPUTS[kind]) $(FILE_INPUTS[kind]).click();
    else if (kind === "sticker") chooseSticker();
    else if (kind === "location") sendPlace(false);
    else if (kind === "venue") sendPlace(true);
    else if (kind === "contact") sendContact();
  });
}
for (const [kind, id] of Object.entries(FILE_INPUTS)) {
  $(id).addEventListener("change", () => {
    const files = [...$(id).files];
    $(id).value = "";
    if (files.length) sendFiles(kind, files);
  });
}

// The length of an audio or video file, read by the browser (Telegram clients send it too).
function mediaDuration(file) {
  return new Promise((resolve) => {
    const media = document.createElement(file.type.startsWith("video/") ? "video" : "audio");
    const url = URL.createObjectURL(file);
    const done = (value) => { URL.revokeObjectURL(url); resolve(value); };
    media.preload = "metadata";
    media.onloadedmetadata = () => done(Number.isFinite(media.duration) ? Math.round(media.duration) : 1);
    media.onerror = () => done(1);
    setTimeout(() => done(1), 2000);
    media.src = url;
  });
}

async function sendFiles(kind, files) {
  if (state.userId === null || state.chatId === null) return;
  const form = new FormData();
  form.append("user_id", String(state.userId));
  form.append("send_as", kind);
  files.forEach((file, n) => form.append(n ? `file${n}` : "file", file, file.name));
  const caption = ui.input.value.trim();
  if (caption && (kind === "photo" || kind === "document") && !state.editing) form.append("caption", caption);
  if (kind === "voice" || kind === "video_note") form.append("duration", String(await mediaDuration(files[0])));
  if (state.replyTo) form.append("reply_to_message_id", String(state.replyTo.message_id));
  for (const [name, value] of Object.entries(topicPart())) form.append(name, String(value));
  try {
    await api(`chats/${state.chatId}/files`, { method: "POST", body: form });
    if (form.has("caption")) ui.input.value = "";
    setReplyTo(null);
  } catch (e) {
    toast(e.message, "error");
  }
}

async function sendAction(action, data) {
  const done = await act(action, { ...data, ...replyPart() });
  if (done) setReplyTo(null);
}

async function chooseSticker() {
  const values = await askForm("Send a sticker", [{ name: "emoji", label: "Sticker", options: STICKERS.map((e) => [e, e]) }]);
  if (values) sendAction("sticker", values);
}

async function sendPlace(venue) {
  const fields = [
    { name: "latitude", label: "Latitude", value: "55.75580", inputmode: "decimal" },
    { name: "longitude", label: "Longitude", value: "37.61730", inputmode: "decimal" },
  ];
  if (venue) fields.push({ name: "title", label: "Place", value: "" }, { name: "address", label: "Address", value: "" });
  const values = await askForm(venue ? "Send a venue" : "Send a location", fields);
  if (values) sendAction(venue ? "venue" : "location", values);
}

async function sendContact() {
  const me = userById(state.userId);
  const others = state.world.users.filter((u) => u.id !== state.userId);
  const values = await askForm("Send a contact", [
    { name: "contact_user_id", label: "Whose", options: [[String(state.userId), `My own (${me.phone_number || "a new number"})`],
      ...others.map((u) => [String(u.id), `${u.name} (${u.phone_number || "a new number"})`]), ["", "Someone not on Telegram"]] },
    { name: "first_name", label: "First name (someone not on Telegram)", value: "" },
    { name: "phone_number", label: "Phone (someone not on Telegram)", value: "" },
  ]);
  if (!values) return;
  if (values.contact_user_id) { delete values.first_name; delete values.phone_number; }
  sendAction("contact", values);
}

// A small form in a modal; resolves to {name: value} or null when cancelled.
function askForm(title, fields, submit = "Send") {
  $("dialog-title").textContent = title;
  $("dialog-submit").textContent = submit;
  $("dialog-fields").replaceChildren(...fields.map((f) => el("label", {}, f.label, f.options
    ? el("select", { name: f.name, "data-testid": `dialog-${f.name}` },
      ...f.options.map(([value, text]) => el("option", { value, text })))
    : el("input", { name: f.name, "data-testid": `dialog-${f.name}`, value: f.value, inputmode: f.inputmode }))));
  $("dialog").hidden = false;
  $("dialog-fields").querySelector("input, select")?.focus();
  return new Promise((resolve) => {
    const finish = (values) => {
      $("dialog").hidden = true;
      $("dialog-form").onsubmit = $("dialog-cancel").onclick = null;
      resolve(values);
    };
    $("dialog-form").onsubmit = (event) => { event.preventDefault(); finish(Object.fromEntries(new FormData($("dialog-form")))); };
    $("dialog-cancel").onclick = () => finish(null);
  });
}

// Every Telegram account has a phone number: any user's can be changed here.
ui.phone.addEventListener("click", async () => {
  const me = userById(state.userId);
  if (!me) return;
  const values = await askForm(`${me.name}'s phone number`, [{ name: "phone_number", label: "Phone", value: me.phone_number || "" }], "Save");
  if (!values) return;
  try {
    await post(`users/${me.id}`, values);
    state.world = await api("state");
    renderSidebar(state.world);
  } catch (e) {
    toast(e.message, "error");
  }
});

$("open-sidebar").addEventListener("click", () => document.body.classList.add("show-sidebar"));
$("close-sidebar").addEventListener("click", () => document.body.classList.remove("show-sidebar"));

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
