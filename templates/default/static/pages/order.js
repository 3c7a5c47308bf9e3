// Order page: /order/?id=<order id>, with the order token either in the #t= fragment
// (a link the shopper keeps) or in the HttpOnly cookie checkout set; neither reaches a log.
// User data is always set with textContent, never as HTML.
"use strict";
(() => {
  const orderPage = document.getElementById("order-page");
  if (!orderPage) return;
  const { text, money, make, postJson } = window.kameng;
  const t = (key) => text(orderPage, key);
  // An order under review waits for a person, not seconds: the page stops asking, and says so.
  const finalStatuses = ["delivered", "failed", "expired", "needs_attention", "refunded", "needs_review"];
  const keyTools = window.kamengKeys;
  const keyItems = (keys) => keyTools.items(keys, t);
  // What was taken off, when anything was: the same lines the product page showed before payment.
  const discounts = (order) =>
    (order.level_discount ? " · " + t("quote-level").replace("{name}", () => order.level || "") + " -" + money(order.level_discount) : "") +
    (order.coupon ? " · " + t("quote-coupon").replace("{code}", () => order.coupon) + " -" + money(order.coupon_discount || 0) : "");
  const summary = (order) =>
    order.title + " × " + order.quantity + " · " + t("total") + " " + money(order.total) + discounts(order);
  // An order waiting for its goods: by hand (待发货, with the promised time) or from a supplier (充值中).
  const awaiting = (order) => order.status === "awaiting_delivery";
  const statusText = (order) =>
    awaiting(order) ? t(order.delivery === "manual" ? "status-awaiting-manual" : "status-awaiting-supplier")
      : t("status-" + order.status) || order.status;
  const localTime = (iso) => {
    try {
      return new Date(iso).toLocaleString(document.documentElement.lang, {
        timeZone: orderPage.dataset.timeZone, dateStyle: "medium", timeStyle: "short" });
    } catch {
      return String(iso).slice(0, 16).replace("T", " ") + " UTC";
    }
  };
  // When the order was placed, by the station's clock (not the browser's, not UTC).
  const placedAt = (order) => keyTools.stationTime(order.created_at, orderPage.dataset.timeZone);
  const awaitingNote = (order) => {
    if (!awaiting(order)) return "";
    if (order.delivery !== "manual") return t("awaiting-supplier-note");
    return t("awaiting-manual-note").replace("{time}", () => (order.deliver_by ? localTime(order.deliver_by) : "—"));
  };
  // What a top-up was sent to (masked by the server) and its receipt.
  const topupRows = (order) => {
    const rows = [];
    const account = Object.values(order.account || {}).join(" / ");
    if (account) rows.push(make("dt", "", t("topup-account")), make("dd", "account", account));
    if (order.receipt) rows.push(make("dt", "", t("topup-receipt")), make("dd", "receipt", order.receipt));
    return rows;
  };
  const keysTitle = (order) => t(order.delivery === "loop" ? "shared-credential" : "card-keys");

  const id = new URLSearchParams(location.search).get("id");
  const token = new URLSearchParams(location.hash.slice(1)).get("t");
  if (id) {
    const status = document.getElementById("order-status");
    let keys = [];
    document.getElementById("order").hidden = false;
    document.getElementById("order-id").textContent = id;
    keyTools.wire(id, () => keys, t, {
      copyAll: document.getElementById("copy-all-keys"),
      txt: document.getElementById("download-keys"),
      csv: document.getElementById("download-keys-csv"),
    });
    status.textContent = t("order-loading");
    const show = (order) => {
      status.textContent = statusText(order);
      status.dataset.status = order.status;
      document.getElementById("order-summary").textContent = summary(order);
      const created = document.getElementById("order-created");
      created.dateTime = order.created_at;
      created.textContent = placedAt(order);
      document.getElementById("order-created-line").hidden = false;
      const note = document.getElementById("order-awaiting");
      note.textContent = awaitingNote(order);
      note.hidden = !note.textContent;
      const topup = document.getElementById("order-topup");
      topup.replaceChildren(...topupRows(order));
      topup.hidden = !topup.childElementCount;
      // The owner typed it: text, never markup.
      document.getElementById("order-message").textContent = order.message || "";
      document.getElementById("order-message-box").hidden = !order.message;
      if (order.status === "delivered" && order.keys && order.keys.length) {
        keys = order.keys;
        document.getElementById("order-keys-title").textContent = keysTitle(order);
        document.getElementById("order-keys").replaceChildren(...keyItems(keys));
        document.getElementById("order-keys-box").hidden = false;
      }
      // The after-sales part (pages/tickets.js) draws itself from the same answer.
      document.dispatchEvent(new CustomEvent("kameng:order", { detail: { order, token } }));
    };
    const started = Date.now();
    const poll = async () => {
      let order = null;
      try {
        const response = await fetch("/api/orders/" + encodeURIComponent(id), {
          headers: token ? { Authorization: "Bearer " + token, Accept: "application/json" } : { Accept: "application/json" },
          credentials: "same-origin",
          cache: "no-store",
        });
        if (response.status === 404) {
          status.textContent = t("order-not-found");
          return;
        }
        if (response.ok) order = (await response.json()).order;
      } catch {
        // A dropped connection is retried by the next poll.
      }
      if (order) show(order);
      if (order && finalStatuses.includes(order.status)) return;
      // A hand delivery takes hours: the page says by when, and a reload shows it.
      if (order && awaiting(order) && order.delivery === "manual") return;
      // A top-up has its suppliers' few minutes; anything else is done within one.
      const supplied = order && awaiting(order);
      if (Date.now() - started > (supplied ? 360000 : 60000)) {
        status.textContent = (order ? status.textContent + " · " : "") + t("order-timeout");
        return;
      }
      setTimeout(poll, Date.now() - started > 60000 ? 5000 : 1000);
    };
    poll();
  }

  const lookup = document.getElementById("lookup-form");
  const results = document.getElementById("lookup-results");
  const lookupError = document.getElementById("lookup-error");
  lookup.addEventListener("submit", async (event) => {
    event.preventDefault();
    lookupError.textContent = "";
    results.replaceChildren();
    try {
      const { response, answer } = await postJson(lookup.action, Object.fromEntries(new FormData(lookup)));
      if (!response.ok) {
        lookupError.textContent = (answer.error && answer.error.message) || t("error-generic");
        return;
      }
      const orders = answer.orders || [];
      if (!orders.length) lookupError.textContent = t("lookup-empty");
      results.replaceChildren(
        ...orders.map((order) => {
          const article = make("article", "order-result");
          article.dataset.order = order.id;
          article.append(make("h3", "", summary(order)));
          const state = make("p", "", t("order-number") + " " + order.id + " · " + placedAt(order) + " · " + statusText(order));
          article.append(state);
          if (awaitingNote(order)) article.append(make("p", "note", awaitingNote(order)));
          const rows = topupRows(order);
          if (rows.length) article.append(make("dl", "order-topup"));
          if (rows.length) article.lastChild.append(...rows);
          if (order.message) article.append(make("pre", "delivery-message", order.message));
          if (order.keys && order.keys.length) {
            if (order.delivery === "loop") article.append(make("h4", "", keysTitle(order)));
            const list = make("ul", "card-keys");
            list.append(...keyItems(order.keys));
            article.append(list, keyTools.tools(order.id, order.keys, t));
          }
          return article;
        }),
      );
    } catch {
      lookupError.textContent = t("error-network");
    }
  });
})();
