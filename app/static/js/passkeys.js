// Passkeys (WebAuthn): sign in, confirm it's you, and add a passkey. Each widget is hidden
// until this script finds WebAuthn in the browser; without it the code form still works.
(function () {
  "use strict";

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    json.challenge = toBytes(json.challenge);
    json.user.id = toBytes(json.user.id);
    (json.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return json;
  }

  function requestOptions(json) {
    json.challenge = toBytes(json.challenge);
    (json.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return json;
  }

  function credentialJSON(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      authenticatorAttachment: cred.authenticatorAttachment || null,
      response: { clientDataJSON: toB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      out.response.userHandle = r.userHandle ? toB64url(r.userHandle) : null;
    }
    return out;
  }

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.error || "Something went wrong. Try again."); }
        return data;
      });
    });
  }

  function showError(box, message) {
    var p = box.querySelector("[data-passkey-error]");
    p.textContent = message;
    p.hidden = false;
  }

  function browserMessage(err) {
    if (err && err.name === "NotAllowedError") {
      return "The passkey was not used (cancelled, timed out, or none for this site). Try again, or use a code.";
    }
    if (err && err.name === "InvalidStateError") {
      return "That passkey is already registered.";
    }
    return (err && err.message) || "The passkey did not work. Try again.";
  }

  function wire(box, run) {
    box.hidden = false;
    var button = box.querySelector("[data-passkey-start]");
    button.addEventListener("click", function () {
      button.disabled = true;
      box.querySelector("[data-passkey-error]").hidden = true;
      run(box).then(function (data) {
        window.location.assign(data.redirect);
      }).catch(function (err) {
        showError(box, browserMessage(err));
        button.disabled = false;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.PublicKeyCredential || !navigator.credentials) { return; }
    var login = document.querySelector("[data-passkey-login]");
    if (login) {
      wire(login, function (box) {
        return post(box.dataset.optionsUrl).then(function (options) {
          return navigator.credentials.get({ publicKey: requestOptions(options) });
        }).then(function (cred) {
          return post(box.dataset.loginUrl, { credential: credentialJSON(cred), next: box.dataset.next });
        });
      });
    }
    var verify = document.querySelector("[data-passkey-verify]");
    if (verify) {
      wire(verify, function (box) {
        return post(box.dataset.optionsUrl).then(function (options) {
          return navigator.credentials.get({ publicKey: requestOptions(options) });
        }).then(function (cred) {
          return post(box.dataset.verifyUrl, { credential: credentialJSON(cred) });
        });
      });
    }
    var register = document.querySelector("[data-passkey-register]");
    if (register) {
      wire(register, function (box) {
        return post(box.dataset.optionsUrl).then(function (options) {
          return navigator.credentials.create({ publicKey: creationOptions(options) });
        }).then(function (cred) {
          var name = document.getElementById("passkey-name");
          return post(box.dataset.registerUrl, {
            credential: credentialJSON(cred), name: name ? name.value : "", next: box.dataset.next
          });
        });
      });
    }
  });
}());
