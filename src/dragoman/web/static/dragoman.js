// Dragoman's dashboard: the little it needs besides htmx, in a file of its own (the pages' Content
// Security Policy allows no inline script).

// An element with data-clear="<id>" empties that element (a dialog's "Keep it running"), and gives
// the focus back to the button that opened it; without JavaScript it is a plain link.
function clearArea(id) {
  const target = document.getElementById(id);
  if (target) target.replaceChildren();
  const opener = document.getElementById("cancel-button");
  if (opener) opener.focus();
}

document.addEventListener("click", (event) => {
  const control = event.target.closest("[data-clear]");
  if (control) {
    event.preventDefault();
    clearArea(control.dataset.clear);
  }
});

// Escape closes an open confirmation, as it would a dialog.
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.getElementById("cancel-dialog")) {
    clearArea("cancel-area");
  }
});

// When the server stops answering, say so: the page's numbers are no longer live.
function connection(lost) {
  const banner = document.getElementById("connection-lost");
  if (!banner) return;
  if (lost && banner.hidden) {
    banner.textContent = "The server does not answer: this page stopped updating at " +
      new Date().toISOString().slice(11, 19) + " UTC. It goes on by itself when the server is back.";
  }
  banner.hidden = !lost;
}
document.addEventListener("htmx:sendError", () => connection(true));
document.addEventListener("htmx:responseError", (event) => connection(event.detail.xhr.status >= 500));
document.addEventListener("htmx:afterRequest", (event) => {
  if (event.detail.successful) connection(false);
});
