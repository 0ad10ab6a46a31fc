// Runs the WebAuthn ceremonies of the sign-in and account pages. A form
// with data-passkey="create" or "get" holds the options the server made, in
// <script type="application/json" data-passkey-options>, and a hidden
// input named "response". Its button with data-passkey-start runs the
// ceremony, puts the credential's JSON in the input and submits the form.
// No inline script: the pages' policy allows scripts from this server only.
"use strict";
(function () {
  function start(form) {
    var button = form.querySelector("[data-passkey-start]");
    var status = form.querySelector("[data-passkey-status]");
    if (!window.PublicKeyCredential || !PublicKeyCredential.parseRequestOptionsFromJSON) {
      if (status) status.textContent = "This browser cannot use passkeys.";
      if (button) button.disabled = true;
      return;
    }
    button.addEventListener("click", function (ev) {
      ev.preventDefault();
      var options = JSON.parse(form.querySelector("script[data-passkey-options]").textContent).publicKey;
      var call = form.dataset.passkey === "create"
        ? navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
        : navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      button.disabled = true;
      call.then(function (cred) {
        form.querySelector("input[name=response]").value = JSON.stringify(cred.toJSON());
        form.submit();
      }, function (err) {
        button.disabled = false;
        if (status) status.textContent = err && err.name === "NotAllowedError"
          ? "The passkey request was cancelled or timed out. Try again."
          : "The passkey could not be used: " + (err && err.name ? err.name : "unknown error") + ".";
      });
    });
  }
  document.querySelectorAll("form[data-passkey]").forEach(start);
})();
