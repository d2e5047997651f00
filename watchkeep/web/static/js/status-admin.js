// Status page admin: drag a component to reorder it (also into another group); the new
// order is posted as the form the page holds. The Up and Down buttons do the same without
// dragging or scripts.
(function () {
  "use strict";

  function order(container) {
    const pairs = [];
    for (const section of container.querySelectorAll("[data-group]")) {
      for (const item of section.querySelectorAll("li[data-component]")) {
        pairs.push(item.dataset.component + ":" + section.dataset.group);
      }
    }
    return pairs.join(",");
  }

  function setUp() {
    const container = document.getElementById("component-order");
    const form = document.getElementById("order-form");
    if (!container || !form || container.dataset.editable !== "true") return;
    let dragged = null;
    container.addEventListener("dragstart", (event) => {
      const item = event.target.closest("li[data-component]");
      if (!item) return;
      dragged = item;
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.component);
    });
    container.addEventListener("dragover", (event) => {
      if (!dragged) return;
      const list = event.target.closest("ul.sortable");
      if (!list) return;
      event.preventDefault();
      const over = event.target.closest("li[data-component]");
      const empty = list.querySelector("li.empty");
      if (empty) empty.remove();
      if (over && over !== dragged) {
        const box = over.getBoundingClientRect();
        const after = event.clientY > box.top + box.height / 2;
        list.insertBefore(dragged, after ? over.nextSibling : over);
      } else if (!over) {
        list.appendChild(dragged);
      }
    });
    container.addEventListener("drop", (event) => {
      if (!dragged) return;
      event.preventDefault();
    });
    container.addEventListener("dragend", () => {
      if (!dragged) return;
      dragged.classList.remove("dragging");
      dragged = null;
      form.elements.order.value = order(container);
      form.submit();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
