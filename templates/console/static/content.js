// Content: a station's station.yaml, landing.md, pages and own products edited in place, checked by the build itself
// (its messages, or a preview of the built pages) and published, which rebuilds that station alone.
"use strict";
(() => {
  const { register, api, make, status, button, PLATFORM } = window.kamengConsole;

  const PAGE = /^pages\/[a-z0-9][a-z0-9-]*\.md$/;
  const NAMES = { "station.yaml": "站点配置", "landing.md": "首页" };
  // A substation's own goods (products/<id>.md): edited here, added or removed in content/.
  const nameOf = (path) => NAMES[path] || (path.startsWith("products/") ? "自营商品" : "");

  const editor = (container, station) => {
    // The files as read, the owner's edits over them (null: a page to delete), and the version to publish over.
    const state = { version: null, files: new Map(), edits: new Map(), current: null };
    const list = make("div", { className: "files", id: "content-files", role: "list" });
    const heading = make("h3", { id: "content-path" });
    const text = make("textarea", { id: "content-text", rows: 22, spellcheck: "false", "aria-labelledby": "content-path" });
    const remove = button("删除此页面", "quiet");
    const check = button("检查并预览");
    check.id = "content-check";
    const publish = button("发布", "danger");
    publish.id = "content-publish";
    const discard = button("放弃修改并重新载入", "quiet");
    const result = make("div", { id: "content-result" });
    const slug = make("input", { id: "content-new-page", placeholder: "新页面名，如 faq", pattern: "[a-z0-9][a-z0-9-]*", autocomplete: "off" });
    const add = button("新建页面", "quiet");

    const textOf = (path) => (state.edits.has(path) ? state.edits.get(path) : state.files.get(path));
    const changed = () => Object.fromEntries([...state.edits].filter(([path, value]) => value !== (state.files.has(path) ? state.files.get(path) : null)));

    const drawList = () => {
      const paths = [...new Set([...state.files.keys(), ...state.edits.keys()])].sort();
      list.replaceChildren(...paths.map((path) => {
        const edited = state.edits.has(path) && state.edits.get(path) !== state.files.get(path);
        const deleted = state.edits.get(path) === null;
        const entry = make("button", { type: "button", className: "quiet file", "data-path": path, role: "listitem",
          "aria-current": path === state.current ? "true" : null, text: `${nameOf(path) ? nameOf(path) + " · " : ""}${path}${deleted ? "（将删除）" : edited ? " *" : ""}` });
        entry.addEventListener("click", () => open(path));
        return entry;
      }));
    };

    function open(path) {
      state.current = path;
      heading.textContent = path;
      const value = textOf(path);
      text.value = value ?? "";
      text.disabled = value === null;
      remove.hidden = !PAGE.test(path);
      remove.textContent = value === null ? "恢复此页面" : "删除此页面";
      drawList();
    }

    text.addEventListener("input", () => {
      state.edits.set(state.current, text.value);
      drawList();
    });
    remove.addEventListener("click", () => {
      const deleting = textOf(state.current) !== null;
      if (deleting) state.edits.set(state.current, null);
      else state.edits.set(state.current, state.files.get(state.current) ?? "");
      open(state.current);
    });
    add.addEventListener("click", () => {
      const path = `pages/${slug.value.trim()}.md`;
      if (!PAGE.test(path)) return status("页面名只能用小写字母、数字和 -", "error");
      if (textOf(path) === undefined) state.edits.set(path, "---\ntitle: 新页面\n---\n\n");
      slug.value = "";
      open(path);
      return undefined;
    });

    const messages = (title, lines) => make("div", { className: "card problems-card" }, make("h3", { text: title }),
      make("ul", { className: "problems", id: "content-messages" }, lines.map((line) => make("li", { text: line }))));

    const preview = (pages) => {
      const paths = Object.keys(pages);
      if (!paths.length) return make("p", { className: "hint", text: "没有可预览的页面。" });
      // No scripts and no origin: the page is the build's own output, yet it must not act as the console.
      const frame = make("iframe", { id: "content-preview", sandbox: "", title: "页面预览", referrerpolicy: "no-referrer" });
      const pick = make("select", { "aria-label": "预览的页面" }, paths.map((path) => make("option", { value: path, text: path })));
      const show = () => {
        frame.srcdoc = pages[pick.value];
      };
      pick.addEventListener("change", show);
      pick.value = state.current in pages ? state.current : paths[0];
      show();
      return make("div", { className: "card" }, make("h3", { text: "预览" }, pick), frame);
    };

    const busy = async (work) => {
      for (const control of [check, publish]) control.disabled = true;
      try {
        await work();
      } catch (error) {
        status(error.message, "error");
        if (error.code === "content_invalid") result.replaceChildren(messages("未发布：内容有误", error.fields.map((f) => f.msg)));
        if (error.code === "content_changed") {
          const reload = button("重新载入", "quiet");
          reload.addEventListener("click", () => load(true).catch((failure) => status(failure.message, "error")));
          result.replaceChildren(make("p", { className: "card" }, "别人刚刚修改了这个站点的内容。重新载入会放弃你的修改。", reload));
        }
      } finally {
        for (const control of [check, publish]) control.disabled = false;
      }
    };

    check.addEventListener("click", () => busy(async () => {
      status("正在检查…");
      const trial = await api("POST", `/api/owner/stations/${encodeURIComponent(station)}/content/check`, { files: changed() });
      result.replaceChildren(trial.ok ? preview(trial.preview || {}) : messages("内容有误", trial.messages));
      status(trial.ok ? "检查通过" : "内容有误，请按提示修改", trial.ok ? "ok" : "error");
    }));
    publish.addEventListener("click", () => busy(async () => {
      const files = changed();
      if (!Object.keys(files).length) return status("没有修改，无需发布", "error");
      if (!confirm(`发布 ${Object.keys(files).length} 个文件的修改？站点会立即重建。`)) return undefined;
      status("正在发布…");
      const done = await api("POST", `/api/owner/stations/${encodeURIComponent(station)}/content/publish`,
        { files, expected_version: state.version });
      await load(false);
      result.replaceChildren(make("p", { className: "card notice", id: "content-published", text: `已发布：${done.published.join("、")}` }));
      status("已发布，站点已重建", "ok");
      return undefined;
    }));

    async function load(fresh) {
      const content = await api("GET", `/api/owner/stations/${encodeURIComponent(station)}/content`);
      state.version = content.version;
      state.files = new Map(content.files.map((file) => [file.path, file.text]));
      state.edits = new Map();
      if (fresh) result.replaceChildren();
      const first = state.files.has(state.current) ? state.current : state.files.has("landing.md") ? "landing.md" : [...state.files.keys()][0];
      open(first);
      if (fresh) status("");
    }
    discard.addEventListener("click", () => {
      if (changed() && Object.keys(changed()).length && !confirm("放弃所有未发布的修改？")) return;
      load(true).catch((error) => status(error.message, "error"));
    });

    container.append(make("div", { className: "content-editor" },
      make("aside", { className: "card" }, make("h3", { text: "文件" }), list,
        make("div", { className: "new-page" }, slug, add)),
      make("section", { className: "card stack" }, heading, text, make("div", { className: "actions" }, check, publish, remove, discard))),
    result);
    return load(true);
  };

  const render = (container, { station }) => {
    container.append(make("h2", { text: "内容" }));
    if (station === PLATFORM) {
      container.append(make("p", { className: "hint", text: "请在右上角选择一个站点编辑其内容。" }));
      return undefined;
    }
    container.append(make("p", { className: "hint", text: `编辑 ${station} 的站点配置、首页、页面和自营商品；图片和新商品请在 content/ 中添加。发布前会用构建程序检查。` }));
    return editor(container, station);
  };

  register("content", { label: "内容", render });
})();
