// The console's only script (CSP: script-src 'self'): draws Plotly figures embedded as JSON, submits the
// timeline filter, and asks the server for the path between two clicked identity-graph nodes.
"use strict";

function drawFigures() {
  if (typeof Plotly === "undefined") return;
  document.querySelectorAll(".chart").forEach(function (box) {
    const data = box.querySelector("script.figure");
    if (!data) return;
    const figure = JSON.parse(data.textContent);
    Plotly.newPlot(box, figure.data, figure.layout, { displaylogo: false, responsive: true });
    box.dataset.drawn = "1";
  });
}

function text(tag, content) {
  const el = document.createElement(tag);
  el.textContent = content;
  return el;
}

function showPath(panel, answer) {
  panel.replaceChildren();
  if (answer.error) { panel.append(text("p", answer.error)); return; }
  if (!answer.found) { panel.append(text("p", "No admitted link joins these two identifiers.")); return; }
  if (!answer.steps.length) { panel.append(text("p", "Same identifier.")); return; }
  const list = document.createElement("ol");
  list.id = "path-steps";
  answer.steps.forEach(function (step) {
    list.append(text("li", step.from + " — " + step.to + " (seen together on " + step.record + ", " + step.observed_at + ")"));
  });
  panel.append(list);
}

function graphClicks() {
  const svg = document.getElementById("identity-graph");
  if (!svg) return;
  const panel = document.getElementById("path-result");
  let picked = [];
  svg.querySelectorAll(".node.identifier").forEach(function (node) {
    node.addEventListener("click", function () {
      if (picked.length === 2) {
        picked.forEach(function (n) { n.classList.remove("picked"); });
        picked = [];
      }
      node.classList.add("picked");
      picked.push(node);
      delete panel.dataset.ready;
      if (picked.length < 2) { panel.textContent = "Now click a second identifier."; return; }
      fetch("/customers/" + encodeURIComponent(svg.dataset.customer) + "/path", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrf-token": svg.dataset.csrf },
        body: JSON.stringify({ from: picked[0].dataset.node, to: picked[1].dataset.node }),
      }).then(function (r) { return r.json(); }).then(function (answer) {
        showPath(panel, answer);
        panel.dataset.ready = "1";
      });
    });
  });
}

function autosubmit() {
  document.querySelectorAll("select.autosubmit").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
}

document.addEventListener("DOMContentLoaded", function () { drawFigures(); graphClicks(); autosubmit(); });
