// Kameng default theme. Every page works without this file: it only adds
// live stock, a JSON checkout with inline errors, and the order page.
// User data is always set with textContent, never as HTML.
"use strict";
(() => {
  const body = document.body;
  const text = (element, key) =>
    element.dataset["t" + key.replace(/(?:^|[-_])(\w)/g, (_, letter) => letter.toUpperCase())] || "";
  const money = (minor) => {
    const sign = minor < 0 ? "-" : "";
    const amount = Math.abs(minor);
    const major = Math.floor(amount / 100).toLocaleString("en-US");
    return sign + body.dataset.symbol + major + "." + String(amount % 100).padStart(2, "0");
  };
  const make = (tag, className, content) => {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (content !== undefined) element.textContent = content;
    return element;
  };
  const postJson = async (url, data) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(data),
    });
    return { response, answer: await response.json().catch(() => ({})) };
  };
  const isWebUrl = (url) => {
    try {
      return ["http:", "https:"].includes(new URL(url, location.href).protocol);
    } catch {
      return false;
    }
  };

  // Live stock: one request per page, never baked into the HTML.
  const soldOut = new Set();
  const badges = document.querySelectorAll(".stock[data-sku]");
  const levels = { in_stock: "in-stock", low: "low-stock", sold_out: "sold-out" };
  const stockLoaded = !badges.length
    ? Promise.resolve()
    : fetch("/api/stock?station=" + encodeURIComponent(body.dataset.station), { headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((stock) => {
          for (const badge of badges) {
            const entry = stock && stock.skus && stock.skus[badge.dataset.sku];
            if (!entry || !levels[entry.level]) continue;
            badge.textContent = text(body, levels[entry.level]);
            badge.dataset.level = entry.level;
            badge.hidden = false;
            if (entry.level === "sold_out") soldOut.add(badge.dataset.sku);
          }
        })
        .catch(() => {});

  // Flash-sale countdowns only count: whether the sale is open is the server's decision at checkout.
  const countdowns = document.querySelectorAll(".countdown[data-ends]");
  if (countdowns.length) {
    const clock = (ms) => {
      const seconds = Math.floor(ms / 1000);
      const days = Math.floor(seconds / 86400);
      const hms = [Math.floor(seconds / 3600) % 24, Math.floor(seconds / 60) % 60, seconds % 60]
        .map((part) => String(part).padStart(2, "0")).join(":");
      return (days ? days + "d " : "") + hms;
    };
    const tick = () => {
      const now = Date.now();
      countdowns.forEach((element) => {
        const starts = Date.parse(element.dataset.starts);
        const ends = Date.parse(element.dataset.ends);
        element.textContent = now < starts ? text(element, "starts-in") + " " + clock(starts - now)
          : now < ends ? text(element, "ends-in") + " " + clock(ends - now) : text(element, "over");
      });
    };
    tick();
    setInterval(tick, 1000);
  }

  // Buy form: the same fields post as a plain form without JavaScript.
  const form = document.getElementById("buy-form");
  if (form) {
    const submit = document.getElementById("buy-submit");
    const error = document.getElementById("buy-error");
    const total = document.getElementById("buy-total");
    const quantity = form.elements.quantity;
    const chosen = () => form.querySelector("input[name=sku]:checked");
    const update = (event) => {
      const sku = chosen();
      if (!sku) return;
      const min = Number(sku.dataset.min);
      const max = Number(sku.dataset.max);
      quantity.min = min;
      quantity.max = max;
      if (event && event.target.name === "sku") {
        quantity.value = Math.min(Math.max(Number(quantity.value) || min, min), max);
      }
      const count = Number(quantity.value);
      // An estimate at the page's tier and flash-sale prices, by the same rule as the
      // server's (a sale's price when lower, within its per-shopper limit); checkout
      // prices the order on the server and the server's clock decides the window.
      let unit = Number(sku.dataset.price);
      for (const tier of (sku.dataset.tiers || "").split(",").filter(Boolean)) {
        const [from, price] = tier.split(":").map(Number);
        if (count >= from) unit = price;
      }
      const now = Date.now();
      for (const sale of (sku.dataset.flash || "").split(";").filter(Boolean)) {
        const [starts, ends, price, perShopper] = sale.split("|");
        if (Date.parse(starts) <= now && now < Date.parse(ends) && count <= Number(perShopper)) {
          unit = Math.min(unit, Number(price));
        }
      }
      total.textContent = Number.isInteger(count) && count >= min && count <= max ? money(unit * count) : "";
      submit.disabled = soldOut.has(sku.value);
    };
    form.addEventListener("change", update);
    quantity.addEventListener("input", update);
    stockLoaded.then(() => update());
    update();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      submit.disabled = true;
      const data = Object.fromEntries(new FormData(form));
      data.quantity = Number(data.quantity);
      try {
        const { response, answer } = await postJson(form.action, data);
        if (response.status === 201 && isWebUrl(answer.pay_url)) {
          location.assign(answer.pay_url);
          return;
        }
        const problem = answer.error || {};
        if (problem.code === "sold_out") soldOut.add(data.sku);
        error.textContent = problem.message || text(form, "error");
      } catch {
        error.textContent = text(form, "network");
      }
      update();
    });
  }

  // Order page: /order/?id=<order id>, with the order token either in the #t= fragment
  // (a link the shopper keeps) or in the HttpOnly cookie checkout set; neither reaches a log.
  const orderPage = document.getElementById("order-page");
  if (orderPage) {
    const t = (key) => text(orderPage, key);
    const finalStatuses = ["delivered", "failed", "expired", "needs_attention", "refunded"];
    const keyLine = (key) => (key.password ? key.code + " " + key.password : key.code);
    const download = (orderId, keys) => {
      const blob = new Blob([keys.map(keyLine).join("\n") + "\n"], { type: "text/plain;charset=utf-8" });
      const link = make("a");
      link.href = URL.createObjectURL(blob);
      link.download = orderId + ".txt";
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
    const summary = (order) =>
      order.title + " × " + order.quantity + " · " + t("total") + " " + money(order.total);

    const id = new URLSearchParams(location.search).get("id");
    const token = new URLSearchParams(location.hash.slice(1)).get("t");
    if (id) {
      const status = document.getElementById("order-status");
      let keys = [];
      document.getElementById("order").hidden = false;
      document.getElementById("download-keys").addEventListener("click", () => download(id, keys));
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
  }
})();

// Account page: /account/. The mailed link carries a one-time token in the #signin=
// fragment, which no server or Referer ever sees; the session it buys is an HttpOnly cookie.
(() => {
  const page = document.getElementById("account-page");
  if (!page) return;
  const t = (key) => page.dataset["t" + key.replace(/(?:^|[-_])(\w)/g, (_, letter) => letter.toUpperCase())] || "";
  const money = (minor) =>
    document.body.dataset.symbol + Math.floor(minor / 100).toLocaleString("en-US") + "." + String(minor % 100).padStart(2, "0");
  const make = (tag, className, content) => {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (content !== undefined) element.textContent = content;
    return element;
  };
  const post = (url, data) =>
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(data || {}),
      credentials: "same-origin",
    });
  const problem = async (response) => {
    const answer = await response.json().catch(() => ({}));
    return (answer.error && answer.error.message) || t("error-generic");
  };
  const status = document.getElementById("account-status");
  const signInBox = document.getElementById("account-sign-in");
  const accountBox = document.getElementById("account");
  const form = document.getElementById("account-sign-in-form");
  const formError = document.getElementById("account-sign-in-error");

  const orderItem = (order) => {
    const article = make("article", "order-result");
    article.dataset.order = order.id;
    article.append(make("h3", "", order.title + " × " + order.quantity + " · " + t("total") + " " + money(order.total)));
    const created = String(order.created_at).slice(0, 16).replace("T", " ") + " UTC";
    article.append(make("p", "", (t("status-" + order.status) || order.status) + " · " + created));
    if (order.keys && order.keys.length) {
      const list = make("ul", "card-keys");
      for (const key of order.keys) {
        const item = make("li", "card-key");
        item.append(make("code", "", key.code));
        if (key.password) item.append(" ", make("span", "key-password", t("key-password") + " " + key.password));
        list.append(item);
      }
      article.append(list);
    }
    return article;
  };
  // Level, points, referral and coupons keep the page's "not available yet" until the API has them.
  const show = (account) => {
    document.getElementById("account-email").textContent = account.email_masked;
    document.getElementById("account-spend").textContent = money(account.spend);
    document.getElementById("account-orders").replaceChildren(...account.orders.map(orderItem));
    document.getElementById("account-no-orders").hidden = account.orders.length > 0;
    signInBox.hidden = true;
    accountBox.hidden = false;
  };
  const showSignIn = () => {
    accountBox.hidden = true;
    signInBox.hidden = false;
  };
  const load = async () => {
    try {
      const response = await fetch("/api/account", { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" });
      if (response.ok) return show(await response.json());
    } catch {
      status.textContent = t("error-network");
    }
    showSignIn();
  };
  const start = async () => {
    const token = new URLSearchParams(location.hash.slice(1)).get("signin");
    if (token) {
      // Single use: out of the address bar and the history before anything else.
      history.replaceState(null, "", location.pathname + location.search);
      status.textContent = t("signing-in");
      try {
        const response = await post("/api/account/session", { token });
        status.textContent = response.ok ? "" : await problem(response);
      } catch {
        status.textContent = t("error-network");
      }
    }
    await load();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.textContent = "";
    try {
      const response = await post(form.action, Object.fromEntries(new FormData(form)));
      if (response.status === 202) {
        status.textContent = t("sign-in-sent");
        form.reset();
      } else {
        formError.textContent = await problem(response);
      }
    } catch {
      formError.textContent = t("error-network");
    }
  });
  document.getElementById("account-sign-out").addEventListener("click", async () => {
    await post("/api/account/sign-out").catch(() => {});
    status.textContent = "";
    showSignIn();
  });
  // A link opened in a tab that already shows this page changes only the fragment.
  window.addEventListener("hashchange", start);
  start();
})();
