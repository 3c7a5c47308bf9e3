// After-sales (售后): a station's queue of shoppers' reports, longest waiting first, and one ticket with its
// thread, its order and the answers to it: reply, replace the key from stock, refund the key.
"use strict";
(() => {
  const { register, api, make, money, count, status, table, when, button, PLATFORM } = window.kamengConsole;

  const STATUSES = { open: "待处理", answered: "已回复", resolved: "已解决" };
  const REASONS = { key_invalid: "卡密无效", key_used: "卡密已被使用", wrong_item: "商品不符", other: "其他" };
  const RESOLUTIONS = { replaced: "已换卡", refunded: "已退款", answered: "已答复" };
  const AUTHORS = { shopper: "买家", owner: "客服" };

  const waited = (seconds) => {
    if (typeof seconds !== "number") return "—";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 1) return "不到 1 分钟";
    if (minutes < 60) return `${minutes} 分钟`;
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return `${hours} 小时 ${minutes % 60} 分钟`;
    return `${Math.floor(hours / 24)} 天 ${hours % 24} 小时`;
  };
  const ticketLink = (id) => make("a", { href: "#/after_sales/" + encodeURIComponent(id), text: id });

  const queue = (container, station) => {
    const results = make("div", { id: "ticket-results" });
    const filter = make("select", { name: "status", id: "ticket-status" }, make("option", { value: "", text: "待处理和已回复" }),
      Object.entries(STATUSES).map(([value, text]) => make("option", { value, text })));
    const load = async () => {
      const query = filter.value ? `?status=${encodeURIComponent(filter.value)}` : "";
      const found = await api("GET", `/api/owner/stations/${encodeURIComponent(station)}/tickets${query}`);
      results.replaceChildren(table({
        caption: "售后工单（等待最久的在前）", rows: found.tickets, empty: "没有售后工单",
        columns: [
          { label: "工单号", cell: (t) => ticketLink(t.id) }, { label: "已等待", cell: (t) => waited(t.waited_seconds) },
          { label: "状态", cell: (t) => STATUSES[t.status] || t.status }, { label: "原因", cell: (t) => REASONS[t.reason] || t.reason },
          { label: "订单号", key: "order_id" }, { label: "SKU", key: "sku" }, { label: "消息", numeric: true, cell: (t) => count(t.messages) },
          { label: "提交时间", cell: (t) => when(t.created_at) },
        ],
      }));
    };
    filter.addEventListener("change", () => load().catch((error) => status(error.message, "error")));
    container.append(make("div", { className: "card search" }, make("label", {}, make("span", { text: "状态" }), filter)), results);
    return load();
  };

  const thread = (messages) => make("ol", { className: "thread" }, messages.map((message) => make("li", { className: message.author },
    make("p", { className: "meta", text: `${AUTHORS[message.author] || message.author}${message.by ? "（" + message.by + "）" : ""} · ${when(message.at)}` }),
    make("p", { className: "text", text: message.text }))));

  // One form, three answers: the message goes with each, and is required only for a plain reply.
  const answerForm = (ticket, me, done) => {
    const message = make("textarea", { id: "ticket-message", name: "message", rows: 4, maxlength: 2000 });
    const form = make("form", { className: "card answer", id: "ticket-answer" },
      make("label", { for: "ticket-message", text: "回复买家（会通过邮件和订单页告知买家）" }), message);
    const actions = make("div", { className: "actions" });
    const send = async (action, doneText, confirmText) => {
      if (action === "reply" && !message.value.trim()) return status("请先填写回复内容", "error");
      if (confirmText && !confirm(confirmText)) return undefined;
      for (const control of actions.querySelectorAll("button")) control.disabled = true;
      try {
        await api("POST", `/api/owner/tickets/${encodeURIComponent(ticket.id)}/${action}`, { message: message.value.trim() || undefined });
        await done();
        status(doneText, "ok");
      } catch (error) {
        status(error.message, "error");
      } finally {
        for (const control of actions.querySelectorAll("button")) control.disabled = false;
      }
      return undefined;
    };
    const reply = button("回复", "");
    reply.dataset.action = "reply";
    reply.addEventListener("click", () => send("reply", "已回复买家"));
    const replace = button("从库存换一张卡密");
    replace.dataset.action = "replace";
    replace.addEventListener("click", () => send("replace", "已换卡并通知买家", "作废这张卡密，并从库存给订单一张新卡密？"));
    actions.append(reply, replace);
    // Staff may not move money: the API refuses it too, the button only spares them the try.
    if (me.role !== "staff") {
      const refund = button("退款这张卡密", "danger");
      refund.dataset.action = "refund";
      refund.addEventListener("click", () => send("refund", "已退款并通知买家", "退还这张卡密的金额？此操作不可撤销。"));
      actions.append(refund);
    }
    form.append(actions);
    form.addEventListener("submit", (event) => event.preventDefault());
    return form;
  };

  const detail = async (container, me, id) => {
    const data = await api("GET", `/api/owner/tickets/${encodeURIComponent(id)}`);
    const { ticket, order } = data;
    const rerender = () => {
      container.replaceChildren();
      return detail(container, me, id);
    };
    container.append(make("p", {}, make("a", { href: "#/after_sales", text: "← 返回售后工单" })),
      make("h2", { text: `售后工单 ${ticket.id}` }));
    const facts = [["状态", STATUSES[ticket.status] || ticket.status], ["处理结果", RESOLUTIONS[ticket.resolution]],
      ["原因", REASONS[ticket.reason] || ticket.reason], ["已等待", waited(ticket.waited_seconds)],
      ["提交时间", when(ticket.created_at)], ["首次回复", ticket.answered_at && when(ticket.answered_at)],
      ["解决时间", ticket.resolved_at && when(ticket.resolved_at)], ["反馈的卡密编号", ticket.key_id],
      ["新卡密编号", ticket.replacement_key_id], ["订单号", order.id], ["买家邮箱", order.email],
      ["商品", order.title], ["订单金额", money(order.total, order.currency)]].filter(([, value]) => value);
    container.append(make("dl", { className: "card facts" }, facts.map(([term, value]) => make("div", {}, make("dt", { text: term }), make("dd", { text: String(value) })))));
    if (ticket.details) container.append(make("div", { className: "card" }, make("h3", { text: "买家描述" }), make("p", { className: "text", text: ticket.details })));
    container.append(make("section", { className: "card" }, make("h3", { text: "对话" }), thread(ticket.thread || [])));
    if (ticket.status !== "resolved") container.append(answerForm(ticket, me, rerender));
    const keys = data.keys.map((key) => ({ ...key, reported: key.key_id === ticket.key_id ? "← 本工单" : key.key_id === ticket.replacement_key_id ? "新卡密" : "" }));
    container.append(make("div", { className: "tables" },
      table({ caption: "订单的卡密（已打码）", rows: keys, empty: "此订单没有卡密", columns: [
        { label: "卡密编号", key: "key_id" }, { label: "卡密", cell: (k) => make("code", { text: k.masked ?? k.problem ?? "—" }) },
        { label: "状态", cell: (k) => (k.refunded ? "已退款" : "有效") }, { label: "", key: "reported" }] }),
      table({ caption: "账目", rows: data.ledger, empty: "暂无账目", columns: [
        { label: "科目", key: "account" }, { label: "金额", numeric: true, cell: (e) => money(e.amount, e.currency) },
        { label: "备注", key: "memo" }] })));
    container.append(make("p", {}, make("a", { href: "#/orders/" + encodeURIComponent(order.id), text: "打开订单 →" })));
  };

  const render = (container, { station, me, path }) => {
    if (path[0]) return detail(container, me, path[0]);
    container.append(make("h2", { text: "售后" }));
    if (station === PLATFORM) {
      container.append(make("p", { className: "hint", text: "请在右上角选择一个站点查看其售后工单。" }));
      return undefined;
    }
    return queue(container, station);
  };

  register("after_sales", { label: "售后", render });
})();
