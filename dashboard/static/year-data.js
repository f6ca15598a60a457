// The person's own data: download everything Mentori stores about them (myPersonalData, saved
// as a JSON file), and erase it (eraseMe) after a dialog that says what becomes of the requests
// waiting and of their matches. Once erased, the page says so and signs out: the server has
// already refused the token for good (services/users.py).

import { forget } from "./session.js";
import { $, busy, h, replace, showError } from "./ui.js";
import { partnerOf } from "./year-dates.js";

const MY_DATA = "query MyPersonalData { myPersonalData }";
const ERASE_ME = "mutation EraseMe { eraseMe { erasedAt } }";

function download(document_, filename) {
  const blob = new Blob([`${JSON.stringify(document_, null, 2)}\n`], {
    type: "application/json",
  });
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function consequences(year) {
  const names = year.data.myMatches.map((m) => partnerOf(year, m).displayName);
  const partners = names.length ? names.join(" and ") : "";
  const items =
    year.role === "MENTOR"
      ? [
          "Your profile comes off the list at once.",
          "Every request waiting for your answer is closed now: those students are told and " +
            "can ask another mentor straight away.",
          partners
            ? `Your match with ${partners} stays only as an anonymous record: they no longer ` +
              "see your name or email, and the notes of your meetings are deleted."
            : null,
        ]
      : [
          "A request of yours still waiting for an answer is withdrawn.",
          partners
            ? `Your match with ${partners} stays only as an anonymous record: your mentor no ` +
              "longer sees your name or email, and the notes of your meetings are deleted."
            : null,
        ];
  items.push(
    "Your survey answers stay only as anonymous numbers; what you wrote in them is deleted.",
    "Your name, email and emails to you are deleted, and you are signed out everywhere.",
  );
  return items.filter(Boolean);
}

// After erasure: the page's only content says what happened; nothing of the person remains.
function erased() {
  forget();
  const heading = h("h1", { id: "gate-title", tabindex: "-1" }, "Your data is erased");
  replace(
    $("#gate"),
    h(
      "section",
      { class: "card notice", id: "erased", "aria-labelledby": "gate-title" },
      heading,
      h(
        "p",
        {},
        "Mentori no longer holds your name, email, profile or notes; what others see of you " +
          "is an anonymous record.",
      ),
      h("p", {}, "You are signed out, and this sign-in no longer works."),
      h("p", {}, h("a", { href: location.pathname }, "Back to the sign-in page")),
    ),
  );
  $("#gate").hidden = false;
  $("#app").hidden = true;
  $("#sign-out").hidden = true;
  replace($("#who"));
  const pill = $("#live-status");
  pill.dataset.state = "closed";
  pill.textContent = "Signed out";
  heading.focus();
}

export function dataPanel(year) {
  const downloadButton = h("button", { class: "btn", type: "button" }, "Download my data");
  const eraseButton = h("button", { class: "btn btn-danger", type: "button" }, "Erase me…");
  const element = h(
    "section",
    { class: "card", id: "year-data", "aria-labelledby": "year-data-title" },
    h("h2", { id: "year-data-title" }, "My data"),
    h(
      "p",
      { class: "hint" },
      "Everything Mentori stores about you, as one file (JSON); or erase it for good.",
    ),
    h("div", { class: "actions spaced" }, downloadButton, eraseButton),
  );

  downloadButton.addEventListener("click", () =>
    busy(downloadButton, async () => {
      try {
        const { myPersonalData } = await year.api.request(MY_DATA);
        const day = String(myPersonalData.generatedAt).slice(0, 10);
        download(myPersonalData, `mentori-my-data-${day}.json`);
      } catch (error) {
        showError(error);
      }
    }),
  );

  const list = h("ul", { id: "erase-what" });
  const error = h("p", { class: "form-error", role: "alert" });
  const cancel = h("button", { class: "btn", type: "button" }, "Keep my data");
  const confirm = h("button", { class: "btn btn-danger", type: "submit" }, "Erase my data");
  const form = h(
    "form",
    { method: "dialog" },
    h("h2", { id: "erase-title" }, "Erase your data from Mentori?"),
    h("p", { id: "erase-intro" }, "This cannot be undone. When you erase your data:"),
    list,
    error,
    h("div", { class: "actions" }, cancel, confirm),
  );
  const dialog = h(
    "dialog",
    { id: "erase-dialog", "aria-labelledby": "erase-title", "aria-describedby": "erase-intro" },
    form,
  );
  document.body.append(dialog);
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (document.body.contains(eraseButton) && !$("#app").hidden) eraseButton.focus();
  });
  eraseButton.addEventListener("click", () => {
    replace(list, consequences(year).map((text) => h("li", {}, text)));
    replace(error);
    dialog.showModal();
    cancel.focus(); // the safe choice first
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(confirm, async () => {
      // Live updates end first: the server signs the person out the moment it is done, and
      // this page, not the sign-in gate, says why.
      const { live } = year.session;
      live.close();
      try {
        await year.api.request(ERASE_ME);
      } catch (failure) {
        live.stopped = false;
        live.reconnectNow();
        replace(error, failure.message);
        return;
      }
      year.erased = true; // nothing is read for this person again
      dialog.close(); // first: while it is open, nothing outside it takes focus
      erased();
    });
  });

  return { element, render: () => {} };
}
