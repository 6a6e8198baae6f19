/* The search page: starts Pagefind's default UI (pagefind/pagefind-ui.js, deferred just before).
   The page gives the bundle and the site root as relative links; they are resolved against the
   page's own address, so search works wherever the site is served from. */
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box) return;
  if (typeof window.PagefindUI !== "function") {
    var note = document.createElement("p");
    note.className = "search-status";
    note.id = "search-status";
    note.textContent = "Search could not be loaded: the search index is missing from this copy of the digest.";
    box.replaceChildren(note);
    return;
  }
  box.replaceChildren();  // the note for readers without JavaScript
  var bundlePath = new URL(box.dataset.bundle, document.baseURI).pathname;
  var baseUrl = new URL(box.dataset.root, document.baseURI).pathname;

  function start() {
    var ui = new window.PagefindUI({
      element: "#search",
      bundlePath: bundlePath,
      baseUrl: baseUrl,
      showImages: false,
      showSubResults: false,
      showEmptyFilters: false
    });
    // Pagefind labels its field with a title only; the page's visible heading names it instead.
    var field = box.querySelector("input[type=text], input[type=search]");
    var heading = document.getElementById("search-title");
    if (field && heading) field.setAttribute("aria-labelledby", heading.id);
    // search/?q=words (a link or a bookmark) runs that search at once.
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) ui.triggerSearch(query);
  }

  // Load the filters before the first search: when Pagefind loads them while a search is running,
  // its UI can miss them and show no filters at all. The UI then reuses this same module.
  import(bundlePath + "pagefind.js")
    .then(function (pagefind) {
      return pagefind.options({ baseUrl: baseUrl }).then(function () { return pagefind.filters(); });
    })
    .catch(function () { /* the UI reports a missing or broken index itself */ })
    .then(start);
})();
