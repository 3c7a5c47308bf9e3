// Account page: /account/. The mailed link carries a one-time token in the #signin=
// fragment, which no server or Referer ever sees; the session it buys is an HttpOnly cookie.
// User data is always set with textContent, never as HTML.
"use strict";
(() => {
  const page = document.getElementById("account-page");
  if (!page) return;
  const { text, money, make, postJson } = window.kameng;
  const t = (key, values) =>
    Object.entries(values || {}).reduce((line, [name, value]) => line.replace("{" + name + "}", () => value), text(page, key));
  const headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang };
  const problem = (answer) => (answer.error && answer.error.message) || t("error-generic");
  // The referral code app.js kept from a ?ref= link; storage may be off.
  const REF = "kameng.ref";
  const storedRef = () => {
    try {
      return localStorage.getItem(REF);
    } catch {
      return null;
    }
  };
  const forgetRef = () => {
    try {
      localStorage.removeItem(REF);
    } catch {
      // Nothing was kept.
    }
  };
  const status = document.getElementById("account-status");
  const welcome = document.getElementById("account-welcome");
  const signInBox = document.getElementById("account-sign-in");
  const accountBox = document.getElementById("account");
  const form = document.getElementById("account-sign-in-form");
  const formError = document.getElementById("account-sign-in-error");

  const keyTools = window.kamengKeys;
  const orderItem = (order) => {
    const article = make("article", "order-result");
    article.dataset.order = order.id;
    article.append(make("h3", "", order.title + " × " + order.quantity + " · " + t("total") + " " + money(order.total)));
    const placed = keyTools.stationTime(order.created_at, page.dataset.timeZone);
    article.append(make("p", "", t("order-number") + " " + order.id + " · " + placed + " · " + (t("status-" + order.status) || order.status)));
    if (order.keys && order.keys.length) {
      const list = make("ul", "card-keys");
      list.append(...keyTools.items(order.keys, t));
      article.append(list, keyTools.tools(order.id, order.keys, t));
    }
    return article;
  };

  // One fact of the account: its <dd> gets the parts, or the pair is hidden when the station has no such thing.
  const fact = (id, parts) => {
    const value = document.getElementById(id);
    value.hidden = value.previousElementSibling.hidden = parts === null;
    if (parts === null) return;
    delete value.dataset.empty;
    value.replaceChildren(...parts);
  };
  const level = (account) => {
    const current = account.level;
    const next = account.next_level;
    if (!current && !next) return null;
    const parts = [];
    if (current) {
      parts.push(make("strong", "", current.name));
      if (Number(current.discount_percent) > 0) parts.push(" · " + t("account-level-percent", { percent: current.discount_percent }));
    }
    if (next) {
      const bar = make("progress", "level-progress");
      bar.id = "account-level-progress";
      bar.max = next.spend;
      bar.value = Math.max(0, next.spend - next.remaining);
      parts.push(bar, make("small", "", t("account-level-next", {
        remaining: money(next.remaining), name: next.name, percent: next.discount_percent,
      })));
    } else {
      parts.push(make("small", "", t("account-level-top")));
    }
    return parts;
  };
  const couponItem = (coupon) => {
    const item = make("li", "coupon");
    item.dataset.code = coupon.code;
    item.dataset.state = coupon.state;
    const value = coupon.kind === "percent" ? t("coupon-percent", { percent: coupon.percent }) : t("coupon-fixed", { amount: money(coupon.amount) });
    const terms = [
      coupon.min_spend ? t("coupon-min-spend", { amount: money(coupon.min_spend) }) : t("coupon-no-minimum"),
      coupon.ends ? t("coupon-ends", { date: String(coupon.ends).slice(0, 10) }) : t("coupon-no-end"),
    ];
    const source = t("coupon-source-" + coupon.source);
    if (source) terms.unshift(source);
    item.append(make("code", "", coupon.code), " ", make("strong", "coupon-value", value), " ",
      make("span", "coupon-terms", terms.join(" · ")), " ",
      make("span", "coupon-state", t("coupon-state-" + coupon.state) || coupon.state));
    return item;
  };
  const coupons = (list) => {
    if (!list.length) return [make("span", "muted", t("account-no-coupons"))];
    const items = make("ul", "coupons");
    items.id = "account-coupon-list";
    items.append(...list.map(couponItem));
    return [items];
  };
  const points = (account) => {
    const data = account.points;
    if (!data) return null;
    const balance = make("strong", "", String(data.balance));
    balance.id = "account-points-balance";
    const parts = [balance];
    if (data.redeem_points) {
      const button = make("button", "button small", t("account-points-redeem"));
      button.type = "button";
      button.id = "account-redeem";
      button.disabled = data.balance < data.redeem_points;
      const message = make("p", "note");
      message.id = "account-redeem-message";
      message.setAttribute("aria-live", "polite");
      button.addEventListener("click", async () => {
        button.disabled = true;
        message.textContent = "";
        try {
          const { response, answer } = await postJson("/api/account/points/redeem");
          if (response.status === 201) {
            data.balance = answer.points;
            balance.textContent = String(answer.points);
            message.textContent = t("account-points-redeemed", { code: answer.coupon.code });
            account.coupons = [answer.coupon, ...account.coupons];
            fact("account-coupons", coupons(account.coupons));
          } else {
            message.textContent = problem(answer);
          }
        } catch {
          message.textContent = t("error-network");
        }
        button.disabled = data.balance < data.redeem_points;
      });
      parts.push(" ", button, make("small", "", t("account-points-rule", {
        per_yuan: data.per_yuan, points: data.redeem_points, coupon: money(data.redeem_coupon),
      })), message);
    }
    return parts;
  };
  const referral = (data) => {
    if (!data) return null;
    const link = make("input", "referral-link");
    link.id = "account-referral-link";
    link.readOnly = true;
    link.value = data.link;
    link.setAttribute("aria-label", t("referral"));
    const copy = make("button", "copy", t("copy"));
    copy.type = "button";
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(data.link);
        copy.textContent = t("copied");
      } catch {
        // Without clipboard access the link is selected, for the shopper to copy.
        link.select();
      }
    });
    const line = make("span", "referral-copy");
    // The PNG opens on its own: a phone's long press saves it or hands it to a chat app.
    const poster = make("a", "referral-poster", t("referral-poster"));
    poster.id = "account-referral-poster";
    poster.href = "/api/posters/referral";
    line.append(link, copy, poster);
    const earnings = make("dl", "earnings");
    const earned = (key, amount, id) => {
      const value = make("dd", "", money(amount));
      value.id = id;
      earnings.append(make("dt", "", t(key)), value);
    };
    earned("account-referral-pending", data.pending, "account-referral-pending");
    earned("account-referral-withdrawable", data.withdrawable, "account-referral-withdrawable");
    if (data.reversed) earned("account-referral-reversed", data.reversed, "account-referral-reversed");
    const invitees = make("span", "", t("account-referral-invitees", { count: data.invitees }));
    invitees.id = "account-referral-invitees";
    const facts = [invitees];
    if (data.levels_percent && data.levels_percent.length) {
      facts.push(t("account-referral-rates", { rates: data.levels_percent.map((p) => p + "%").join(" / ") }));
    }
    const about = make("small");
    about.append(...facts.flatMap((part, index) => (index ? [" · ", part] : [part])));
    return [line, about, earnings, make("small", "", t("account-referral-holding", { days: data.holding_days })),
      ...withdrawals(data)];
  };
  const withdrawalItem = (w) => {
    const item = make("li", "withdrawal");
    item.dataset.status = w.status;
    item.append(make("strong", "", money(w.amount)), " ",
      make("span", "", t("account-withdraw-method-" + w.method) + " " + w.account + " · " + String(w.requested_at).slice(0, 10)),
      " ", make("span", "coupon-state", t("withdrawal-status-" + w.status) || w.status));
    return item;
  };
  // Asking for the matured commissions: the shop pays by hand to the account given here.
  const withdrawals = (data) => {
    const list = make("ul", "withdrawals");
    list.id = "account-withdrawals";
    list.append(...(data.withdrawals || []).map(withdrawalItem));
    // A form with nothing to ask for only invites a refusal: say instead when there will be something.
    if (data.withdrawable <= 0) {
      const nothing = make("p", "note", t("account-withdraw-nothing", { days: data.holding_days, amount: money(data.min_withdrawal) }));
      nothing.id = "account-withdraw-nothing";
      return [nothing, list];
    }
    const form = make("form", "withdraw");
    form.id = "account-withdraw";
    const method = make("select");
    method.name = "method";
    method.setAttribute("aria-label", t("account-withdraw-method"));
    method.append(...["alipay", "wechat", "bank"].map((value) => {
      const option = make("option", "", t("account-withdraw-method-" + value));
      option.value = value;
      return option;
    }));
    const field = (name, label, max) => {
      const input = make("input");
      Object.assign(input, { name, required: true, maxLength: max, placeholder: label });
      input.setAttribute("aria-label", label);
      return input;
    };
    const button = make("button", "button small", t("account-withdraw"));
    button.type = "submit";
    const message = make("p", "note", t("account-withdraw-min", { amount: money(data.min_withdrawal) }));
    message.id = "account-withdraw-message";
    message.setAttribute("aria-live", "polite");
    form.append(method, field("account", t("account-withdraw-account"), 64), field("name", t("account-withdraw-name"), 32),
      button, message);
    button.disabled = data.withdrawable < data.min_withdrawal;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        const { response, answer } = await postJson("/api/account/withdrawals", Object.fromEntries(new FormData(form)));
        if (response.status === 201) {
          const { withdrawal } = answer;
          message.textContent = t("account-withdraw-requested", { amount: money(withdrawal.amount) });
          list.prepend(withdrawalItem(withdrawal));
          data.withdrawable -= withdrawal.amount;
          document.getElementById("account-referral-withdrawable").textContent = money(data.withdrawable);
        } else {
          message.textContent = problem(answer);
        }
      } catch {
        message.textContent = t("error-network");
      }
      button.disabled = data.withdrawable < data.min_withdrawal;
    });
    return [form, list];
  };

  const show = (account) => {
    document.getElementById("account-email").textContent = account.email_masked;
    document.getElementById("account-spend").textContent = money(account.spend);
    fact("account-level", level(account));
    fact("account-points", points(account));
    fact("account-referral", referral(account.referral));
    fact("account-coupons", account.coupons ? coupons(account.coupons) : null);
    document.getElementById("account-orders").replaceChildren(...account.orders.map(orderItem));
    document.getElementById("account-no-orders").hidden = account.orders.length > 0;
    signInBox.hidden = true;
    accountBox.hidden = false;
  };
  const showSignIn = () => {
    accountBox.hidden = true;
    welcome.hidden = true;
    signInBox.hidden = false;
  };
  const load = async () => {
    try {
      const response = await fetch("/api/account", { headers, credentials: "same-origin", cache: "no-store" });
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
      const ref = storedRef();
      try {
        const { response, answer } = await postJson("/api/account/session", ref ? { token, ref } : { token });
        if (response.ok) {
          forgetRef();
          const joined = answer.referral || {};
          status.textContent = "";
          if (joined.bound) {
            welcome.textContent = joined.welcome_coupon
              ? t("account-referral-welcome", { amount: money(joined.welcome_coupon) }) : t("account-referral-joined");
            welcome.hidden = false;
          } else if (joined.message) {
            // A referral that could not be used is not an error: signing in worked.
            status.textContent = joined.message;
          }
        } else {
          status.textContent = problem(answer);
        }
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
      const { response, answer } = await postJson(form.action, Object.fromEntries(new FormData(form)));
      if (response.status === 202) {
        status.textContent = t("sign-in-sent");
        form.reset();
      } else {
        formError.textContent = problem(answer);
      }
    } catch {
      formError.textContent = t("error-network");
    }
  });
  document.getElementById("account-sign-out").addEventListener("click", async () => {
    await postJson("/api/account/sign-out").catch(() => {});
    status.textContent = "";
    showSignIn();
  });
  // A link opened in a tab that already shows this page changes only the fragment.
  window.addEventListener("hashchange", start);
  start();
})();
