// Dragoman's dashboard: the little it needs besides htmx, in a file of its own (the pages' Content
// Security Policy allows no inline script). A button with data-clear="<id>" empties that element.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-clear]");
  if (button) {
    const target = document.getElementById(button.dataset.clear);
    if (target) target.replaceChildren();
  }
});
