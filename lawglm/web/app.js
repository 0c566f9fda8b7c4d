// lawglm web page: streamed legal Q&A with citation cards, and contract drafting.
// All server text is inserted with textContent / createElement (never innerHTML).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { history: [], controller: null, ready: false };

const REASONS = {
  valid: "已核验",
  repealed: "已废止",
  historical: "历史版本",
  law_not_found: "未在法规库中找到",
  article_not_found: "未在法规库中找到",
};

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// ---- status ---------------------------------------------------------------
// Until /readyz says ready, 提交 stays disabled (the typed question stays) and the page says what the server is
// preparing — the index it builds on a first start, the model it converts once — and how long it has taken.
async function checkReady() {
  const badge = $("status");
  try {
    const r = await fetch("/readyz");
    const body = await r.json();
    state.ready = Boolean(body.ready);
    badge.className = "badge " + (body.ready ? "badge-ok" : body.preparing ? "badge-wait" : "badge-err");
    badge.textContent = body.ready ? (body.llm === "none" ? "就绪 · 仅检索模式" : "就绪")
      : body.preparing ? "准备中…" : "启动失败";
    showPreparing(body);
    if (body.limits) setLimits(body.limits);
    if (body.sampling) setSamplingDefaults(body.sampling);
    const retrievalOnly = body.ready && body.llm === "none";
    document.querySelectorAll(".gen-param").forEach((n) => { n.disabled = retrievalOnly; });
    $("gen-note").hidden = !retrievalOnly;
    setBusy(Boolean(state.controller));
    if (!body.ready) setTimeout(checkReady, 1000);
  } catch (e) {
    state.ready = false;
    setBusy(Boolean(state.controller));
    badge.className = "badge badge-err";
    badge.textContent = "无法连接服务";
    showPreparing({ reason: "无法连接 lawglm 服务，正在重试…" });
    setTimeout(checkReady, 3000);
  }
}

function showPreparing(body) {
  const note = $("preparing");
  if (body.ready) { note.hidden = true; return; }
  const p = body.preparing;
  if (p) {
    const step = p.total ? "（第 " + Math.min(p.done + 1, p.total) + "/" + p.total + " 步）" : "";
    note.textContent = "服务正在准备：" + p.label + step + "，已用 " + Math.round(p.elapsed_s || 0) +
      " 秒。就绪后即可提交，您输入的问题会保留。";
  } else {
    note.textContent = body.reason && /[\u4e00-\u9fff]/.test(body.reason) ? body.reason
      : "服务未能就绪：" + (body.reason || "原因未知") + "。请查看运行 lawglm serve 的终端。";
  }
  note.hidden = false;
}

// the bounds of the knobs in 高级设置 come from the server (/readyz limits); an untouched knob is not sent,
// so the server's defaults apply to it
function setLimits(limits) {
  if (limits.question) $("question").maxLength = limits.question.max;
  [["max-length", limits.max_new_tokens], ["top-p", limits.top_p], ["temperature", limits.temperature],
   ["top-k", limits.top_k]].forEach(([id, bound]) => {
    if (!bound) return;
    const input = $(id);
    input.min = String(bound.min);
    input.max = String(bound.max);
    if (id === "max-length" && !input.dataset.touched) input.value = String(bound.max);
    if (Number(input.value) > bound.max) input.value = String(bound.max);
    $(id + "-value").textContent = input.value;
  });
}

// the server's decoding defaults (greedy for legal answers)
function setSamplingDefaults(sampling) {
  [["top-p", sampling.top_p], ["temperature", sampling.temperature]].forEach(([id, value]) => {
    const input = $(id);
    if (value === undefined || value === null || input.dataset.touched) return;
    input.value = String(value);
    $(id + "-value").textContent = input.value;
  });
  $("temperature").title = "默认 " + sampling.temperature + (Number(sampling.temperature) === 0
    ? "（贪心解码：同一问题每次得到相同回答）" : "");
}

function bindSlider(id) {
  const input = $(id);
  const out = $(id + "-value");
  input.addEventListener("input", () => { out.textContent = input.value; input.dataset.touched = "1"; });
}

// ---- SSE over fetch -------------------------------------------------------
async function* sseEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const ev = { event: "message", data: "" };
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) ev.event = line.slice(6).trim();
        else if (line.startsWith("data:")) ev.data += line.slice(5).trim();
      }
      if (ev.data) yield { event: ev.event, data: JSON.parse(ev.data) };
    }
  }
}

function errorText(body, status) {
  if (status === 503 && !(body && body.error && body.error.code === "queue_full")) {
    return "服务尚未就绪（正在准备法条索引和模型），请稍候再提交；您的问题已保留在输入框中。";
  }
  if (!body) return "请求失败（HTTP " + status + "）";
  if (Array.isArray(body.detail)) return body.detail.map((d) => (d.loc || []).slice(1).join(".") + "：" + d.msg).join("；");
  return (body.error && body.error.message) || body.detail || ("请求失败（HTTP " + status + "）");
}

// ---- Q&A ------------------------------------------------------------------
function newTurn(question) {
  const node = $("tpl-turn").content.firstElementChild.cloneNode(true);
  node.querySelector(".user .text").textContent = question;
  $("conversation").appendChild(node);
  $("empty-hint").hidden = true;
  return node;
}

// support verdicts (lawglm/support.py reason_text says the same in the CLI)
const SUPPORT_PILLS = { supported: "与原文一致", quote_mismatch: "引文不符", not_in_sources: "不在依据中", unrelated: "与回答无关" };
// what a checked article is to the reader (Citation.role, set by the answer pipeline), in plain words
const ROLES = {
  claim: { pill: "支持回答中的说法", cls: "ok", pillCls: "pill-ok",
           tip: "回答中的说法与这一条的原文一致。" },
  related: { pill: "检索到的相关条文", cls: "related", pillCls: "pill-related",
             tip: "这是按您的问题检索到的条文，供您对照阅读；回答并没有据此下结论。" },
  off_question: { pill: "与您的问题关系不大", cls: "offq", pillCls: "pill-offq",
                  tip: "检索结果中的条文，与您的问题用词关系不大，可能并不适用。" },
};

function supportNote(c) {
  const s = c.support || {};
  if (s.reason === "supported") {
    if (!s.corrected_from) return null;
    const was = s.corrected_from, lawPart = c.raw.slice(0, c.raw.indexOf("》") + 1);
    return "原文写作" + (lawPart && was.startsWith(lawPart) ? was.slice(was.indexOf("》") + 1) : was) + "，已更正";
  }
  if (s.reason === "quote_mismatch") return "引文与该条原文不符" + (s.actual ? "，实为" + s.actual.citation : "");
  if (s.reason === "not_in_sources") return "该条不在检索到的依据中" + (s.matches ? "（条文内容与回答相符）" : "");
  if (s.reason === "unrelated") {
    if ((s.score || 0) >= 0.5) return s.differs ? "回答与该条原文不一致（数字、否定或“应当/可以”等用语不同），请核对原文" : "回答的表述与该条原文出入较大，请核对原文";
    return "该条与回答内容无关";
  }
  return null;
}

// the status an article is shown with, its explanation as a tooltip, and the law's amending acts (from the corpus)
function statusPill(status, detail) {
  const pill = el("span", "pill pill-status" + (status === "现行有效" ? " pill-current" : ""), status);
  if (detail && detail.note) { pill.title = detail.note; pill.tabIndex = 0; }
  return pill;
}

function statusHistory(detail) {
  if (!detail) return null;
  const box = el("details", "status-history");
  box.appendChild(el("summary", null, "效力与修正情况"));
  box.appendChild(el("p", "status-note", detail.note));
  const dates = [];
  if (detail.effective_date) dates.push("施行日期 " + detail.effective_date);
  if (detail.version_date) dates.push("库中文本版本 " + detail.version_date);
  if (dates.length) box.appendChild(el("p", "status-dates", dates.join("；")));
  if (detail.amendments && detail.amendments.length) {
    box.appendChild(el("p", "status-dates", "法规库中的修正文件："));
    const ol = el("ol", "amendments");
    detail.amendments.forEach((a) => {
      const li = el("li", a.names_this_article ? "touches" : "", a.date + " 《" + a.name + "》" +
        (a.effective_date && a.effective_date !== a.date ? "（" + a.effective_date + " 施行）" : ""));
      if (a.names_this_article) li.appendChild(el("span", "pill pill-touch", "涉及本条"));
      ol.appendChild(li);
    });
    box.appendChild(ol);
  }
  return box;
}

function citeTitle(law, label, raw) {
  const title = el("span", "cite-title");
  if (!law) { title.textContent = raw; return title; }
  title.appendChild(document.createTextNode("《" + law + "》"));
  title.appendChild(el("span", "art-no", label));  // 第二十七条 stays on one line
  return title;
}

// the article's cross-references (lawglm/statutes/links.py): the interpretations and regulations applying it,
// the articles it applies — one line each, grouped by document: 婚姻家庭编解释一 第一条、第二条
function linksLine(links) {
  if (!links) return null;
  const rows = [["applied_by", "适用本条的解释和法规："], ["applies", "本条适用："]]
    .filter(([field]) => links[field] && links[field].length);
  if (!rows.length) return null;
  const box = el("div", "links-line");
  rows.forEach(([field, head]) => {
    const groups = new Map();
    links[field].forEach((r) => groups.set(r.short, [...(groups.get(r.short) || []), r]));
    const p = el("p", "links-" + field.replace("_", "-"), head);
    [...groups.entries()].forEach(([name, refs], i) => {
      const span = el("span", "link-doc", (i ? "；" : "") + name + " " + refs.map((r) => r.label).join("、"));
      span.title = refs.map((r) => r.citation).join("\n");
      p.appendChild(span);
    });
    const total = links[field + "_total"];
    if (total > links[field].length) p.appendChild(el("span", "link-more", "（共 " + total + " 条）"));
    box.appendChild(p);
  });
  return box;
}

// shownAbove: the deciding article, already quoted in full in 起决定作用的条款 — its card keeps the verdict,
// status and links, and points up instead of repeating the text
function citationCard(c, count, shownAbove) {
  const ok = c.verified;
  const warn = ok && c.supported === false;  // the article exists, but does not back what the answer says
  const role = ok && c.supported && ROLES[c.role];
  const card = el("div", "card citation " + (role ? role.cls : warn ? "warn" : ok ? "ok" : "bad"));
  const head = el("div", "card-head");
  head.appendChild(citeTitle(c.law, c.label, c.raw));
  const text = role ? role.pill : ok && c.support ? SUPPORT_PILLS[c.support.reason] || c.support.reason
    : REASONS[c.reason] || c.reason;
  const pill = el("span", "pill " + (role ? role.pillCls : warn ? "pill-warn" : ok ? "pill-ok" : "pill-bad"), text);
  if (role) { pill.title = role.tip; pill.tabIndex = 0; }
  head.appendChild(pill);
  if (c.status) head.appendChild(statusPill(c.status, c.status_detail));
  if (count > 1) {
    const times = el("span", "pill pill-count", "×" + count);
    times.title = "回答中引用了 " + count + " 次";
    head.appendChild(times);
  }
  card.appendChild(head);
  const note = ok ? supportNote(c) : null;
  if (note) card.appendChild(el("p", "cite-note", note));
  if (c.text && shownAbove) card.appendChild(el("p", "article-text shown-above", "全文见上方「起决定作用的条款」。"));
  else if (c.text) card.appendChild(el("p", "article-text", c.text));
  else card.appendChild(el("p", "article-text missing-text", "“" + c.raw + "” 未在法规库中找到，请勿依赖此引用。"));
  const linked = linksLine(c.links);
  if (linked) card.appendChild(linked);
  const history = statusHistory(c.status_detail);
  if (history) card.appendChild(history);
  return card;
}

function retrievedItem(h) {
  const li = el("li", "retrieved-item");
  const head = el("div", "card-head");
  head.appendChild(citeTitle(h.law, h.label));
  head.appendChild(statusPill(h.status, h.status_detail));
  li.appendChild(head);
  li.appendChild(el("p", "article-text", h.text));
  const linked = linksLine(h.links);
  if (linked) li.appendChild(linked);
  const history = statusHistory(h.status_detail);
  if (history) li.appendChild(history);
  return li;
}

// a grounded answer (lawglm/grounded.py): 结论, 下一步 and the note as text; 法律依据 as the citation cards
function renderSections(text, s) {
  const parts = [el("div", "section-title", "结论"),
                 el("p", "conclusion" + ({fallback: " fallback", sources: " quoted"}[s.conclusion_from] || ""), s.conclusion)];
  if (s.calculations && s.calculations.length) parts.push(el("div", "section-title", "计算"), calculations(s));
  if (s.basis_full && s.basis_full.length) {
    const title = s.deciding ? "起决定作用的条款" : "检索到的条文";  // no clause decides: none is called so
    parts.push(el("div", "section-title", title), ...basisBlocks(s));
  }
  if (s.next_steps && s.next_steps.length) {
    parts.push(el("div", "section-title", "下一步"));
    const ol = el("ol", "next-steps");
    s.next_steps.forEach((line) => ol.appendChild(el("li", "", line)));
    parts.push(ol);
  }
  parts.push(el("p", "disclaimer", s.disclaimer));
  text.replaceChildren(...parts);
}

// the person's numbers (answer/calculators.py): each figure with its working, each step citing its 款/项
function calculations(s) {
  const box = el("div", "calculations");
  s.calculations.forEach((c) => {
    box.appendChild(el("p", "calc-title", c.title + (c.amount == null ? "" : "：" + c.amount.toLocaleString("zh-CN") + "元")));
    const ol = el("ol", "calc-steps");
    (c.lines || []).forEach((line) => ol.appendChild(el("li", "", line)));
    box.appendChild(ol);
  });
  return box;
}

// an article's text with the deciding clause marked (answer/decided.py basis_full)
function articleWithClause(a) {
  const p = el("p", "article-text");
  const clause = a.clause && a.clause.text;
  const at = clause ? a.text.indexOf(clause) : -1;
  if (at < 0) { p.textContent = a.text; return p; }
  p.appendChild(document.createTextNode(a.text.slice(0, at)));
  p.appendChild(el("mark", "deciding-clause", clause));
  p.appendChild(document.createTextNode(a.text.slice(at + clause.length)));
  return p;
}

// 法律依据: the deciding clause first and marked in its article; every retrieved article in full one tap
// away, those that do not bear on the question greyed (the articles the answer quotes are its cards below)
function basisBlocks(s) {
  const out = [];
  const deciding = s.basis_full.find((a) => a.clause);
  if (deciding) {
    const card = el("div", "card deciding");
    const head = el("div", "card-head");
    head.appendChild(citeTitle(deciding.law, deciding.clause.label));
    head.appendChild(el("span", "pill pill-deciding", "决定本问题"));
    head.appendChild(statusPill(deciding.status));
    card.appendChild(head);
    card.appendChild(articleWithClause(deciding));
    out.push(card);
  }
  const all = el("details", "basis-full");
  const folded = s.basis_full.filter((a) => !a.bears).length;
  all.appendChild(el("summary", "", "全部条文（" + s.basis_full.length + "）" + (folded ? "，其中 " + folded + " 条与本问题关系不大" : "")));
  s.basis_full.forEach((a) => {
    const item = el("div", "card" + (a.bears ? "" : " offq"));
    const head = el("div", "card-head");
    head.appendChild(citeTitle(a.law, a.label));
    head.appendChild(statusPill(a.status));
    item.appendChild(head);
    item.appendChild(articleWithClause(a));
    all.appendChild(item);
  });
  out.push(all);
  return out;
}

// one card per article and verdict, with how many times the answer cites it
function uniqueCitations(citations) {
  const groups = new Map();
  citations.forEach((c) => {
    const key = [c.law || c.raw, c.label, c.supported, c.reason, (c.support || {}).reason, c.role].join("|");
    if (groups.has(key)) groups.get(key).count += 1;
    else groups.set(key, { citation: c, count: 1 });
  });
  return [...groups.values()];
}

// an answer the token limit cut short ends with this note (lawglm/assistant.py LENGTH_NOTE)
const LENGTH_NOTE = "（回答已达长度上限）";

function markCut(text, answer) {
  if (answer.finish_reason !== "length") return;
  const last = text.lastChild;
  if (last && last.nodeType === Node.TEXT_NODE && last.textContent.endsWith(LENGTH_NOTE)) {
    last.textContent = last.textContent.slice(0, -LENGTH_NOTE.length);
  }
  const conclusion = text.querySelector(".conclusion");
  if (conclusion && conclusion.textContent.endsWith(LENGTH_NOTE)) {
    conclusion.textContent = conclusion.textContent.slice(0, -LENGTH_NOTE.length);
  }
  const note = el("span", "length-note", LENGTH_NOTE);
  note.title = "回答达到长度上限后被截断；可在“高级设置”中调大“回答最大长度”后重新提问。";
  (conclusion || text).appendChild(note);
}

function renderFinal(turn, answer) {
  const text = turn.querySelector(".bot .text");
  const grounded = answer.sections && answer.sections.conclusion;
  if (grounded) renderSections(text, answer.sections);
  else text.textContent = answer.answer;
  markCut(text, answer);
  text.classList.remove("streaming");
  const box = turn.querySelector(".citations");
  box.replaceChildren();
  const cites = uniqueCitations(answer.citations);
  if (cites.length) box.appendChild(el("div", "section-title", grounded ? "法律依据" : "引用的法条"));
  const deciding = grounded && (answer.sections.basis_full || []).find((a) => a.clause);
  const above = (c) => Boolean(deciding && c.verified && c.law === deciding.law && c.label === deciding.label);
  cites.forEach((g) => box.appendChild(citationCard(g.citation, g.count, above(g.citation))));
  const list = turn.querySelector(".retrieved ol");
  list.replaceChildren(...answer.retrieved.map(retrievedItem));
  turn.querySelector(".retrieved summary").textContent = "检索到的法条（" + answer.retrieved.length + "）";
  turn.querySelector(".retrieved").hidden = !answer.retrieved.length;  // 你好 gets no empty list
}

// keep the start of an answer (the question, then 结论) in view: inside the conversation box on a desktop,
// in the page on a phone — never jump to the last card
function showStart(turn) {
  const box = $("conversation");
  const top = turn.getBoundingClientRect().top;
  if (getComputedStyle(box).overflowY !== "visible" && box.scrollHeight > box.clientHeight) {
    box.scrollTop += top - box.getBoundingClientRect().top - 8;
  } else {
    window.scrollBy(0, top - 8);
  }
}

function showTurnError(turn, message) {
  const text = turn.querySelector(".bot .text");
  text.classList.remove("streaming");
  text.appendChild(el("div", "error", message));
}

function askBody(question) {
  const body = { question, history: state.history.slice(), stream: true, top_k: Number($("top-k").value) };
  if (!$("top-p").disabled) {  // generation parameters mean nothing in retrieval-only mode
    [["max-length", "max_new_tokens"], ["top-p", "top_p"], ["temperature", "temperature"]].forEach(([id, key]) => {
      if ($(id).dataset.touched) body[key] = Number($(id).value);
    });
  }
  const law = $("law-filter").value.trim();
  if (law) body.law = law;
  return body;
}

async function ask(question) {
  const turn = newTurn(question);
  const text = turn.querySelector(".bot .text");
  state.controller = new AbortController();
  setBusy(true);
  showStart(turn);
  try {
    const r = await fetch("/v1/legal/ask", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(askBody(question)), signal: state.controller.signal,
    });
    if (!r.ok) {
      showTurnError(turn, errorText(await r.json().catch(() => null), r.status));
      if (r.status === 503) checkReady();
      return;
    }
    if ($("question").value.trim() === question) $("question").value = "";  // accepted: the box is free again
    for await (const ev of sseEvents(r)) {
      if (ev.event === "token") text.textContent += ev.data.text;
      else if (ev.event === "final") {
        renderFinal(turn, ev.data);
        state.history.push([question, ev.data.answer]);
        showStart(turn);
      } else if (ev.event === "error") showTurnError(turn, errorText(ev.data, ev.data.error && ev.data.error.code));
    }
  } catch (e) {
    showTurnError(turn, e.name === "AbortError" ? "已停止。" : "连接中断：" + e.message);
  } finally {
    state.controller = null;
    setBusy(false);
  }
}

function setBusy(busy) {
  $("submit").disabled = busy || !state.ready;
  $("submit").title = state.ready ? "" : "服务正在准备，就绪后即可提交";
  $("stop").disabled = !busy;
}

function clearHistory() {
  if (state.controller) state.controller.abort();
  state.history = [];
  $("conversation").querySelectorAll(".turn").forEach((t) => t.remove());
  $("empty-hint").hidden = false;
}

// ---- contracts ------------------------------------------------------------
async function loadTemplates() {
  try {
    const r = await fetch("/v1/contracts");
    if (!r.ok) return;
    const { templates } = await r.json();
    const select = $("template");
    for (const t of templates) {
      const opt = el("option", null, t.title + "（" + t.name + "）");
      opt.value = t.name;
      opt.dataset.description = t.description || "";
      select.appendChild(opt);
    }
  } catch (e) { /* the tab stays usable with automatic selection */ }
}

function inline(parent, text) {
  // **bold** only; everything else is plain text
  text.split(/(\*\*[^*]+\*\*)/).forEach((part) => {
    if (part.startsWith("**") && part.endsWith("**") && part.length > 4) parent.appendChild(el("strong", null, part.slice(2, -2)));
    else if (part) parent.appendChild(document.createTextNode(part));
  });
  return parent;
}

function tableFrom(lines) {
  // on a phone (style.css) the rows stack, each cell labelled with its column's header (data-label)
  const table = el("table", "stacked");
  const rows = lines.map((line) => line.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim()));
  const head = rows[0] || [];
  rows.forEach((cells, i) => {
    const tr = el("tr", i === 0 ? "head" : null);
    cells.forEach((cell, j) => {
      const td = inline(el(i === 0 ? "th" : "td"), cell);
      if (i > 0 && head[j]) td.dataset.label = head[j].replace(/\*\*/g, "");
      tr.appendChild(td);
    });
    table.appendChild(tr);
  });
  return table;
}

function renderMarkdown(md, target) {
  // a small, safe Markdown subset: headings, tables, lists, rules, paragraphs
  target.replaceChildren();
  const lines = md.split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const h = line.match(/^(#{1,4})\s+(.*)$/);
    if (h) { target.appendChild(inline(el("h" + (h[1].length + 1)), h[2])); i++; continue; }
    if (line.trim().startsWith("|")) {
      const block = [];
      while (i < lines.length && lines[i].trim().startsWith("|")) block.push(lines[i++]);
      const scroll = el("div", "table-scroll");  // a wide table scrolls inside its own box, not the page
      scroll.appendChild(tableFrom(block.filter((l) => !/^\s*\|?[\s:|-]+\|?\s*$/.test(l))));
      target.appendChild(scroll);
      continue;
    }
    if (/^\s*[-*]\s+/.test(line)) {
      const ul = el("ul");
      while (i < lines.length && /^\s*[-*]\s+/.test(lines[i])) ul.appendChild(inline(el("li"), lines[i++].replace(/^\s*[-*]\s+/, "")));
      target.appendChild(ul);
      continue;
    }
    if (/^\s*(---|\*\*\*)\s*$/.test(line)) { target.appendChild(el("hr")); i++; continue; }
    if (line.trim()) target.appendChild(inline(el("p"), line));
    i++;
  }
}

async function draftContract(ev) {
  ev.preventDefault();
  const err = $("contract-error"), missing = $("contract-missing"), link = $("docx-link");
  err.hidden = true; missing.hidden = true; link.hidden = true; $("contract-notes").hidden = true;
  const body = { template: $("template").value || null, request: $("contract-request").value.trim() || null };
  $("draft").disabled = true;
  try {
    const r = await fetch("/v1/contracts/draft", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await r.json().catch(() => null);
    if (!r.ok) { err.textContent = errorText(data, r.status); err.hidden = false; return; }
    renderMarkdown(data.markdown, $("contract-output"));
    $("contract-output").hidden = false;
    if (data.missing && data.missing.length) {
      const labels = await fieldLabels(data.template);
      missing.textContent = "待补充的字段（已在合同中留空）：" + data.missing.map((n) => labels[n] || n).join("、");
      missing.hidden = false;
    }
    showContractNotes(data.notes || [], data.warnings || []);
    await prepareDocx(data.template, data.fields);
  } catch (e) {
    err.textContent = "请求失败：" + e.message; err.hidden = false;
  } finally {
    $("draft").disabled = false;
  }
}

function showContractNotes(notes, warnings) {
  // legal warnings first (each names the statute it relies on), then what the request said that was not used
  const box = $("contract-notes");
  box.replaceChildren();
  const rest = notes.filter((n) => !warnings.includes(n));
  warnings.forEach((w) => box.appendChild(el("p", "contract-warning", w)));
  rest.forEach((n) => box.appendChild(el("p", "contract-note", n)));
  box.hidden = !(warnings.length || rest.length);
}

async function fieldLabels(template) {
  try {
    const r = await fetch("/v1/contracts/" + encodeURIComponent(template));
    const props = r.ok ? (await r.json()).properties || {} : {};
    return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.label || k]));
  } catch (e) {
    return {};
  }
}

async function prepareDocx(template, fields) {
  const r = await fetch("/v1/contracts/draft?format=docx", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ template, fields }),
  });
  if (!r.ok) return;
  const link = $("docx-link");
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(await r.blob());
  link.download = (template || "contract") + ".docx";
  link.hidden = false;
}

// ---- wiring ---------------------------------------------------------------
function switchTab(button) {
  document.querySelectorAll(".tab").forEach((t) => {
    const active = t === button;
    t.classList.toggle("active", active);
    t.setAttribute("aria-selected", String(active));
    $(t.dataset.panel).hidden = !active;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  ["max-length", "top-p", "temperature", "top-k"].forEach(bindSlider);
  document.querySelectorAll(".tab").forEach((t) => t.addEventListener("click", () => switchTab(t)));
  $("ask-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = $("question").value.trim();
    if (!q || state.controller || !state.ready) return;  // before ready: 提交 is disabled and the question stays
    ask(q);
  });
  $("question").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) $("ask-form").requestSubmit();
  });
  $("stop").addEventListener("click", () => state.controller && state.controller.abort());
  $("clear").addEventListener("click", clearHistory);
  $("template").addEventListener("change", (ev) => {
    const opt = ev.target.selectedOptions[0];
    $("template-desc").textContent = (opt && opt.dataset.description) || "";
  });
  $("contract-form").addEventListener("submit", draftContract);
  checkReady();
  loadTemplates();
});
