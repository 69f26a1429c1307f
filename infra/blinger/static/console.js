// The operator's page: polls the console's JSON API and builds every node with textContent
// (customer data never goes through HTML parsing), links and images only for http(s) URLs.
"use strict";

(() => {
  const POLL_MS = 1000;
  const state = { version: null, conversations: [], selected: null, lastMessageId: null };
  const $ = (id) => document.getElementById(id);

  function el(tag, options = {}, ...children) {
    const node = document.createElement(tag);
    if (options.testid) node.dataset.testid = options.testid;
    if (options.className) node.className = options.className;
    if (options.text !== undefined) node.textContent = options.text;
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  async function api(path, body) {
    const options = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
    const answer = await fetch(path, options);
    const data = await answer.json();
    if (!answer.ok) throw new Error(data.error || `HTTP ${answer.status}`);
    return data;
  }

  const conversationPath = (clientId, action = "") =>
    `/console/api/conversations/${encodeURIComponent(clientId)}${action ? "/" + action : ""}`;

  function operatorName() {
    return $("operator-name").value.trim() || "Operator";
  }

  function timeOf(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  function preview(message) {
    if (!message) return "";
    const prefix = message.direction === "out" ? "You: " : "";
    return prefix + (message.type === "text" ? message.data : `[${message.type}]`);
  }

  function statusText(conversation) {
    if (conversation.status === "assigned" && conversation.operator) return `assigned to ${conversation.operator.name}`;
    return conversation.status;
  }

  function deliveryText(message) {
    if (message.status === "pending") return "sending…";
    if (message.status === "delivered") return `delivered (${message.delivery_status})`;
    if (message.status === "failed") {
      return message.delivery_status ? `failed (${message.delivery_status})` : `failed: ${message.error || "no answer"}`;
    }
    return message.status;
  }

  function fileName(url) {
    try {
      const last = new URL(url).pathname.split("/").filter(Boolean).pop();
      return last ? decodeURIComponent(last) : url;
    } catch {
      return url;
    }
  }

  // -- list -----------------------------------------------------------------------------------------

  function renderList() {
    const items = state.conversations.map((conversation) => {
      const button = el("button", { testid: "conversation-item", className: "conv" },
        el("span", { testid: "conversation-name", className: "name", text: conversation.client_name || conversation.client_id }),
        conversation.unread ? el("span", { testid: "conversation-unread", className: "unread", text: String(conversation.unread) }) : null,
        el("span", { testid: "conversation-phone", className: "phone", text: conversation.client_phone || "" }),
        el("span", { testid: "conversation-status", className: "badge", text: statusText(conversation) }),
        el("span", { testid: "conversation-last", className: "last", text: preview(conversation.last_message) }));
      button.type = "button";
      button.dataset.clientId = conversation.client_id;
      button.dataset.status = conversation.status;
      if (conversation.client_id === state.selected) button.classList.add("selected");
      button.addEventListener("click", () => select(conversation.client_id));
      return el("li", {}, button);
    });
    $("conversation-list").replaceChildren(...items);
    $("list-empty").hidden = items.length > 0;
  }

  // -- thread ---------------------------------------------------------------------------------------

  function messageBody(message) {
    if (message.type === "text") return el("div", { testid: "message-text", className: "text", text: message.data });
    const url = safeUrl(message.data);
    if (!url) return el("div", { testid: "message-text", className: "text", text: `[${message.type}, not an http(s) URL] ${message.data}` });
    const link = el("a", { testid: message.type === "image" ? "message-image-link" : "message-file" });
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    if (message.type === "image") {
      const image = el("img", { testid: "message-image" });
      image.src = url;
      image.alt = "image from " + (message.direction === "in" ? "the customer" : "the operator");
      link.append(image);
    } else {
      link.textContent = "File: " + fileName(url);
    }
    return link;
  }

  function renderMessage(message) {
    const meta = el("div", { className: "meta" }, timeOf(message.time));
    if (message.direction === "out") {
      const who = message.operator || (message.echo_outgoing ? "bot (echo)" : "");
      if (who) meta.append(" · " + who);
      meta.append(" · ", el("span", {
        testid: "message-status",
        className: "delivery " + message.status,
        text: deliveryText(message),
      }));
    }
    const item = el("li", { testid: "message", className: "message" }, messageBody(message), meta);
    item.dataset.direction = message.direction;
    item.dataset.type = message.type;
    item.dataset.messageId = String(message.id);
    item.dataset.status = message.status;
    return item;
  }

  // A value the bot sent as an object is shown as "key: value" pairs, never as raw JSON.
  function infoText(value) {
    if (Array.isArray(value)) return value.map(infoText).join(", ");
    if (typeof value === "object" && value !== null) {
      return Object.entries(value).map(([key, inner]) => `${key}: ${infoText(inner)}`).join(", ");
    }
    return String(value);
  }

  function renderInfo(info) {
    const rows = Object.entries(info || {}).map(([key, value]) => {
      const row = el("tr", { testid: "thread-info-row" },
        el("th", { text: key }),
        el("td", { text: infoText(value) }));
      row.dataset.key = key;
      return row;
    });
    const table = $("thread-info");
    table.tBodies[0].replaceChildren(...rows);
    table.hidden = rows.length === 0;
  }

  function renderThread(conversation) {
    $("no-thread").hidden = true;
    $("thread").hidden = false;
    $("thread").dataset.clientId = conversation.client_id;
    $("thread-title").textContent = conversation.client_name || conversation.client_id;
    $("thread-phone").textContent = conversation.client_phone || "";
    $("thread-status").textContent = statusText(conversation);
    $("thread-status").dataset.status = conversation.status;
    const mine = conversation.operator && conversation.operator.name === operatorName();
    $("assign-button").disabled = conversation.status === "assigned" && mine;
    $("unassign-button").disabled = conversation.status !== "assigned";
    $("close-button").disabled = conversation.status === "closed";
    renderInfo(conversation.info);
    const list = $("message-list");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren(...conversation.messages.map(renderMessage));
    const last = conversation.messages.length ? conversation.messages[conversation.messages.length - 1].id : null;
    if (last !== state.lastMessageId || atBottom) list.scrollTop = list.scrollHeight;
    state.lastMessageId = last;
  }

  async function loadThread() {
    const clientId = state.selected;
    if (clientId === null) return;
    const { conversation } = await api(conversationPath(clientId));
    if (clientId !== state.selected) return;
    renderThread(conversation);
    if (conversation.unread > 0 && document.visibilityState === "visible") {
      await api(conversationPath(clientId, "read"), {});
    }
  }

  async function select(clientId) {
    state.selected = clientId;
    state.lastMessageId = null;
    history.replaceState(null, "", "#" + encodeURIComponent(clientId));
    renderList();
    await run(loadThread);
  }

  // -- actions --------------------------------------------------------------------------------------

  function showStatus(text, failed = false) {
    const status = $("action-status");
    status.textContent = text;
    status.dataset.failed = String(failed);
  }

  async function run(action) {
    try {
      await action();
    } catch (error) {
      showStatus(error.message, true);
    }
  }

  async function act(action, body, label) {
    if (state.selected === null) return;
    const { delivery } = await api(conversationPath(state.selected, action), body);
    const outcome = delivery.ok ? `delivered (${delivery.status})`
      : delivery.status ? `failed (${delivery.status})` : `failed: ${delivery.error}`;
    showStatus(`${label}: ${outcome}`, !delivery.ok);
    await loadThread();
  }

  async function sendText() {
    const text = $("reply-text").value;
    if (!text.trim() || $("reply-send").disabled) return;
    $("reply-send").disabled = true;
    try {
      await act("reply", { type: "text", data: text, operator: operatorName() }, "Reply");
      $("reply-text").value = "";
    } finally {
      $("reply-send").disabled = false;
    }
  }

  async function sendFile() {
    const input = $("image-input");
    const file = input.files[0];
    if (!file) return;
    input.disabled = true;
    try {
      const answer = await fetch("/console/api/files", {
        method: "POST",
        headers: { "X-Filename": encodeURIComponent(file.name), "Content-Type": file.type || "application/octet-stream" },
        body: file,
      });
      const uploaded = await answer.json();
      if (!answer.ok) throw new Error(uploaded.error || `HTTP ${answer.status}`);
      await act("reply", { type: uploaded.type, data: uploaded.url, operator: operatorName() }, `Sent ${file.name}`);
    } finally {
      input.value = "";
      input.disabled = false;
    }
  }

  // -- polling --------------------------------------------------------------------------------------

  async function poll() {
    try {
      const answer = await api(`/console/api/conversations?since=${state.version ?? ""}`);
      $("connection-status").textContent = "live";
      $("connection-status").classList.remove("offline");
      if (answer.changed) {
        state.version = answer.version;
        state.conversations = answer.conversations;
        renderList();
        await loadThread();
      }
    } catch {
      $("connection-status").textContent = "console not reachable, retrying…";
      $("connection-status").classList.add("offline");
    }
    window.setTimeout(poll, POLL_MS);
  }

  function init() {
    const name = $("operator-name");
    name.value = window.localStorage.getItem("blinger-operator") || name.value;
    name.addEventListener("change", () => window.localStorage.setItem("blinger-operator", operatorName()));
    $("reply-form").addEventListener("submit", (event) => {
      event.preventDefault();
      run(sendText);
    });
    $("reply-text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        run(sendText);
      }
    });
    $("image-input").addEventListener("change", () => run(sendFile));
    $("assign-button").addEventListener("click", () => run(() => act("assign", { operator: operatorName() }, "Taken")));
    $("unassign-button").addEventListener("click", () => run(() => act("unassign", {}, "Released")));
    $("close-button").addEventListener("click", () => run(() => act("close", {}, "Closed")));
    if (window.location.hash.length > 1) {
      state.selected = decodeURIComponent(window.location.hash.slice(1));
    }
    poll();
  }

  init();
})();
