// Lot form helpers; the form works the same without them (rows are added by the server, the total is
// checked on submit). Adds rows in place, keeps a running total, and finds members by name or village.
(function () {
  "use strict";
  var form = document.querySelector(".lot-form");
  if (!form) { return; }
  var rows = form.querySelector("[data-share-rows]");
  var template = form.querySelector("[data-share-template]");
  var totalLine = form.querySelector("[data-share-total]");
  var addButton = form.querySelector("[data-add-rows]");
  var totalInput = form.querySelector("#amount");

  // Amounts in thousandths, so 12.5 + 0.25 adds up exactly.
  function thousandths(text) {
    var t = (text || "").trim().replace(/[,，]/g, "");
    if (!/^\d+(\.\d{0,3})?$/.test(t) && !/^\.\d{1,3}$/.test(t)) { return null; }
    var parts = t.split(".");
    var frac = ((parts[1] || "") + "000").slice(0, 3);
    return parseInt(parts[0] || "0", 10) * 1000 + parseInt(frac, 10);
  }
  function show(n) {
    var s = String(Math.floor(n / 1000));
    var frac = String(n % 1000 + 1000).slice(1).replace(/0+$/, "");
    return frac ? s + "." + frac : s;
  }
  function updateTotal() {
    var sum = 0;
    rows.querySelectorAll("input[name$='-amount']").forEach(function (input) {
      var n = thousandths(input.value);
      if (n) { sum += n; }
    });
    var total = thousandths(totalInput.value);
    var state = !total ? "none" : sum === total ? "match" : sum < total ? "short" : "over";
    totalLine.textContent = totalLine.getAttribute("data-" + state)
      .replace("{sum}", show(sum)).replace("{total}", show(total || 0)).replace("{diff}", show(Math.abs((total || 0) - sum)));
    totalLine.className = "share-total share-" + state;
  }
  function addRow() {
    var index = rows.querySelectorAll("[data-share-row]").length;
    var html = template.innerHTML.split("__i__").join(String(index)).split("__n__").join(String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    return rows.lastElementChild;
  }
  addButton.addEventListener("click", function (event) {
    event.preventDefault();
    var first = null;
    for (var i = 0; i < 5; i += 1) {
      var row = addRow();
      first = first || row;  // add all five, then focus the first new one
    }
    first.querySelector("select").focus();
  });
  form.addEventListener("input", updateTotal);
  form.addEventListener("change", updateTotal);
  // Enter in a field moves on to the next field instead of submitting half a delivery.
  form.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key !== "Enter" || el.tagName !== "INPUT") { return; }
    event.preventDefault();
    if (el.type === "search") {  // Enter picks the first member found
      var found = results.querySelector("button");
      if (found) { found.click(); }
      return;
    }
    var fields = Array.prototype.slice.call(form.querySelectorAll("input:not([type=hidden]), select"));
    var next = fields[fields.indexOf(el) + 1];
    if (next) { next.focus(); }
  });

  // Member search: every option of the first household list, with its village (the option group).
  var search = form.querySelector("[data-member-search]");
  var input = search.querySelector("input");
  var results = search.querySelector("ul");
  var members = [];
  rows.querySelector("select").querySelectorAll("option").forEach(function (option) {
    if (!option.value) { return; }
    var group = option.parentElement.tagName === "OPTGROUP" ? option.parentElement.label : "";
    members.push({ value: option.value, name: option.textContent, village: group });
  });
  function pick(member) {
    var target = null;
    rows.querySelectorAll("select").forEach(function (select) {
      if (!target && !select.value) { target = select; }
    });
    if (!target) { target = addRow().querySelector("select"); }
    target.value = member.value;
    input.value = "";
    results.innerHTML = "";
    target.closest("[data-share-row]").querySelector("input").focus();
    updateTotal();
  }
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase();
    results.innerHTML = "";
    if (!q) { return; }
    members.filter(function (m) {
      return m.name.toLowerCase().indexOf(q) >= 0 || m.village.toLowerCase().indexOf(q) >= 0;
    }).slice(0, 8).forEach(function (m) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = m.village ? m.name + " · " + m.village : m.name;
      button.addEventListener("click", function () { pick(m); });
      li.appendChild(button);
      results.appendChild(li);
    });
  });
  search.hidden = false;
  updateTotal();
}());
