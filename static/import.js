// The archive form: drag and drop, and an upload that reports its progress.
// Without this script the form still works as a plain multipart POST.
(function () {
  "use strict";
  var form = document.getElementById("archive-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var input = form.querySelector('input[type="file"]');
  var zone = document.getElementById("archive-dropzone");
  var bar = document.getElementById("archive-progress");
  var status = document.getElementById("archive-status");
  var button = form.querySelector('button[type="submit"]');
  var maxBytes = Number(form.getAttribute("data-max-bytes"));

  function mib(bytes) {
    return bytes < 1048576 ? Math.ceil(bytes / 1024) + " KiB" : (bytes / 1048576).toFixed(1) + " MiB";
  }
  function say(text) { status.textContent = text; }
  function describeChoice() {
    var file = input.files && input.files[0];
    say(file ? "Selected " + file.name + " (" + mib(file.size) + ")." : "");
  }
  function showResult(html, isHtml) {
    var result = document.getElementById("import-result");
    if (isHtml) {
      // A fragment rendered (and escaped) by the server for this page.
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.getElementById("import-result");
      if (fresh) { result.replaceWith(document.adoptNode(fresh)); return; }
    }
    result.textContent = html;
  }
  function finish() {
    button.disabled = false;
    bar.hidden = true;
    bar.value = 0;
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      describeChoice();
    }
  });
  input.addEventListener("change", describeChoice);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = input.files && input.files[0];
    if (!file) { say("Choose your X archive (a .zip file) first."); return; }
    if (file.size > maxBytes) { say("This file is " + mib(file.size) + ", more than the " + mib(maxBytes) + " allowed."); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable) {
        bar.value = Math.round((progress.loaded / progress.total) * 100);
        say("Uploading… " + bar.value + "%");
      }
    });
    xhr.upload.addEventListener("load", function () {
      bar.removeAttribute("value");  // indeterminate while the server reads the archive
      say("Uploaded. Reading your archive…");
    });
    xhr.addEventListener("load", function () {
      var target = xhr.getResponseHeader("HX-Redirect");
      if (xhr.status === 200 && target) { window.location.assign(target); return; }
      finish();
      say("");
      var type = xhr.getResponseHeader("Content-Type") || "";
      showResult(xhr.responseText, type.indexOf("text/html") === 0);
    });
    xhr.addEventListener("error", function () { finish(); say("The upload failed (network error). Try again."); });
    xhr.addEventListener("abort", function () { finish(); say("The upload was cancelled."); });
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    say("Uploading…");
    xhr.send(new FormData(form));
  });
}());
