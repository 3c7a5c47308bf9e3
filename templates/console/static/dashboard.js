// The dashboard: period cards, the per-day chart, and every table the dashboard API returns, each with its CSV.
// Figures the console does not know yet are still shown, named by their key and formatted by its suffix.
"use strict";
(() => {
  const { register, api, make, money, percent, count, table, PLATFORM } = window.kamengConsole;

  const LABELS = {
    gmv: "GMV（扣除退款）", orders: "订单数", keys: "卡密数", refunded: "退款金额", refunds: "退款单数",
    average_order: "客单价", refund_rate_bp: "退款率", paying_buyers: "付款买家", buyers: "买家",
    new_members: "新会员", conversion_bp: "转化率", checkouts: "发起结账", paid: "已付款",
    repurchase_rate_bp: "复购率", repeat_buyers: "复购买家", invitees: "受邀用户", commissions: "佣金",
    sku: "SKU", day: "日期", station: "站点", week: "首购周", available: "可售", reserved: "已预留",
    sold: "已售", void: "作废", days_of_cover: "可售天数", referrer: "推荐人", email: "邮箱",
    risk_blocked: "风控拦截", risk_throttled: "风控限流",
  };
  const PERIOD_NAMES = { 1: "今天", 7: "近 7 天", 30: "近 30 天" };
  const TABLE_NAMES = {
    days: "每日数据", by_revenue: "畅销商品（按销售额）", by_keys: "畅销商品（按卡密数）", stations: "各站点",
    retention: "留存（按首购周）", cohorts: "留存（按首购周）", referrals: "推荐效果", top_referrers: "推荐排行",
    stock: "库存可售天数", stock_cover: "库存可售天数",
  };
  const MONEY = /^(gmv|refunded|average_order|revenue|amount|commissions?|balance|total)$|_(gmv|amount|commissions?|minor|total|revenue)$/;
  const SKIP = new Set(["from", "to"]);

  const label = (key) => LABELS[key] || TABLE_NAMES[key] || key;
  const format = (key, value, currency) => {
    if (typeof value !== "number") return value === null || value === undefined ? "—" : typeof value === "object" ? JSON.stringify(value) : String(value);
    if (key.endsWith("_bp")) return percent(value);
    if (MONEY.test(key)) return money(value, currency);
    return count(value);
  };

  const path = (station) => station === PLATFORM ? "/api/owner/platform/dashboard" : `/api/owner/stations/${encodeURIComponent(station)}/dashboard`;
  const csv = (station, name) => `${path(station)}?format=csv&table=${encodeURIComponent(name)}`;

  const periodCards = (periods, currency) => make("div", { className: "cards" }, Object.entries(periods || {}).map(([days, figures]) => {
    const list = make("dl");
    for (const [key, value] of Object.entries(figures)) {
      if (SKIP.has(key) || (typeof value === "object" && value !== null)) continue;
      list.append(make("div", { "data-figure": key }, make("dt", { text: label(key) }), make("dd", { text: format(key, value, currency) })));
    }
    const range = figures.from && figures.to && figures.from !== figures.to ? `${figures.from} ~ ${figures.to}` : figures.from || "";
    return make("section", { className: "card period", "data-period": days },
      make("h3", {}, PERIOD_NAMES[days] || `近 ${days} 天`, make("small", { text: range })), list);
  }));

  const chart = (days, currency) => {
    const holder = make("div", { className: "chart", role: "img", "aria-label": "每日 GMV 与订单数" });
    if (!window.uPlot || !days.length) return holder;
    const symbol = money(0, currency).replace(/0\.00$/, "");
    const xs = days.map((day) => Date.parse(day.day + "T00:00:00Z") / 1000);
    const options = {
      width: 600, height: 260,
      // The days are the station's calendar days: drawn as they are named, whatever the browser's zone.
      tzDate: (seconds) => window.uPlot.tzDate(new Date(seconds * 1000), "UTC"),
      scales: { x: { time: true }, money: {}, count: {} },
      series: [
        { value: (u, seconds) => (seconds == null ? "—" : new Date(seconds * 1000).toISOString().slice(0, 10)) },
        { label: "GMV", scale: "money", stroke: "#c81e1e", fill: "rgba(200,30,30,0.08)", width: 2,
          value: (u, major) => (major == null ? "—" : money(Math.round(major * 100), currency)) },
        { label: "订单数", scale: "count", stroke: "#2563eb", width: 2, value: (u, orders) => (orders == null ? "—" : String(orders)) },
      ],
      axes: [{}, { scale: "money", values: (u, splits) => splits.map((major) => symbol + major) },
        { scale: "count", side: 1, grid: { show: false } }],
    };
    const data = [xs, days.map((day) => day.gmv / 100), days.map((day) => day.orders)];
    requestAnimationFrame(() => {
      const plot = new window.uPlot({ ...options, width: Math.max(holder.clientWidth, 280) }, data, holder);
      const resize = () => (holder.isConnected ? plot.setSize({ width: Math.max(holder.clientWidth, 280), height: 260 }) : window.removeEventListener("resize", resize));
      window.addEventListener("resize", resize);
    });
    return holder;
  };

  const rowsTable = (station, name, rows, currency) => {
    const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((key) => !(typeof rows[0][key] === "object" && rows[0][key] !== null));
    const columns = keys.map((key) => ({
      key, label: label(key), numeric: typeof rows.find((row) => row[key] !== undefined)?.[key] === "number",
      cell: (row) => format(key, row[key], currency),
    }));
    return table({ caption: TABLE_NAMES[name] || name, columns, rows, csv: csv(station, name) });
  };

  // Every list of rows in the answer is a table: top-level lists and lists one level down (best_sellers.by_keys).
  const tables = (station, data, currency) => {
    const found = [];
    for (const [key, value] of Object.entries(data)) {
      if (key === "periods") continue;
      if (Array.isArray(value) && (value.length === 0 || typeof value[0] === "object")) found.push([key, value]);
      else if (value && typeof value === "object" && !Array.isArray(value)) {
        for (const [inner, rows] of Object.entries(value)) {
          if (Array.isArray(rows) && (rows.length === 0 || typeof rows[0] === "object")) found.push([inner, rows]);
        }
      }
    }
    return found.map(([name, rows]) => rowsTable(station, name, rows, currency));
  };

  const render = async (container, { station }) => {
    container.append(make("h2", { text: station === PLATFORM ? "数据概览 · 全平台" : `数据概览 · ${station}` }));
    const loading = make("p", { className: "loading", text: "加载中…" });
    container.append(loading);
    const data = await api("GET", path(station));
    const currency = data.currency || "CNY";
    const heading = make("p", { className: "hint", text: [data.today && `截至 ${data.today}`, data.time_zone].filter(Boolean).join(" · ") });
    loading.replaceWith(heading);
    container.append(periodCards(data.periods, currency));
    if (Array.isArray(data.days)) container.append(make("section", { className: "card" }, make("h3", { text: "每日 GMV 与订单" }), chart(data.days, currency)));
    container.append(make("div", { className: "tables" }, tables(station, data, currency)));
  };

  register("dashboard", { label: "数据概览", render });
})();
