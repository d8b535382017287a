// The Playground's accessibility fixes for what ipywidgets 8 renders (hlkit/playground/controls.py, class Access):
// a slider's handle (noUiSlider's role="slider" div) gets the slider's visible label as its name, a toggle button
// aria-pressed, a disabled control aria-disabled and its reason (the tooltip) as description, and the icon-only
// buttons of a Play control (ipywidgets' PlayView draws <button><i class="fa fa-play"></i></button> with no text)
// the names "play" / "pause", "stop" and "repeat", in a group named by the Play's tooltip. Renders nothing; watches
// the subtree of the Playground (class hl-playground) or of a lesson's widget (class hl-access) it sits in, so
// controls drawn later or changed by the kernel stay labelled.

function label(box) {
  const l = box.querySelector(":scope > .widget-label");
  return l ? l.textContent.trim() : "";
}

function fix(root) {
  for (const box of root.querySelectorAll(".widget-slider")) {
    const handle = box.querySelector(".noUi-handle"), name = label(box);
    if (!handle || !name) continue;
    if (handle.getAttribute("aria-label") !== name) handle.setAttribute("aria-label", name);
    const off = box.querySelector(".slider[disabled]") !== null;
    handle.setAttribute("aria-disabled", String(off));
    const why = (box.querySelector(":scope > .widget-label") || {}).title || "";
    if (off && why) handle.setAttribute("aria-description", why); else handle.removeAttribute("aria-description");
  }
  for (const button of root.querySelectorAll(".widget-toggle-button")) {
    const pressed = String(button.classList.contains("mod-active"));
    if (button.getAttribute("aria-pressed") !== pressed) button.setAttribute("aria-pressed", pressed);
  }
  for (const box of root.querySelectorAll(".widget-play")) {
    const [toggle, stop, repeat] = box.querySelectorAll(":scope > button");
    if (!toggle || !stop || !repeat) continue;
    const names = [[toggle, toggle.querySelector(".fa-pause") ? "pause" : "play"], [stop, "stop"], [repeat, "repeat"]];
    for (const [button, name] of names) if (button.getAttribute("aria-label") !== name) button.setAttribute("aria-label", name);
    const looping = String(repeat.classList.contains("mod-active"));
    if (repeat.getAttribute("aria-pressed") !== looping) repeat.setAttribute("aria-pressed", looping);
    if (box.title && box.getAttribute("aria-label") !== box.title) {
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", box.title);
    }
  }
  for (const box of root.querySelectorAll(".widget-dropdown, .widget-text")) {
    const field = box.querySelector("select, input"), why = (box.querySelector(".widget-label") || {}).title || "";
    if (field && field.disabled && why) field.setAttribute("aria-description", why);
    else if (field) field.removeAttribute("aria-description");
  }
}

function render({ el }) {
  el.style.display = "none";
  let root = null, observer = null, pending = false, tries = 0, gone = false;
  const run = () => { pending = false; if (root) fix(root); };
  const later = () => { if (!pending) { pending = true; requestAnimationFrame(run); } };
  // the view is put into the page after render returns: look for the Playground's box once it is there
  const find = () => {
    root = el.closest(".hl-playground, .hl-access");
    if (!root) { if (!gone && ++tries < 600) setTimeout(find, 100); return; }
    observer = new MutationObserver(later);
    observer.observe(root, { subtree: true, childList: true, attributes: true,
                             attributeFilter: ["class", "disabled", "title"] });
    run();
  };
  find();
  return () => { gone = true; if (observer) observer.disconnect(); root = null; };
}

export default { render };
