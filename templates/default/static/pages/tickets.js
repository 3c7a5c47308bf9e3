// After-sales on the order page: the shopper reports a problem with one delivered key and follows
// the replies. Drawn from the order that pages/order.js loaded; without tickets or keys it stays hidden.
// User data is always set with textContent, never as HTML.
"use strict";
(() => {
  const box = document.getElementById("tickets");
  if (!box || !window.kameng) return;
  const { text, make, postJson } = window.kameng;
  const t = (key) => text(box, key);
  const list = document.getElementById("ticket-list");
  const form = document.getElementById("ticket-form");
  const keySelect = document.getElementById("ticket-key");
  const message = document.getElementById("ticket-message");
  let current = null;

  const thread = (ticket) => {
    const article = make("article", "ticket");
    article.dataset.ticket = ticket.id;
    const state = t("status-" + ticket.status) + (ticket.resolution ? " · " + t("resolution-" + ticket.resolution) : "");
    article.append(make("h3", "", t("reason-" + ticket.reason.replace(/_/g, "-")) + " · " + state));
    for (const entry of ticket.messages) {
      const line = make("p", "ticket-message " + entry.author);
      line.append(make("strong", "", (entry.author === "owner" ? t("support") : t("you")) + ": "));
      line.append(make("span", "", entry.text));
      article.append(line);
    }
    return article;
  };

  const draw = ({ order, token }) => {
    current = { order, token };
    const tickets = order.tickets || [];
    const keys = order.status === "delivered" ? order.keys || [] : [];
    const replaced = order.replaced_keys || [];
    const replacedBox = document.getElementById("replaced-keys-box");
    if (replacedBox && replaced.length) {
      document.getElementById("replaced-keys").replaceChildren(
        ...replaced.map((key) => make("li", "card-key void", key.code + (key.password ? " " + key.password : ""))));
      replacedBox.hidden = false;
    }
    if (!tickets.length && !keys.length) return;
    list.replaceChildren(...tickets.map(thread));
    const waiting = new Set(tickets.filter((ticket) => ticket.status !== "resolved").map((ticket) => ticket.key_id));
    const open = keys.filter((key) => !waiting.has(key.key_id));
    keySelect.replaceChildren(...open.map((key) => {
      const option = make("option", "", key.code);
      option.value = key.key_id;
      return option;
    }));
    form.hidden = !open.length;
    box.hidden = false;
    // "Report a problem" beside each key without an open ticket: it opens the form on that key.
    for (const item of document.querySelectorAll("#order-keys .card-key[data-key-id]")) {
      item.querySelector(".report")?.remove();
      if (!open.some((key) => key.key_id === item.dataset.keyId)) continue;
      const report = make("button", "copy report", t("report"));
      report.type = "button";
      report.addEventListener("click", () => {
        keySelect.value = item.dataset.keyId;
        message.textContent = "";
        form.scrollIntoView({ block: "start" });
        form.elements.reason.focus();
      });
      item.append(" ", report);
    }
  };

  document.addEventListener("kameng:order", (event) => draw(event.detail));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) return;
    message.textContent = "";
    const { order, token } = current;
    try {
      const { response, answer } = await postJson(
        "/api/orders/" + encodeURIComponent(order.id) + "/tickets",
        Object.fromEntries(new FormData(form)),
        token ? { Authorization: "Bearer " + token } : {},
      );
      if (!response.ok) {
        message.textContent = (answer.error && answer.error.message) || t("error-generic");
        return;
      }
      order.tickets = [...(order.tickets || []), answer.ticket];
      form.reset();
      draw({ order, token });
      message.textContent = t("sent");
    } catch {
      message.textContent = t("error-network");
    }
  });
})();
