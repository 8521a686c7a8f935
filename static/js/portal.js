/* Portal enhancements. Everything works without this file; it only adds checks and conveniences.
   No inline scripts anywhere (the Content Security Policy forbids them). */
(function () {
  "use strict";
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;

  function t(zhText, enText) { return zh ? zhText : enText; }

  function formatBytes(n) {
    if (n >= 1048576) return (n / 1048576).toFixed(1) + " MB";
    if (n >= 1024) return Math.round(n / 1024) + " KB";
    return n + " B";
  }

  /* Check a chosen file's type (by extension, as the accept attribute lists it) and size before it is sent. */
  function checkFile(input) {
    var box = input.form ? input.form.querySelector("[data-file-error]") : null;
    var message = "";
    var file = input.files && input.files[0];
    if (file) {
      var accept = (input.getAttribute("accept") || "").toLowerCase().split(",").filter(Boolean);
      var name = file.name.toLowerCase();
      var okType = !accept.length || accept.some(function (ext) { return name.slice(-ext.length) === ext.trim(); });
      var max = parseInt(input.getAttribute("data-max-size") || "0", 10);
      if (!okType) {
        message = t("文件类型不符合要求：本项材料只接受 " + input.getAttribute("data-types") + "，请重新选择。",
                    "This file type is not accepted here. Accepted: " + input.getAttribute("data-types") + ". Please choose another file.");
      } else if (file.size === 0) {
        message = t("文件是空的，请重新选择。", "The file is empty. Please choose another file.");
      } else if (max && file.size > max) {
        message = t("文件过大（" + formatBytes(file.size) + "），每个文件不超过 " + formatBytes(max) + "，请压缩或拆分后再上传。",
                    "The file is too large (" + formatBytes(file.size) + "); the limit is " + formatBytes(max) + ". Please compress or split it.");
      }
    }
    if (box) box.textContent = message;
    input.setAttribute("aria-invalid", message ? "true" : "false");
    if (input.form) input.form.classList.toggle("has-error", !!message);
    return !message;
  }

  /* Amounts in yuan: show thousands separators once the user leaves the field; the server accepts both. */
  function formatMoney(input) {
    var raw = input.value.replace(/[,\s，]/g, "");
    if (!raw || isNaN(Number(raw))) return;
    var parts = raw.split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    input.value = parts.length > 1 ? whole + "." + parts[1] : whole;
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("input[type=file][data-max-size]")) checkFile(el);
    if (el.matches && el.matches("[data-select-all]")) {
      var name = el.getAttribute("data-select-all");
      document.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (box) { box.checked = el.checked; });
    }
  });

  document.addEventListener("focusout", function (event) {
    var el = event.target;
    if (el.matches && el.matches("input[data-money]")) formatMoney(el);
  });

  document.addEventListener("submit", function (event) {
    var input = event.target.querySelector("input[type=file][data-max-size]");
    if (input && !checkFile(input)) {
      event.preventDefault();
      input.focus();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-money]").forEach(formatMoney);
    /* A result the page was asked for (the calculator's 测算结果): scrolled to by its #anchor, and focused so a
       screen reader starts reading there. */
    var target = document.querySelector("[data-focus-on-load]");
    if (target) {
      target.focus({ preventScroll: false });
      target.scrollIntoView({ block: "start" });
    }
    /* Phone menu: without this script the menu simply stays open; with it a "菜单" button shows and hides it. */
    var toggle = document.querySelector("[data-menu-toggle]");
    var menu = toggle ? document.getElementById(toggle.getAttribute("aria-controls")) : null;
    if (toggle && menu) {
      document.documentElement.classList.add("js-menu");
      toggle.hidden = false;
      toggle.setAttribute("aria-expanded", "false");
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        menu.classList.toggle("menu-open", open);
      });
    }
  });
})();
