// An avatar that cannot load (offline, blocked) is hidden, so the persona's emoji shows.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const img of document.querySelectorAll("img.avatar")) {
    const hide = () => img.classList.add("broken");
    if (img.complete && img.naturalWidth === 0) hide();
    img.addEventListener("error", hide);
  }
});
