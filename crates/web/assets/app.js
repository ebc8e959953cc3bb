// normverk: small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
// The breach clock counts down live; the server-drawn text is right at load and without script.
(() => {
  const clocks = document.querySelectorAll(".clock[data-deadline]");
  if (clocks.length === 0) return;
  const nb = document.documentElement.lang !== "en";
  const tick = () => {
    const now = Date.now() / 1000;
    for (const el of clocks) {
      const left = Number(el.dataset.deadline) - now;
      const s = Math.abs(Math.floor(left));
      const text = `${Math.floor(s / 3600)} t ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
      el.textContent = left >= 0
        ? (nb ? `${text} igjen` : `${text} left`)
        : (nb ? `Fristen gikk ut for ${text} siden – oppgi årsaken til forsinkelsen` : `The deadline passed ${text} ago – give the reason for the delay`);
    }
  };
  setInterval(tick, 30000);
})();
