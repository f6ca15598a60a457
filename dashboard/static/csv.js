// CSV files made in the browser from what the API returned (RFC 4180 quoting), with a byte
// order mark so spreadsheet programs read names such as "Hämäläinen" correctly.

function cell(value, separator) {
  let text = value === null || value === undefined ? "" : String(value);
  // A cell starting like a formula would run as one in a spreadsheet: keep it text.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /["\r\n]/.test(text) || text.includes(separator)
    ? `"${text.replace(/"/g, '""')}"`
    : text;
}

// `separator` ";" for spreadsheets set up for Finnish, where "," is the decimal mark.
export function toCsv(header, rows, { separator = "," } = {}) {
  return (
    [header, ...rows].map((row) => row.map((v) => cell(v, separator)).join(separator)).join("\r\n") +
    "\r\n"
  );
}

const SEPARATOR_KEY = "mentori.csvSeparator";

// The separator the person chose last (kept in this browser), "," by default.
export function csvSeparator() {
  return localStorage.getItem(SEPARATOR_KEY) === ";" ? ";" : ",";
}

// A labelled choice of separator for a page's exports.
export function separatorPicker(id = "csv-separator") {
  const select = document.createElement("select");
  select.id = id;
  for (const [value, text] of [
    [",", "Commas"],
    [";", "Semicolons (Excel in Finnish)"],
  ]) {
    const option = new Option(text, value, false, value === csvSeparator());
    select.append(option);
  }
  select.addEventListener("change", () => localStorage.setItem(SEPARATOR_KEY, select.value));
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = "CSV columns separated by";
  const wrap = document.createElement("span");
  wrap.className = "csv-separator";
  wrap.append(label, select);
  return wrap;
}

// A number as a spreadsheet with this separator reads it: a decimal comma with semicolons.
export function csvNumber(value, separator, digits = 2) {
  if (value === null || value === undefined) return "";
  const text = Number(value).toFixed(digits);
  return separator === ";" ? text.replace(".", ",") : text;
}

export function download(filename, text) {
  const blob = new Blob(["\ufeff", text], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function slug(text) {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}
