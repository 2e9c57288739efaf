/* The header's menu button: on narrow screens the site's links fold behind it (site.css).
   Without this script the button stays hidden and the links show as a plain list. */
(function () {
  "use strict";
  var header = document.getElementById("top");
  var button = document.getElementById("menu-button");
  if (!header || !button) return;
  header.classList.add("folding");
  button.addEventListener("click", function () {
    var open = header.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
