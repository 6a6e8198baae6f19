/* Annotation notes beside their words. Progressive enhancement of the article page:
   without this script every note sits after the paragraph holding its words and each numbered
   marker is a link to it. With it:
   - each marker becomes a <button aria-expanded aria-controls> that shows or hides its note;
   - on wide screens (64rem and up) notes are shown in the right margin, each level with its
     marker's line; a note that would overlap the one above moves down just enough, and one
     pushed below its own paragraph gets a visible connector back up to its words;
   - on narrow screens notes start hidden and open after their paragraph;
   - hovering or focusing a marker, its highlighted words or its note highlights all three.
   No dependencies, no inline code: it runs from a deferred <script src>. */
(function () {
  "use strict";
  var body = document.querySelector(".article-body");
  if (!body || !body.querySelector(".annotation-note")) return;
  var wide = window.matchMedia("(min-width: 64rem)");
  var GAP = 10; // px between stacked margin notes
  var entries = [];

  Array.prototype.forEach.call(body.querySelectorAll(".annotation-note"), function (note) {
    var number = note.getAttribute("data-annotation");
    var link = body.querySelector('a.annotation-marker[href="#' + note.id + '"]');
    if (!link) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = link.className;
    button.id = link.id;
    button.setAttribute("data-kind", link.getAttribute("data-kind") || "");
    button.setAttribute("data-annotation", number);
    button.setAttribute("aria-controls", note.id);
    while (link.firstChild) button.appendChild(link.firstChild);
    link.parentNode.replaceChild(button, link);
    var marks = body.querySelectorAll('mark.annotation[data-annotation="' + number + '"]');
    var entry = { note: note, button: button, marks: marks, open: true };
    entries.push(entry);
    button.addEventListener("click", function () {
      setOpen(entry, !entry.open);
      layout();
    });
    [button, note].concat(Array.prototype.slice.call(marks)).forEach(function (el) {
      el.addEventListener("mouseenter", function () { highlight(entry, true); });
      el.addEventListener("mouseleave", function () { highlight(entry, false); });
      el.addEventListener("focusin", function () { highlight(entry, true); });
      el.addEventListener("focusout", function () { highlight(entry, false); });
    });
  });

  function highlight(entry, on) {
    entry.note.classList.toggle("is-active", on);
    entry.button.classList.toggle("is-active", on);
    Array.prototype.forEach.call(entry.marks, function (m) { m.classList.toggle("is-active", on); });
  }

  function setOpen(entry, open) {
    entry.open = open;
    entry.note.hidden = !open;
    entry.button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function reset() {
    // Each mode starts from its default: all notes shown in the margin, none open inline.
    entries.forEach(function (entry) { setOpen(entry, wide.matches); });
    layout();
  }

  function layout() {
    body.classList.toggle("has-margin-notes", wide.matches);
    entries.forEach(function (entry) {
      entry.note.style.top = "";
      entry.note.classList.remove("is-displaced");
      entry.note.style.removeProperty("--drop");
    });
    body.style.minHeight = "";
    if (!wide.matches) return;
    var origin = body.getBoundingClientRect().top;
    var floor = 0; // bottom of the note placed last
    entries.forEach(function (entry) {
      if (!entry.open) return;
      var note = entry.note;
      // Level with the first line of its highlighted words (the marker, if they are not found).
      var words = (entry.marks[0] || entry.button).getBoundingClientRect();
      var wanted = Math.round(words.top - origin);
      var top = Math.max(wanted, floor);
      note.style.top = top + "px";
      // The block the note belongs to is the nearest earlier sibling that is not a note.
      var block = note.previousElementSibling;
      while (block && block.classList.contains("annotation-note")) block = block.previousElementSibling;
      var blockBottom = block ? block.getBoundingClientRect().bottom - origin : wanted;
      if (top > wanted && top + 4 > blockBottom) {
        note.classList.add("is-displaced");
        note.style.setProperty("--drop", (top - wanted) + "px");
      }
      floor = top + note.offsetHeight + GAP;
    });
    if (floor > body.offsetHeight) body.style.minHeight = floor + "px";
  }

  body.classList.add("notes-enhanced");
  reset();
  if (wide.addEventListener) wide.addEventListener("change", reset);
  else if (wide.addListener) wide.addListener(reset);
  // Lines re-wrap when the column's width changes: lay out again then (only then, so that
  // setting the column's min-height here cannot feed back into the observer).
  var width = body.clientWidth;
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      if (body.clientWidth !== width) { width = body.clientWidth; layout(); }
    }).observe(body);
  } else {
    window.addEventListener("resize", layout);
  }
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(layout);
})();
