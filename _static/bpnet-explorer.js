/* BPNet's HTML explorers: switch between frames drawn when the book was built.
 *
 * Each explorer is a <div class="bpnet-explorer"> written by bpnet_lib.explorer_html: controls
 * (range inputs or selects with class "bpnet-explorer-control", hidden until this script
 * runs), an <img class="bpnet-explorer-frame"> showing the current frame, and a
 * <script type="application/json" class="bpnet-explorer-data"> holding the frames as data
 * URIs (null for the default frame, which only the img holds). Frame number = row-major
 * index of the controls' positions (the last control varies fastest). Plain JavaScript, no
 * dependencies, nothing fetched; pages without an explorer are left alone. Jupyter Book
 * includes this file in every page.
 */
(function () {
  "use strict";

  function setUp(root) {
    if (root.getAttribute("data-bpnet-ready") === "1") {
      return;
    }
    var dataNode = root.querySelector("script.bpnet-explorer-data");
    var img = root.querySelector("img.bpnet-explorer-frame");
    var panel = root.querySelector(".bpnet-explorer-controls");
    if (!dataNode || !img || !panel) {
      return;
    }
    var data;
    try {
      data = JSON.parse(dataNode.textContent);
    } catch (err) {
      return; /* leave the default frame in place */
    }
    var inputs = root.querySelectorAll(".bpnet-explorer-control");
    if (inputs.length !== data.controls.length) {
      return;
    }
    var textNode = root.querySelector(".bpnet-explorer-text");
    var baseAlt = img.getAttribute("data-alt") || img.getAttribute("alt") || "";
    /* The default frame is stored once, in the img; its place in the list may be null. */
    var initialSrc = img.getAttribute("src");

    function update() {
      var number = 0;
      var described = [];
      for (var k = 0; k < inputs.length; k += 1) {
        var control = data.controls[k];
        var count = control.labels.length;
        var i = parseInt(inputs[k].value, 10);
        if (isNaN(i) || i < 0) {
          i = 0;
        }
        if (i > count - 1) {
          i = count - 1;
        }
        number = number * count + i;
        var shown = control.labels[i];
        described.push(control.label + " = " + shown);
        if (inputs[k].type === "range") {
          inputs[k].setAttribute("aria-valuetext", shown);
          var out = root.querySelector('output[for="' + inputs[k].id + '"]');
          if (out) {
            out.textContent = shown;
          }
        }
      }
      var src = data.images[data.index[number]];
      if (src === null) {
        src = initialSrc;
      }
      if (src && img.getAttribute("src") !== src) {
        img.setAttribute("src", src);
      }
      img.setAttribute("alt", baseAlt + " (" + described.join(", ") + ")");
      if (textNode && data.texts) {
        textNode.textContent = data.texts[number] || "";
      }
    }

    for (var k = 0; k < inputs.length; k += 1) {
      inputs[k].addEventListener("input", update);
      inputs[k].addEventListener("change", update);
    }
    panel.hidden = false;
    root.setAttribute("data-bpnet-ready", "1");
    update();
  }

  function setUpAll() {
    var roots = document.querySelectorAll("div.bpnet-explorer");
    for (var i = 0; i < roots.length; i += 1) {
      setUp(roots[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
