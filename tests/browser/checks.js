// Runs in the page: returns what a person would see as broken, as [kind, detail] pairs.
// Loaded by tests/browser/driving.py (selenium's execute_script wraps it in a function).
var problems = [];
var doc = document.documentElement;
var width = window.innerWidth;
function visible(el) {
  var style = getComputedStyle(el);
  if (style.display === "none" || style.visibility === "hidden") { return false; }
  var r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
}
function describe(el) {
  var text = (el.innerText || el.value || "").replace(/\s+/g, " ").trim().slice(0, 60);
  return el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : "") +
    (text ? " '" + text + "'" : "");
}
// 1. Nothing wider than the screen: the page never scrolls sideways (tables scroll inside their own box).
if (doc.scrollWidth > width + 1) {
  var culprit = "";
  var all = document.body.querySelectorAll("*");
  for (var i = 0; i < all.length; i++) {
    var r = all[i].getBoundingClientRect();
    if (r.right > width + 1 && visible(all[i])) { culprit = describe(all[i]); break; }
  }
  problems.push(["wider than the screen", doc.scrollWidth + " px > " + width + " px: " + culprit]);
}
// 2. Every header cell stands over its column (the cells under it start and end inside it).
Array.prototype.forEach.call(document.querySelectorAll("table"), function (table) {
  if (!visible(table) || !table.tHead || !visible(table.tHead) || !table.tBodies.length) { return; }
  var headRows = table.tHead.rows;
  var head = headRows[headRows.length - 1];
  var columns = [];  // column index -> header cell
  var col = 0;
  Array.prototype.forEach.call(head.cells, function (cell) {
    for (var k = 0; k < cell.colSpan; k++) { columns[col + k] = cell; }
    col += cell.colSpan;
  });
  // A first header row whose cells span several columns offsets the last row's cells (rowspan).
  if (headRows.length > 1) {
    columns = [];
    var grid = [];
    Array.prototype.forEach.call(headRows, function (row, y) {
      var x = 0;
      grid[y] = grid[y] || [];
      Array.prototype.forEach.call(row.cells, function (cell) {
        while (grid[y][x]) { x++; }
        for (var dy = 0; dy < cell.rowSpan; dy++) {
          for (var dx = 0; dx < cell.colSpan; dx++) {
            grid[y + dy] = grid[y + dy] || [];
            grid[y + dy][x + dx] = cell;
          }
        }
        x += cell.colSpan;
      });
    });
    columns = grid[headRows.length - 1];
  }
  var rows = table.tBodies[0].rows;
  for (var y = 0; y < Math.min(rows.length, 3); y++) {
    var x = 0;
    Array.prototype.forEach.call(rows[y].cells, function (cell) {
      var over = columns[x];
      if (over && cell.colSpan === 1 && visible(cell)) {
        var a = over.getBoundingClientRect(), b = cell.getBoundingClientRect();
        if (b.left < a.left - 2 || b.right > a.right + 2) {
          problems.push(["header not over its column", describe(over) + " [" + Math.round(a.left) + "-" +
            Math.round(a.right) + "] over " + describe(cell) + " [" + Math.round(b.left) + "-" + Math.round(b.right) + "]"]);
        }
      }
      x += cell.colSpan;
    });
  }
});
// 3. No text spills out of its cell, button or box.
Array.prototype.forEach.call(
  document.querySelectorAll("td, th, button, .btn, .tile, .figure, .tag, dd, dt, label, summary, h1, h2, p"),
  function (el) {
    if (!visible(el) || el.closest(".table-wrap, pre")) { return; }
    if (el.scrollWidth > el.clientWidth + 2 && el.clientWidth > 0) {
      problems.push(["text overflows its box", describe(el) + ": " + el.scrollWidth + " > " + el.clientWidth + " px"]);
    }
  }
);
// 4. Visible text and the words of labels/buttons, for the language checks (done in Python).
var texts = [];
var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  var node = walker.currentNode;
  var value = node.nodeValue.replace(/\s+/g, " ").trim();
  var parent = node.parentElement;
  // translate="no" marks what is data or a recorded code, not the app's own words (the audit trail).
  if (!value || !parent || parent.closest("script, style, [hidden], [translate=no]") || !visible(parent)) { continue; }
  texts.push(value);
}
Array.prototype.forEach.call(document.querySelectorAll("[placeholder], [title], [aria-label], input[type=submit]"), function (el) {
  ["placeholder", "title", "aria-label", "value"].forEach(function (name) {
    if (el.hasAttribute(name) && (name !== "value" || el.type === "submit")) { texts.push(el.getAttribute(name)); }
  });
});
Array.prototype.forEach.call(document.querySelectorAll("option"), function (el) {
  if (!el.closest("[translate=no]")) { texts.push(el.textContent.trim()); }
});
texts.push(document.title);
return {problems: problems, texts: texts, title: document.title, lang: doc.lang};
