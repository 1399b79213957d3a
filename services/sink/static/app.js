// newsflow sink page: latest by topic with filters, an article with its related list and story.
// Plain DOM, no build step. Every piece of article data is inserted as text (textContent /
// text nodes), never as HTML, and links only ever point to http(s) URLs or this page.
"use strict";

const TOPICS = [
  ["medtop:01000000", "arts, culture, entertainment and media"],
  ["medtop:02000000", "crime, law and justice"],
  ["medtop:03000000", "disaster, accident and emergency incident"],
  ["medtop:04000000", "economy, business and finance"],
  ["medtop:05000000", "education"],
  ["medtop:06000000", "environment"],
  ["medtop:07000000", "health"],
  ["medtop:08000000", "human interest"],
  ["medtop:09000000", "labour"],
  ["medtop:10000000", "lifestyle and leisure"],
  ["medtop:11000000", "politics"],
  ["medtop:12000000", "religion"],
  ["medtop:13000000", "science and technology"],
  ["medtop:14000000", "society"],
  ["medtop:15000000", "sport"],
  ["medtop:16000000", "conflict, war and peace"],
  ["medtop:17000000", "weather"],
];
const TOPIC_LABEL = new Map(TOPICS);
const FILTERS = ["topic", "country", "source", "section"];
const PAGE = 30;

const $ = (id) => document.getElementById(id);
const state = { filter: {}, cursor: null, shown: new Set(), page: "latest" };

// el("a", {class: "x"}, "text", child) -- strings become text nodes, so nothing is parsed as HTML.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function safeUrl(url) {
  try {
    const parsed = new URL(String(url));
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return isNaN(date) ? String(iso) : date.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

function setStatus(text, isError) {
  const status = $("status");
  status.textContent = text || "";
  status.classList.toggle("error", Boolean(isError));
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || body.error || `HTTP ${response.status}`);
  return body;
}

function articleHref(id) {
  return "#/article/" + encodeURIComponent(id);
}

function summaryItem(item, extra) {
  const chips = (item.topics || []).slice(0, 3).map((code) => el("span", { class: "chip" }, TOPIC_LABEL.get(code) || code));
  const meta = [item.source, item.section, when(item.published_at)].filter(Boolean).join(" · ");
  return el(
    "li",
    { class: "article", "data-id": item.id, "data-published": item.published_at || "" },
    el("a", { class: "title", href: articleHref(item.id) }, item.title || "(untitled)"),
    el("div", { class: "meta" }, meta, " ", ...chips),
    extra || null,
  );
}

// ---- latest page ----

function filterFromHash() {
  const query = new URLSearchParams(location.hash.split("?")[1] || "");
  const filter = {};
  for (const name of FILTERS) if (query.get(name)) filter[name] = query.get(name);
  return filter;
}

function latestUrl(filter, cursor) {
  const query = new URLSearchParams({ limit: String(PAGE) });
  for (const name of FILTERS) if (filter[name]) query.set(name, filter[name]);
  if (cursor) query.set("cursor", cursor);
  return "/v1/latest?" + query.toString();
}

async function loadLatest(append) {
  const list = $("articles");
  if (!append) {
    list.replaceChildren();
    state.shown.clear();
    state.cursor = null;
  }
  setStatus("loading…");
  try {
    const page = await getJson(latestUrl(state.filter, append ? state.cursor : null));
    for (const item of page.articles) {
      if (state.shown.has(item.id)) continue;
      state.shown.add(item.id);
      list.append(summaryItem(item));
    }
    state.cursor = page.next_cursor;
    $("more").hidden = !state.cursor;
    setStatus(list.children.length ? `${page.view}: ${list.children.length} articles` : `${page.view}: no articles yet`);
  } catch (err) {
    setStatus(err.message, true);
  }
}

function matches(item, filter) {
  const lower = (x) => String(x || "").trim().toLowerCase();
  if (filter.topic && !(item.topics || []).includes(filter.topic)) return false;
  if (filter.country && !(item.countries || []).includes(filter.country.toUpperCase())) return false;
  if (filter.source && lower(item.source) !== lower(filter.source)) return false;
  if (filter.section && lower(item.section) !== lower(filter.section)) return false;
  return true;
}

function onLive(item) {
  if (state.page !== "latest" || !matches(item, state.filter)) return;
  const list = $("articles");
  const old = list.querySelector(`li[data-id="${CSS.escape(item.id)}"]`);
  if (old) old.remove();
  // Newest first by publication time: a late arrival slots into its place.
  const published = item.published_at || "";
  const after = [...list.children].find((li) => (li.dataset.published || "") < published);
  if (!after && state.cursor) return; // belongs further down, beyond what is loaded
  const node = summaryItem(item);
  node.classList.add("new");
  state.shown.add(item.id);
  list.insertBefore(node, after || null);
  setStatus(`live: ${list.children.length} articles`);
}

function connectLive() {
  if (!window.EventSource) return;
  const source = new EventSource("/v1/stream");
  const live = $("live");
  source.addEventListener("ready", () => { live.textContent = "live"; live.classList.add("on"); });
  source.addEventListener("article", (ev) => {
    try { onLive(JSON.parse(ev.data)); } catch { /* a malformed event is ignored */ }
  });
  source.onerror = () => { live.textContent = "reconnecting"; live.classList.remove("on"); };
}

// ---- article page ----

function paragraphs(text) {
  return String(text || "").split(/\n\s*\n|\n/).map((p) => p.trim()).filter(Boolean).slice(0, 200);
}

async function loadArticle(id) {
  for (const node of ["title", "meta", "original", "lead", "body", "related", "story"]) $(node).replaceChildren();
  $("title").textContent = "loading…";
  let article;
  try {
    article = await getJson("/v1/articles/" + encodeURIComponent(id));
  } catch (err) {
    $("title").textContent = err.message;
    return;
  }
  document.title = (article.title || "article") + " — newsflow";
  $("title").textContent = article.title || "(untitled)";
  const meta = [article.source && article.source.name, (article.authors || []).join(", "), article.section,
    when(article.published_at)].filter(Boolean).join(" · ");
  $("meta").textContent = meta;
  const url = safeUrl(article.canonical_url || article.url);
  if (url) $("original").append(el("a", { href: url, rel: "noopener noreferrer nofollow" }, "original article"));
  $("lead").textContent = article.lead || "";
  for (const p of paragraphs(article.body)) $("body").append(el("p", {}, p));
  loadRelated(id);
  const story = article.dedupe && article.dedupe.story_id;
  if (story) loadStory(story, id);
  else $("story").append(el("li", { class: "info" }, "not part of a story"));
}

async function loadRelated(id) {
  const list = $("related");
  try {
    const page = await getJson(`/v1/articles/${encodeURIComponent(id)}/related`);
    if (!page.related.length) list.append(el("li", { class: "info" }, "no related articles yet"));
    for (const item of page.related) {
      list.append(
        el("li", { class: "article", "data-id": item.id },
          el("a", { class: "title", href: articleHref(item.id) }, item.title || item.id),
          el("div", { class: "meta" }, `${item.reason || "related"} · score ${Number(item.score).toFixed(2)}`)),
      );
    }
  } catch (err) {
    list.append(el("li", { class: "info" }, err.message));
  }
}

async function loadStory(storyId, selfId) {
  const list = $("story");
  try {
    const story = await getJson("/v1/stories/" + encodeURIComponent(storyId));
    const others = story.articles.filter((item) => item.id !== selfId);
    if (!others.length) list.append(el("li", { class: "info" }, "the only article of its story so far"));
    for (const item of others) list.append(summaryItem(item));
  } catch (err) {
    list.append(el("li", { class: "info" }, err.message));
  }
}

// ---- routing ----

function route() {
  const hash = location.hash || "#/";
  const match = hash.match(/^#\/article\/([^?]+)/);
  state.page = match ? "article" : "latest";
  $("latest-page").hidden = Boolean(match);
  $("article-page").hidden = !match;
  if (match) {
    loadArticle(decodeURIComponent(match[1]));
    return;
  }
  document.title = "newsflow — latest";
  state.filter = filterFromHash();
  for (const name of FILTERS) $(name).value = state.filter[name] || "";
  loadLatest(false);
}

function init() {
  const select = $("topic");
  for (const [code, label] of TOPICS) select.append(el("option", { value: code }, label));
  $("filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const query = new URLSearchParams();
    for (const name of FILTERS) {
      const value = $(name).value.trim();
      if (value) query.set(name, value);
    }
    location.hash = "#/?" + query.toString();
  });
  $("clear").addEventListener("click", () => { location.hash = "#/"; });
  $("more").addEventListener("click", () => loadLatest(true));
  window.addEventListener("hashchange", route);
  route();
  connectLive();
}

document.addEventListener("DOMContentLoaded", init);
