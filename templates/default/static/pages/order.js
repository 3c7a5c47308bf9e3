// Order page: /order/?id=<order id>, with the order token either in the #t= fragment
// (a link the shopper keeps) or in the HttpOnly cookie checkout set; neither reaches a log.
// User data is always set with textContent, never as HTML.
"use strict";
(() => {
  const orderPage = document.getElementById("order-page");
  if (!orderPage) return;
  const body = document.body;
  const { text, money, make, postJson } = window.kameng;
  const t = (key) => text(orderPage, key);
  const finalStatuses = ["delivered", "failed", "expired", "needs_attention", "refunded"];
  const keyLine = (key) => (key.password ? key.code + " " + key.password : key.code);
  // A spreadsheet cell that starts with = + - @ would be run as a formula: quote it as text.
  const csvCell = (value) => {
    const text = /^[=+\-@\t\r]/.test(value) ? "'" + value : value;
    return '"' + text.replace(/"/g, '""') + '"';
  };
  const csv = (keys) =>
    "\uFEFF" + ["code,password", ...keys.map((key) => csvCell(key.code) + "," + csvCell(key.password || ""))].join("\r\n") + "\r\n";
  const download = (orderId, keys, format) => {
    const blob = format === "csv"
      ? new Blob([csv(keys)], { type: "text/csv;charset=utf-8" })
      : new Blob([keys.map(keyLine).join("\n") + "\n"], { type: "text/plain;charset=utf-8" });
    const link = make("a");
    link.href = URL.createObjectURL(blob);
    link.download = orderId + "." + format;
    body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };
  const keyItems = (keys) =>
    keys.map((key) => {
      const item = make("li", "card-key");
      item.append(make("code", "", key.code));
      if (key.password) {
        const password = make("span", "key-password", t("key-password") + " ");
        password.append(make("samp", "", key.password));
        item.append(" ", password);
      }
      const copy = make("button", "copy", t("copy"));
      copy.type = "button";
      copy.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(keyLine(key));
          copy.textContent = t("copied");
        } catch {
          copy.textContent = t("copy");
        }
      });
      item.append(" ", copy);
      return item;
    });
  // What was taken off, when anything was: the same lines the product page showed before payment.
  const discounts = (order) =>
    (order.level_discount ? " · " + t("quote-level").replace("{name}", () => order.level || "") + " -" + money(order.level_discount) : "") +
    (order.coupon ? " · " + t("quote-coupon").replace("{code}", () => order.coupon) + " -" + money(order.coupon_discount || 0) : "");
  const summary = (order) =>
    order.title + " × " + order.quantity + " · " + t("total") + " " + money(order.total) + discounts(order);

  const id = new URLSearchParams(location.search).get("id");
  const token = new URLSearchParams(location.hash.slice(1)).get("t");
  if (id) {
    const status = document.getElementById("order-status");
    let keys = [];
    document.getElementById("order").hidden = false;
    document.getElementById("download-keys").addEventListener("click", () => download(id, keys, "txt"));
    document.getElementById("download-keys-csv").addEventListener("click", () => download(id, keys, "csv"));
    status.textContent = t("order-loading");
    const show = (order) => {
      status.textContent = t("status-" + order.status) || order.status;
      status.dataset.status = order.status;
      document.getElementById("order-summary").textContent = summary(order);
      if (order.status === "delivered" && order.keys) {
        keys = order.keys;
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
      if (Date.now() - started > 60000) {
        status.textContent = (order ? status.textContent + " · " : "") + t("order-timeout");
        return;
      }
      setTimeout(poll, 1000);
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
          const created = String(order.created_at).slice(0, 16).replace("T", " ") + " UTC";
          const state = make("p", "", (t("status-" + order.status) || order.status) + " · " + created);
          article.append(state);
          if (order.keys && order.keys.length) {
            const list = make("ul", "card-keys");
            list.append(...keyItems(order.keys));
            const button = make("button", "button download", t("download-keys"));
            button.type = "button";
            button.addEventListener("click", () => download(order.id, order.keys));
            article.append(list, button);
          }
          return article;
        }),
      );
    } catch {
      lookupError.textContent = t("error-network");
    }
  });
})();
