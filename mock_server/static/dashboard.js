// The Rivya mock's dashboard: reads and changes the mock through its control API only.
// It polls every POLL_MS; every value is written with textContent, never as HTML.
"use strict";

(function () {
  const POLL_MS = 700;
  const BASE = "/__mock__/";
  const settings = JSON.parse(document.getElementById("settings").textContent);
  const $ = (id) => document.getElementById(id);
  let token = readToken();
  let timer = null;
  let journal = [];
  const shown = {};

  // Re-render a section only when its data changed, so hovering and reading stay steady.
  function changed(name, data) {
    const text = JSON.stringify(data);
    if (shown[name] === text) return false;
    shown[name] = text;
    return true;
  }

  function readToken() {
    const match = /(?:^#|&)token=([^&]*)/.exec(window.location.hash);
    if (match) {
      const found = decodeURIComponent(match[1]);
      window.sessionStorage.setItem("rivya-mock-token", found);
      history.replaceState(null, "", window.location.pathname);
      return found;
    }
    return window.sessionStorage.getItem("rivya-mock-token") || "";
  }

  class Unauthorized extends Error {}

  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(BASE + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    const data = await response.json();
    if (response.status === 401) throw new Unauthorized(data.error.message);
    if (!response.ok) throw new Error(data.error.code + ": " + data.error.message);
    return data;
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement("td");
      if (cell instanceof Node) td.appendChild(cell);
      else td.textContent = cell === null || cell === undefined ? "" : String(cell);
      tr.appendChild(td);
    }
    return tr;
  }

  function button(text, onClick, testId) {
    const node = el("button", text);
    node.type = "button";
    if (testId) node.dataset.testid = testId;
    node.addEventListener("click", onClick);
    return node;
  }

  function fill(tbody, rows, empty, columns) {
    tbody.replaceChildren(...rows);
    if (!rows.length) {
      const td = el("td", empty, "muted");
      td.colSpan = columns;
      const tr = document.createElement("tr");
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
  }

  function say(text, isError) {
    const node = $("status");
    node.textContent = text;
    node.className = isError ? "error" : "";
  }

  function clockText(iso) {
    return iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "";
  }

  function matches(item, names) {
    return names
      .filter((name) => item[name] !== undefined && item[name] !== null)
      .map((name) => name + "=" + item[name])
      .join(" ") || "any request";
  }

  function renderRequests() {
    const path = $("filter-path").value.trim();
    const status = $("filter-status").value.trim();
    const code = $("filter-code").value.trim();
    const shown = journal.filter((entry) => {
      if (path && !(path.endsWith("*") ? entry.path.startsWith(path.slice(0, -1)) : entry.path.includes(path))) return false;
      if (status && !String(entry.status).startsWith(status)) return false;
      if (code && !(entry.code || "").includes(code)) return false;
      return true;
    });
    const rows = shown.slice().reverse().map((entry) => {
      const tr = row([
        clockText(entry.at), entry.method, entry.path + (entry.query ? "?" + entry.query : ""),
        el("span", entry.status, "s" + String(entry.status)[0]), entry.code || "",
        entry.ms === undefined ? "" : entry.ms.toFixed(1), el("span", entry.request_id, "mono"),
      ]);
      tr.className = "clickable";
      tr.dataset.requestId = entry.request_id;
      tr.addEventListener("click", () => showEntry(entry));
      return tr;
    });
    fill($("requests"), rows, "no requests yet", 7);
  }

  function pretty(json, text) {
    if (json !== null && json !== undefined) return JSON.stringify(json, null, 2);
    return text || "(empty)";
  }

  function showEntry(entry) {
    $("detail-title").textContent = entry.method + " " + entry.path + " → " + entry.status + (entry.code ? " " + entry.code : "");
    const headers = Object.entries(entry.headers).map(([k, v]) => k + ": " + v).join("\n");
    $("detail-request").textContent = headers + "\n\n" + pretty(entry.json, entry.body);
    $("detail-response").textContent = pretty(entry.response_json, entry.response_body);
    $("detail").showModal();
  }

  function renderTasks(tasks) {
    const rows = tasks.map((task) => {
      const steps = el("span");
      for (const step of task.timeline) {
        const when = step.at ? clockText(step.at).slice(11) : task.by_polls ? "by polls" : "never";
        steps.appendChild(el("span", step.status + " " + when, "step" + (step.reached ? " reached" : "")));
      }
      const tr = row([
        el("span", task.id, "mono"), task.model, task.account_id,
        el("span", task.status, "badge " + task.status), steps,
        task.reserved_credits, task.settled ? task.final_credits : "",
      ]);
      tr.dataset.taskId = task.id;
      tr.dataset.status = task.status;
      return tr;
    });
    fill($("tasks"), rows, "no tasks yet", 7);
  }

  function deliveryAnswer(attempt) {
    if (attempt.status_code !== null) {
      return el("span", attempt.status_code, "s" + String(attempt.status_code)[0]);
    }
    return el("span", attempt.error || "no answer", "s5");
  }

  function renderDeliveries(attempts) {
    const rows = attempts.map((attempt) => {
      const tr = row([
        clockText(attempt.attempted_at), el("span", attempt.url, "mono"), attempt.event_type,
        attempt.attempt, deliveryAnswer(attempt),
        attempt.next_attempt_at ? clockText(attempt.next_attempt_at) : "",
      ]);
      tr.dataset.deliveryId = attempt.id;
      tr.dataset.eventId = attempt.event_id;
      tr.dataset.endpointId = attempt.endpoint_id;
      tr.dataset.status = attempt.status_code === null ? "" : String(attempt.status_code);
      return tr;
    });
    fill($("webhook-deliveries"), rows, "no deliveries yet", 6);
  }

  function renderAccounts(accounts) {
    const rows = accounts.map((account) => {
      const tr = row([account.id, account.balance, account.reserved, account.spent, account.refunded, account.granted]);
      tr.dataset.accountId = account.id;
      return tr;
    });
    fill($("accounts"), rows, "no accounts", 6);
    const select = $("grant-account");
    const chosen = select.value;
    const ids = accounts.map((account) => account.id);
    if (ids.join("\n") !== Array.from(select.options, (o) => o.value).join("\n")) {
      select.replaceChildren(...ids.map((id) => el("option", id)));
      if (ids.includes(chosen)) select.value = chosen;
    }
  }

  function keyState(key, now) {
    if (key.revoked) return "revoked";
    if (key.expires_at && key.expires_at <= now) return "expired";
    return key.expires_at ? "expires " + clockText(key.expires_at) : "live";
  }

  function renderKeys(keys, now) {
    const rows = keys.map((key) => {
      const path = "keys/" + encodeURIComponent(key.key) + "/";
      const actions = el("span");
      actions.append(
        button("revoke", () => act(() => call("POST", path + "revoke"), "revoked " + key.key), "revoke-" + key.key),
        button("expire", () => act(() => call("POST", path + "expire"), "expired " + key.key), "expire-" + key.key),
      );
      const tr = row([el("span", key.key, "mono"), key.account_id, key.scopes.length + " scopes", keyState(key, now), actions]);
      tr.dataset.key = key.key;
      return tr;
    });
    fill($("keys"), rows, "no keys", 5);
  }

  function renderItems(tbody, items, kind, describe, names) {
    const rows = items.map((item) => {
      const tr = row([
        el("span", item.id, "mono"), describe(item), matches(item, names), item.used,
        item.remaining === null ? "∞" : item.remaining,
        button("remove", () => act(() => call("DELETE", kind + "/" + item.id), "removed " + item.id), "remove-" + item.id),
      ]);
      tr.dataset.itemId = item.id;
      return tr;
    });
    fill(tbody, rows, "none in force", 6);
  }

  function faultAnswer(fault) {
    const parts = [];
    if (fault.code) parts.push(fault.code);
    if (fault.status) parts.push(String(fault.status));
    if (fault.delay) parts.push("delay " + fault.delay + " s");
    if (fault.drop) parts.push("drop");
    return parts.join(", ");
  }

  async function refresh() {
    const [clock, entries, tasks, accounts, keys, faults, scripts, deliveries] = await Promise.all([
      call("GET", "clock"), call("GET", "journal?limit=200"), call("GET", "tasks"),
      call("GET", "accounts"), call("GET", "keys"), call("GET", "faults"), call("GET", "scripts"),
      call("GET", "webhook-deliveries?limit=100"),
    ]);
    $("clock-now").textContent = clockText(clock.now);
    $("clock-kind").textContent = clock.virtual ? "(virtual)" : "(real)";
    if (changed("journal", entries.data)) {
      journal = entries.data;
      renderRequests();
    }
    if (changed("tasks", tasks.data)) renderTasks(tasks.data);
    if (changed("deliveries", deliveries.data)) renderDeliveries(deliveries.data);
    if (changed("accounts", accounts.data)) renderAccounts(accounts.data);
    if (changed("keys", [keys.data, clock.now])) renderKeys(keys.data, clock.now);
    if (changed("faults", faults.data)) {
      renderItems($("faults"), faults.data, "faults", faultAnswer, ["method", "path", "account"]);
    }
    if (changed("scripts", scripts.data)) {
      renderItems($("scripts"), scripts.data, "scripts", (s) => (s.outcome || "succeeded") + (s.code ? " " + s.code : ""), ["model", "prompt_contains", "client_request_id", "account"]);
    }
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  }

  async function poll() {
    window.clearTimeout(timer);
    try {
      await refresh();
      $("login").hidden = true;
      if ($("status").className === "error") say("");
    } catch (error) {
      if (error instanceof Unauthorized) {
        $("login").hidden = false;
        $("login-error").textContent = token ? error.message : "";
        return;
      }
      say("mock unreachable: " + error.message, true);
    }
    timer = window.setTimeout(poll, POLL_MS);
  }

  async function act(action, done) {
    try {
      await action();
      say(done);
    } catch (error) {
      say(error.message, true);
    }
    await poll();
  }

  function optional(id) {
    const value = $(id).value.trim();
    return value === "" ? undefined : value;
  }

  function setup() {
    for (const [code, status] of settings.codes) {
      const option = el("option", code + " (" + status + ")");
      option.value = code;
      $("fault-code").appendChild(option);
    }
    $("advance-60").addEventListener("click", () => act(() => call("POST", "clock", { advance: 60 }), "advanced 60 s"));
    $("advance-custom").addEventListener("click", () => {
      const seconds = Number($("advance-seconds").value);
      act(() => call("POST", "clock", { advance: seconds }), "advanced " + seconds + " s");
    });
    $("reset").addEventListener("click", () => {
      if (window.confirm("Forget every account, key, task, file, script, fault and request?")) {
        act(() => call("POST", "reset"), "reset");
      }
    });
    $("fault-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const fault = { code: $("fault-code").value, times: Number($("fault-times").value) || 1 };
      const path = optional("fault-path");
      const method = $("fault-method").value;
      if (path) fault.path = path;
      if (method) fault.method = method;
      act(() => call("POST", "faults", fault), "fault added: " + fault.code);
    });
    $("grant-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const account = $("grant-account").value;
      const credits = Number($("grant-credits").value);
      act(() => call("POST", "accounts/" + encodeURIComponent(account) + "/grant", { credits: credits }), "granted " + credits + " credits to " + account);
    });
    $("script-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const script = { outcome: $("script-outcome").value, times: 1 };
      const code = optional("script-code");
      const queued = optional("script-queued");
      const processing = optional("script-processing");
      if (code && script.outcome === "failed") script.code = code;
      if (queued !== undefined) script.queued = Number(queued);
      if (processing !== undefined && script.outcome !== "processing") script.processing = Number(processing);
      act(() => call("POST", "scripts", script), "next task scripted: " + script.outcome);
    });
    for (const id of ["filter-path", "filter-status", "filter-code"]) {
      $(id).addEventListener("input", renderRequests);
    }
    $("login").addEventListener("submit", (event) => {
      event.preventDefault();
      token = $("token").value;
      window.sessionStorage.setItem("rivya-mock-token", token);
      poll();
    });
    if (settings.admin && !token) {
      $("login").hidden = false;  // ask first: a request without the token would only be refused
      $("token").focus();
    } else {
      poll();
    }
  }

  setup();
})();
