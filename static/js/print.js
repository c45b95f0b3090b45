// The print view's button opens the browser's print dialogue (print or save as PDF); without JavaScript, Ctrl+P does.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
