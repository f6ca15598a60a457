// Small DOM and formatting helpers shared by the pages. Text always goes in as text (never as
// HTML), so names and messages people typed cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    // Through the CSSOM: the pages' Content-Security-Policy refuses style attributes.
    else if (key === "style") Object.assign(element.style, value);
    else if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export const $ = (selector, root = document) => root.querySelector(selector);

export const LABELS = {
  AVAILABLE: "Available",
  BUSY: "Busy",
  FULL: "Full",
  HIDDEN: "Hidden",
  PENDING: "Pending",
  ACCEPTED: "Accepted",
  REJECTED: "Declined",
  WITHDRAWN: "Withdrawn",
  EXPIRED: "Expired",
  CLOSED_MENTOR_FULL: "Closed: mentor full",
  DRAFT: "Draft",
  PUBLISHED: "Published",
  MASTERS: "Master's",
  DOCTORAL: "Doctoral",
  FINLAND: "Finland",
  ABROAD: "Abroad",
  MENTOR_SIGNUP: "Mentor sign-up",
  STUDENT_REQUESTS: "Student requests",
  BRIEFINGS: "Briefings",
  PROGRAMME: "Programme",
  HALFWAY_SURVEY: "Halfway survey",
  FINAL_SURVEY: "Final survey",
};

export const label = (value) => LABELS[value] || value;

export function badge(value, text = label(value)) {
  return h("span", { class: `badge badge-${String(value).toLowerCase()}`, dataset: { value } }, text);
}

export function pluralise(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

export function formatDate(isoDate, options = {}) {
  // A calendar date (no time): format it as that date wherever the browser is.
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
    ...options,
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

export function formatDateTime(iso, timeZone, options = {}) {
  return new Intl.DateTimeFormat("en-GB", {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
    ...options,
  }).format(new Date(iso));
}

export function formatTime(iso, timeZone) {
  return new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZone,
  }).format(new Date(iso));
}

export function formatAge(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return "under a minute";
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return `${days} d ${hours % 24} h`;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// The database id inside a Relay global id ("Mentor:42", base64): used only to keep lists in
// the server's order.
export function localId(globalId) {
  try {
    return Number(atob(globalId).split(":").pop());
  } catch {
    return Number.NaN;
  }
}

// A polite announcement for screen readers (the region is in every page).
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

// A visible alert in the corner; errors stay until dismissed, others fade after a while.
export function alertBox(text, { kind = "info", timeout = 8000, title = null } = {}) {
  const area = document.getElementById("alerts");
  if (!area) return null;
  const close = h("button", { type: "button", "aria-label": "Dismiss" }, "×");
  const box = h(
    "div",
    { class: `alert alert-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("p", {}, title ? [h("strong", {}, title), " "] : null, text),
    close,
  );
  close.addEventListener("click", () => box.remove());
  area.append(box);
  if (kind !== "error" && timeout) setTimeout(() => box.remove(), timeout);
  return box;
}

export function showError(error) {
  return alertBox(error && error.message ? error.message : String(error), { kind: "error" });
}

export function flash(element) {
  if (!element) return;
  element.classList.remove("flash");
  void element.offsetWidth; // restart the animation
  element.classList.add("flash");
}

// A button that shows it is busy while its action runs, and cannot be pressed twice.
export async function busy(button, action) {
  if (button.disabled) return undefined;
  // Disabling the focused button drops the focus to the page: it comes back to the button once
  // the action is done, unless the action has put it somewhere.
  const hadFocus = document.activeElement === button;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    const lost = !document.activeElement || document.activeElement === document.body;
    if (hadFocus && lost && button.isConnected) button.focus();
  }
}

// Redraws rows (each with `data-<key>`) without losing the focus held in one of them: it goes
// to the same row's button once redrawn, or to `fallback` when that row is gone.
export function keepingFocus(container, key, redraw, fallback) {
  const active = document.activeElement;
  const row = active && container.contains(active) ? active.closest(`[data-${key}]`) : null;
  const wanted = row ? row.getAttribute(`data-${key}`) : null;
  redraw();
  if (wanted === null || container.contains(document.activeElement)) return;
  const again = container.querySelector(`[data-${key}="${CSS.escape(wanted)}"] button`);
  if (again) {
    again.focus();
  } else if (fallback) {
    fallback.tabIndex = -1;
    fallback.focus();
  }
}

// The page has loaded what it shows first (assistive technology waits for aria-busy to clear).
export function loaded() {
  document.getElementById("main").setAttribute("aria-busy", "false");
}
