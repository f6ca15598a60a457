// Supply against demand as a horizontal paired bar chart, in SVG drawn here: for each field (or
// language) the mentor places still open next to the students still looking, the rows short of
// mentors first and shaded, so gaps stand out. Redrawn at the container's real width, so its
// text stays readable on a phone.

import { h, replace } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) element.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function niceStep(max, ticks = 4) {
  const raw = Math.max(1, max) / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((m) => m >= raw);
  return Math.max(1, step);
}

function fit(text, maxWidth, charWidth) {
  const room = Math.floor(maxWidth / charWidth);
  return text.length <= room ? text : `${text.slice(0, Math.max(1, room - 1))}…`;
}

export function shortfall(row) {
  return row.studentsLooking - row.mentorSlotsLeft;
}

// Fewer than half the places the students looking would need: shaded, to stand out.
function severe(row) {
  return shortfall(row) > 0 && row.mentorSlotsLeft * 2 < row.studentsLooking;
}

export class SupplyDemandChart {
  constructor(container, { noun, plural = `${noun}s`, limit = 10 }) {
    this.container = container;
    this.noun = noun; // "field", "language"
    this.plural = plural;
    this.limit = limit;
    this.expanded = false;
    this.rows = null;
    this.figure = h("div", { class: "chart" });
    this.toggle = h("button", { class: "btn btn-link", type: "button", hidden: true });
    this.toggle.addEventListener("click", () => {
      this.expanded = !this.expanded;
      this.draw();
    });
    this.table = h("details", { class: "data-table" });
    replace(container, this.figure, this.toggle, this.table);
    this.width = 0;
    new ResizeObserver(() => {
      if (this.container.clientWidth !== this.width) this.draw();
    }).observe(container);
  }

  update(rows) {
    this.rows = rows;
    this.draw();
    this.drawTable();
  }

  sorted() {
    return (this.rows || [])
      .filter((r) => r.mentorSlotsLeft > 0 || r.studentsLooking > 0)
      .sort(
        (a, b) =>
          shortfall(b) - shortfall(a) ||
          b.studentsLooking - a.studentsLooking ||
          a.name.localeCompare(b.name),
      );
  }

  draw() {
    if (this.rows === null) return;
    this.width = this.container.clientWidth;
    const all = this.sorted();
    const rows = this.expanded ? all : all.slice(0, this.limit);
    this.toggle.hidden = all.length <= this.limit;
    this.toggle.textContent = this.expanded
      ? `Show the ${this.limit} largest gaps only`
      : `Show all ${all.length} ${this.plural}`;
    this.toggle.setAttribute("aria-expanded", String(this.expanded));
    if (!rows.length) {
      replace(this.figure, h("p", { class: "empty" }, "No mentor places and no students yet."));
      return;
    }
    // Each row: the name and the shortfall on one line, the two bars under it.
    const width = Math.max(260, this.width || 600);
    const inset = 8;
    const valueRoom = 36;
    const barWidth = width - 2 * inset - valueRoom;
    const rowHeight = 48;
    const barHeight = 9;
    const top = 20;
    const height = top + rows.length * rowHeight;
    const max = Math.max(...rows.map((r) => Math.max(r.mentorSlotsLeft, r.studentsLooking)));
    const step = niceStep(max, width < 400 ? 3 : 5);
    const scaleMax = Math.ceil(Math.max(1, max) / step) * step;
    const x = (value) => inset + (value / scaleMax) * barWidth;

    const short = all.filter((r) => shortfall(r) > 0);
    const summary = short.length
      ? `Short of mentors: ${short.map((r) => `${r.name} (${shortfall(r)} more students than places)`).join("; ")}.`
      : `Every ${this.noun} has at least as many mentor places as students looking.`;
    const svg = s("svg", {
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-label": `Mentor places left against students still looking, by ${this.noun}. ${summary}`,
    });

    const grid = s("g", { class: "grid" });
    const axis = s("g", { class: "axis" });
    for (let value = 0; value <= scaleMax; value += step) {
      grid.append(s("line", { x1: x(value), x2: x(value), y1: top - 4, y2: height - 4 }));
      const anchor = value === 0 ? "start" : value === scaleMax ? "end" : "middle";
      axis.append(s("text", { x: x(value), y: 11, "text-anchor": anchor }, value));
    }
    svg.append(grid, axis);

    rows.forEach((row, index) => {
      const y = top + index * rowHeight;
      const gap = shortfall(row);
      const cls = `row${gap > 0 ? " is-short" : ""}${severe(row) ? " is-severe" : ""}`;
      const group = s("g", { class: cls, "data-key": row.key });
      if (severe(row)) {
        group.append(s("rect", { class: "gap-row", x: 0, y, width, height: rowHeight - 4, rx: 6 }));
      }
      const name = fit(row.name, width - 2 * inset - (gap > 0 ? 84 : 0), severe(row) ? 7.9 : 7.4);
      const text = s(
        "text",
        { x: inset, y: y + 15, "font-size": 13, "font-weight": severe(row) ? 650 : 500 },
        name,
      );
      if (name !== row.name) text.append(s("title", {}, row.name));
      group.append(text);
      const bars = [
        ["bar-supply", row.mentorSlotsLeft, y + 21, "places left"],
        ["bar-demand", row.studentsLooking, y + 22 + barHeight, "students looking"],
      ];
      for (const [barClass, value, barY, what] of bars) {
        const w = Math.max(value > 0 ? 2 : 0, x(value) - inset);
        group.append(
          s(
            "rect",
            { class: barClass, x: inset, y: barY, width: w, height: barHeight, rx: 2 },
            s("title", {}, `${row.name}: ${value} ${what}`),
          ),
          s("text", { class: "value", x: inset + w + 4, y: barY + barHeight - 1 }, value),
        );
      }
      if (gap > 0) {
        group.append(
          s(
            "text",
            {
              class: severe(row) ? "gap-label" : "gap-label is-mild",
              x: width - inset,
              y: y + 15,
              "text-anchor": "end",
            },
            `short ${gap}`,
          ),
        );
      }
      svg.append(group);
    });
    replace(this.figure, svg);
  }

  drawTable() {
    const rows = [...(this.rows || [])].sort((a, b) => a.name.localeCompare(b.name));
    const noun = this.noun[0].toUpperCase() + this.noun.slice(1);
    replace(
      this.table,
      h("summary", {}, "Show the numbers as a table"),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          {},
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, noun),
              h("th", { scope: "col", class: "num" }, "Mentor places left"),
              h("th", { scope: "col", class: "num" }, "Students looking"),
              h("th", { scope: "col", class: "num" }, "Short by"),
            ),
          ),
          h(
            "tbody",
            {},
            rows.map((r) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, r.name),
                h("td", { class: "num" }, r.mentorSlotsLeft),
                h("td", { class: "num" }, r.studentsLooking),
                h("td", { class: "num" }, shortfall(r) > 0 ? shortfall(r) : "—"),
              ),
            ),
          ),
        ),
      ),
    );
  }
}
