// Orders: search a station's orders, read one with its keys masked and its ledger, resend, reveal, refund.
"use strict";
(() => {
  const { register, api, make, money, count, status, table, PLATFORM } = window.kamengConsole;

  const STATUSES = { pending: "待支付", paid: "已支付", awaiting_delivery: "待发货", delivered: "已发货", expired: "已过期",
    failed: "支付失败", needs_attention: "待处理", refunded: "已退款", needs_review: "风控审核中" };
  const DELIVERIES = { stock: "库存卡密", supplier: "供货商", manual: "人工发货", loop: "循环卡密" };
  const ATTEMPTS = { placed: "已提交", pending: "处理中", delivered: "已供货", failed: "失败",
    unavailable: "超时/不可用", abandoned: "已放弃" };
  const FIELDS = [["order_id", "订单号", "text"], ["email", "邮箱", "email"], ["from", "开始日期", "date"], ["to", "结束日期", "date"]];
  const link = (id) => make("a", { href: "#/orders/" + encodeURIComponent(id), text: id });
  const when = (iso) => (iso ? iso.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, " UTC") : "—");
  const button = (text, className) => make("button", { type: "button", className, text });

  const searchForm = (onSearch) => {
    const form = make("form", { className: "card search", id: "order-search" });
    for (const [name, text, type] of FIELDS) {
      form.append(make("label", {}, make("span", { text }), make("input", { name, type, autocomplete: "off" })));
    }
    const select = make("select", { name: "status" }, make("option", { value: "", text: "全部状态" }),
      Object.entries(STATUSES).map(([value, text]) => make("option", { value, text })));
    form.append(make("label", {}, make("span", { text: "状态" }), select), make("button", { type: "submit", text: "搜索" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const query = new URLSearchParams();
      for (const [name, value] of new FormData(form)) if (String(value).trim()) query.set(name, String(value).trim());
      onSearch(query);
    });
    return form;
  };

  const resultsTable = (station, query, orders) => {
    const csv = new URLSearchParams(query);
    csv.set("format", "csv");
    return table({
      caption: "订单", rows: orders, empty: "没有符合条件的订单",
      csv: `/api/owner/stations/${encodeURIComponent(station)}/orders?${csv}`,
      columns: [
        { label: "订单号", cell: (o) => link(o.id) }, { label: "下单时间", cell: (o) => when(o.created_at) },
        { label: "SKU", key: "sku" }, { label: "数量", key: "quantity", numeric: true },
        { label: "金额", numeric: true, cell: (o) => money(o.total, o.currency) },
        { label: "状态", cell: (o) => STATUSES[o.status] || o.status }, { label: "邮箱", key: "email" },
        { label: "已退卡密", numeric: true, cell: (o) => count(o.refunded_keys) },
      ],
    });
  };

  const list = (container, station) => {
    const results = make("div", { id: "order-results" });
    const search = async (query) => {
      const orders = [];
      let cursor = null;
      const more = button("加载更多", "quiet");
      const load = async () => {
        const page = new URLSearchParams(query);
        if (cursor) page.set("cursor", cursor);
        const found = await api("GET", `/api/owner/stations/${encodeURIComponent(station)}/orders?${page}`);
        orders.push(...found.orders);
        cursor = found.next_cursor;
        more.hidden = !cursor;
        results.replaceChildren(resultsTable(station, query, orders), more);
      };
      more.addEventListener("click", () => load().catch((error) => status(error.message, "error")));
      status("");
      await load();
    };
    container.append(searchForm((query) => search(query).catch((error) => status(error.message, "error"))), results);
    return search(new URLSearchParams());
  };

  const keyRow = (order, key, canRefund) => {
    const shown = make("code", { text: key.masked ?? key.problem ?? "—" });
    const reveal = button("显示", "quiet");
    reveal.addEventListener("click", async () => {
      if (!confirm("显示完整卡密会记入审计日志。继续吗？")) return;
      try {
        const opened = await api("POST", `/api/owner/orders/${encodeURIComponent(order.id)}/keys/${encodeURIComponent(key.key_id)}/reveal`, {});
        shown.textContent = opened.password ? `${opened.code}  密码：${opened.password}` : opened.code;
        reveal.remove();
      } catch (error) {
        status(error.message, "error");
      }
    });
    const pick = canRefund && !key.refunded ? make("input", { type: "checkbox", name: "key_id", value: key.key_id, "aria-label": "选择此卡密退款" }) : "";
    return { pick, id: key.key_id, shown, state: key.refunded ? "已退款" : "有效", action: key.masked ? reveal : "" };
  };

  // The time before the sweeper refunds an undelivered manual order.
  const timeLeft = (iso) => {
    const minutes = Math.floor((Date.parse(iso) - Date.now()) / 60000);
    if (minutes < 0) return "已超时，即将自动退款";
    return `剩余 ${Math.floor(minutes / 60)} 小时 ${minutes % 60} 分，超时自动退款`;
  };

  // A manual product's order: what the owner types is the goods (the buyer reads it as text on the order page).
  const deliverForm = (order, done) => {
    const form = make("form", { className: "card deliver", id: "deliver-form" });
    const message = make("textarea", { name: "message", rows: 5, maxlength: 4000, required: true,
      placeholder: "发货内容：账号、卡密或办理结果，买家会在订单页和邮件里看到" });
    form.append(make("label", {}, make("span", { text: "人工发货" }), message), make("button", { type: "submit", text: "发货" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!confirm("确认发货？发货后买家立即可见，不能撤回。")) return;
      act(() => api("POST", `/api/owner/orders/${encodeURIComponent(order.id)}/deliver`, { message: message.value }).then(done), "已发货");
    });
    return form;
  };

  const act = async (work, done) => {
    try {
      await work();
      status(done, "ok");
    } catch (error) {
      status(error.message, "error");
    }
  };

  const detail = async (container, me, id) => {
    const data = await api("GET", `/api/owner/orders/${encodeURIComponent(id)}`);
    const order = data.order;
    const canRefund = me.role !== "staff";
    const rerender = () => {
      container.replaceChildren();
      return detail(container, me, id);
    };
    container.append(make("p", {}, make("a", { href: "#/orders", text: "← 返回订单列表" })),
      make("h2", { text: `订单 ${order.id}` }));
    const facts = [["状态", STATUSES[order.status] || order.status], ["站点", order.station], ["SKU", order.sku],
      ["商品", order.title], ["数量", count(order.quantity)], ["金额", money(order.total, order.currency)],
      ["邮箱", order.email], ["下单时间", when(order.created_at)], ["更新时间", when(order.updated_at)],
      ["待处理原因", order.attention_reason], ["退款原因", order.refund_reason],
      ["风控规则", order.review], ["审核结果", order.reviewed],
      ["发货方式", DELIVERIES[order.delivery] || order.delivery],
      ["充值信息", Object.entries(order.buyer_fields || {}).map(([name, value]) => `${name}: ${value}`).join("，")],
      ["发货期限", order.status === "awaiting_delivery" && order.deliver_by ? `${when(order.deliver_by)}（${timeLeft(order.deliver_by)}）` : null],
      ["充值凭证", order.receipt]].filter(([, value]) => value);
    container.append(make("dl", { className: "card facts" }, facts.map(([term, value]) => make("div", {}, make("dt", { text: term }), make("dd", { text: String(value) })))));

    const actions = make("div", { className: "actions" });
    if (order.status === "delivered") {
      const resend = button("重发发货邮件");
      resend.addEventListener("click", () => act(() => api("POST", `/api/owner/orders/${encodeURIComponent(order.id)}/resend`, {}), "已重发发货邮件"));
      actions.append(resend);
    }
    if (canRefund && ["delivered", "needs_attention"].includes(order.status)) {
      const some = button("退款所选卡密", "danger");
      some.addEventListener("click", () => {
        const keyIds = [...container.querySelectorAll("input[name=key_id]:checked")].map((box) => box.value);
        if (!keyIds.length) return status("请先勾选要退款的卡密", "error");
        if (!confirm(`退款 ${keyIds.length} 张卡密？此操作不可撤销。`)) return;
        act(() => api("POST", `/api/owner/orders/${encodeURIComponent(order.id)}/refund`, { key_ids: keyIds }).then(rerender), "已退款");
      });
      const all = button("全部退款", "danger");
      all.addEventListener("click", () => {
        if (!confirm("退款整个订单？此操作不可撤销。")) return;
        act(() => api("POST", `/api/owner/orders/${encodeURIComponent(order.id)}/refund`, {}).then(rerender), "已退款");
      });
      actions.append(some, all);
    }
    // 风控: staff see a held order and its rule; only an owner approves (delivered) or rejects (refunded).
    if (order.status === "needs_review" && me.role !== "staff") {
      const approve = button("审核通过并发货");
      approve.addEventListener("click", () => {
        if (!confirm("审核通过？订单将立即发货。")) return;
        act(() => api("POST", `/api/owner/orders/${encodeURIComponent(order.id)}/approve`, {}).then(rerender), "已审核通过");
      });
      const reject = button("拒绝并退款", "danger");
      reject.addEventListener("click", () => {
        const reason = prompt("拒绝原因（记入审计日志）：", "");
        if (reason === null) return;
        act(() => api("POST", `/api/owner/orders/${encodeURIComponent(order.id)}/reject`, { reason }).then(rerender), "已拒绝并退款");
      });
      actions.append(approve, reject);
    }
    container.append(actions);
    if (order.status === "awaiting_delivery" && order.delivery === "manual" && me.role !== "staff") {
      container.append(deliverForm(order, rerender));
    }
    const keys = data.keys.map((key) => keyRow(order, key, canRefund));
    container.append(make("div", { className: "tables" },
      table({ caption: "卡密（已打码）", rows: keys, empty: "此订单没有卡密", columns: [
        { label: "选择", cell: (k) => k.pick || "" }, { label: "卡密编号", key: "id" }, { label: "卡密", cell: (k) => k.shown },
        { label: "状态", key: "state" }, { label: "操作", cell: (k) => k.action || "" }] }),
      table({ caption: "账目", rows: data.ledger, empty: "暂无账目", columns: [
        { label: "科目", key: "account" }, { label: "金额", numeric: true, cell: (e) => money(e.amount, e.currency) },
        { label: "备注", key: "memo" }] }),
      table({ caption: "供货记录", rows: data.supply_attempts || [], empty: "此订单没有向供货商下单", columns: [
        { label: "供货商", key: "supplier" }, { label: "请求号", key: "request_id" },
        { label: "状态", cell: (a) => ATTEMPTS[a.status] || a.status },
        { label: "已供数量", numeric: true, cell: (a) => `${count(a.quantity_delivered)} / ${count(a.quantity)}` },
        { label: "单位成本", numeric: true, cell: (a) => money(a.unit_cost, a.currency) },
        { label: "备注", cell: (a) => a.note || "—" }, { label: "开始时间", cell: (a) => when(a.started_at) }] })));
  };

  const render = (container, { station, me, path }) => {
    if (path[0]) return detail(container, me, path[0]);
    container.append(make("h2", { text: "订单" }));
    if (station === PLATFORM) {
      container.append(make("p", { className: "hint", text: "请在右上角选择一个站点查看其订单。" }));
      return undefined;
    }
    return list(container, station);
  };

  register("orders", { label: "订单", render });
})();
