/* Response templates on the review and bulk pages: picking one (or a reason for not approving
   that has prepared words) fills the box it names with the template's words in the resident's
   language, ready to adjust. The words come from the page (data-text); no sentence lives here.
   Without this script the forms still work: an empty box is sent as the template's words. */
(function () {
  "use strict";
  function fill(pick) {
    var option = pick.options[pick.selectedIndex];
    var target = document.getElementById(pick.getAttribute("data-fills"));
    var words = option ? option.getAttribute("data-text") : "";
    if (target && words) {
      target.value = words;
      target.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }
  var picks = document.querySelectorAll("select[data-fills]");
  Array.prototype.forEach.call(picks, function (pick) {
    pick.addEventListener("change", function () { fill(pick); });
  });
}());
