// The page of `sou serve`. Every text shown comes from files anyone may have written: it is
// put in the document with textContent and createElement only, never parsed as markup.
"use strict";

const PAGE = 10;
const $ = (id) => document.getElementById(id);
const state = { query: "", next: null };

// Highlights are offsets in Unicode characters (code points), as the API counts them; a
// JavaScript string counts UTF-16 units, which differ past the Basic Multilingual Plane.
function highlighted(parent, text, highlights) {
  const chars = Array.from(text);
  let at = 0;
  for (const [start, end] of highlights || []) {
    if (start > at) parent.append(chars.slice(at, start).join(""));
    const mark = document.createElement("mark");
    mark.textContent = chars.slice(start, end).join("");
    parent.append(mark);
    at = Math.max(at, end);
  }
  if (at < chars.length) parent.append(chars.slice(at).join(""));
  return parent;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function where(item) {
  return item.page ? `第 ${item.page} 页` : `第 ${item.line} 行`;
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  let body;
  try {
    body = await response.json();
  } catch (_) {
    throw new Error(`服务器回答了 ${response.status}`);
  }
  if (!response.ok) throw new Error(body.error || `服务器回答了 ${response.status}`);
  return body;
}

function articleUrl(hit) {
  const params = new URLSearchParams({ path: hit.path, q: state.query, line: String(hit.line) });
  return `?${params}`;
}

function renderHit(hit) {
  const item = element("li", "hit");
  item.dataset.tier = hit.tier;
  const open = element("a", "open");
  open.href = articleUrl(hit);
  open.addEventListener("click", (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    history.pushState(null, "", open.href);
    route();
  });
  open.append(element("div", "title", hit.title || hit.path));
  open.append(element("p", "path", `${hit.path} · ${where(hit)}`));
  if (hit.changed) {
    open.append(element("p", "snippet changed", "文件在建索引后改过：下次同步后才能显示这一段"));
  } else {
    const snippet = element("p", "snippet");
    if (!hit.text.startsWith(hit.snippet)) snippet.append("…");
    highlighted(snippet, hit.snippet, hit.highlights);
    if (!hit.text.endsWith(hit.snippet)) snippet.append("…");
    open.append(snippet);
  }
  item.append(open);
  if (hit.missing.length) item.append(element("p", "lacks", `缺少：${hit.missing.join("、")}`));
  if (hit.also.length) item.append(element("p", "also", `亦见于：${hit.also.join("，")}`));
  return item;
}

function showResults(page, append) {
  const hits = $("hits");
  if (!append) {
    hits.replaceChildren();
    const typed = page.query.trim();
    const read = page.words.join(" · ");
    const reading = $("reading");
    reading.hidden = page.words.length === 0 || (page.words.length === 1 && page.words[0] === typed);
    reading.textContent = `“${typed}” 读作：${read}`;
    const total = page.total_exact ? `${page.total}` : `至少 ${page.total}`;
    $("status").textContent = page.total === 0
      ? `没有找到 “${typed}”`
      : `共 ${total} 段（${page.took_ms} 毫秒）`;
  }
  for (const hit of page.hits) {
    const first = !hits.querySelector(".best-effort") && hit.tier === "some_words";
    if (first) hits.append(element("li", "best-effort", `没有文章包含全部的词（${page.words.join("、")}）：以下是包含最多的`));
    hits.append(renderHit(hit));
  }
  state.next = page.next_offset;
  $("more").hidden = page.next_offset === null;
}

async function search(query, offset) {
  state.query = query;
  $("results").hidden = false;
  $("article").hidden = true;
  if (!offset) $("status").textContent = "搜索中…";
  try {
    const params = new URLSearchParams({ q: query, n: String(PAGE), offset: String(offset || 0) });
    showResults(await getJson(`/api/search?${params}`), offset > 0);
  } catch (error) {
    $("hits").replaceChildren();
    $("reading").hidden = true;
    $("more").hidden = true;
    $("status").textContent = `出错了：${error.message}`;
  }
}

async function openArticle(path, query, line) {
  $("results").hidden = true;
  const view = $("article");
  view.hidden = false;
  const title = $("article-title");
  const passages = $("passages");
  title.textContent = "读取中…";
  passages.replaceChildren();
  $("article-path").textContent = path;
  try {
    const params = new URLSearchParams({ path });
    if (query) params.set("q", query);
    const article = await getJson(`/api/article?${params}`);
    document.title = `${article.title} · 搜`;
    let here = null;
    title.replaceChildren();
    article.passages.forEach((passage, i) => {
      const isTitle = i === 0 && passage.text === article.title;
      const node = isTitle ? title : element("p");
      node.dataset.line = String(passage.line);
      if (passage.changed) {
        node.append(element("span", "changed", "（这一段在建索引后改过）"));
      } else {
        if (!isTitle) node.append(element("span", "where", where(passage)));
        highlighted(node, passage.text, passage.highlights);
      }
      if (!isTitle) passages.append(node);
      if (here === null && String(passage.line) === line) here = node;
    });
    if (here) {
      here.classList.add("here");
      here.id = "here";
      here.scrollIntoView({ block: "center" });
    }
  } catch (error) {
    title.textContent = `出错了：${error.message}`;
  }
}

function route() {
  const params = new URLSearchParams(location.search);
  const query = params.get("q") || "";
  $("q").value = query;
  if (params.has("path")) {
    state.query = query;
    openArticle(params.get("path"), query, params.get("line"));
  } else if (query) {
    search(query, 0);
  } else {
    document.title = "搜 · sou";
    $("article").hidden = true;
    $("results").hidden = false;
    $("hits").replaceChildren();
    $("status").textContent = "";
    $("reading").hidden = true;
    $("more").hidden = true;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = $("q").value.trim();
    if (!query) return;
    history.pushState(null, "", `?${new URLSearchParams({ q: query })}`);
    route();
  });
  $("more").addEventListener("click", () => {
    if (state.next !== null) search(state.query, state.next);
  });
  $("back").addEventListener("click", (event) => {
    event.preventDefault();
    if (history.length > 1) history.back();
    else {
      history.pushState(null, "", `?${new URLSearchParams({ q: state.query })}`);
      route();
    }
  });
  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (event.key === "/" && !typing) {
      event.preventDefault();
      $("q").focus();
      $("q").select();
    }
  });
  window.addEventListener("popstate", route);
  $("q").focus();
  route();
});
