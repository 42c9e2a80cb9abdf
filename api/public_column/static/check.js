// "Check my company" (查一查我的单位) on a draw's page of the public column.
//
// Everything is computed here, in the browser, from the draw's public record embedded in the
// page (#check-data): nothing typed is sent to the server.
//
// - The code is normalised as the ledger does (verify/uscc.py): NFKC, strip Python's white
//   space, upper-case; then checked against GB 32100 (alphabet and check character).
// - Its ticket is computed with WebCrypto SHA-256 over the same bytes as verify/sampler.py
//   (byte-compatible with consistent-sampler 1.0.10):
//     seed_hash = hex(SHA-256(utf8(seed + "/targets")))
//     ticket(id) = "0." + reversed(decimal digits of int(SHA-256(utf8(seed_hash + id))),
//                                  zero-padded to 64), trimmed to 18 digits after leading 9s.
//   In a weighted draw a target of weight w takes part as the virtual ids id#1 … id#w; its
//   ticket is the smallest of theirs (the first of its virtual ids to be drawn).
// - Selected iff in the frozen population and its ticket is at most its stratum's threshold
//   (the ticket of the last target taken); the page also checks that against the recorded
//   selection and says so if they ever disagree.
"use strict";

(function () {
  const ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  // Python's str.isspace() characters: what str.strip() removes.
  const PY_SPACE =
    "[\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a" +
    "\\u2028\\u2029\\u202f\\u205f\\u3000]";
  const STRIP = new RegExp("^" + PY_SPACE + "+|" + PY_SPACE + "+$", "g");

  function normalise(text) {
    return text.normalize("NFKC").replace(STRIP, "").toUpperCase();
  }

  // The GB 32100 rules of verify/uscc.py: null if valid, otherwise what is wrong.
  function problem(code) {
    const chars = Array.from(code);
    if (chars.length !== 18) {
      return "统一社会信用代码应为 18 位，您输入的是 " + chars.length + " 位。";
    }
    let total = 0;
    for (let i = 0; i < 17; i++) {
      const value = ALPHABET.indexOf(chars[i]);
      if (value < 0) {
        return "第 " + (i + 1) + " 位字符“" + chars[i] + "”不在 GB 32100 字符集中" +
          "（0-9 及除 I、O、S、V、Z 以外的大写字母）。";
      }
      total += value * Number(3n ** BigInt(i) % 31n);
    }
    const expected = ALPHABET[(31 - (total % 31)) % 31];
    if (chars[17] !== expected) {
      return "校验码（第 18 位）为“" + chars[17] + "”，按 GB 32100 应为“" + expected +
        "”：请核对代码。";
    }
    return null;
  }

  async function sha256Hex(text) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function ticketNumber(id, hashedSeed) {
    const value = BigInt("0x" + (await sha256Hex(hashedSeed + id))).toString();
    return "0." + Array.from(value.padStart(64, "0")).reverse().join("");
  }

  function trim(x, digits) {
    const x0 = x + "0";
    let firstNon9 = 2;
    while (x0[firstNon9] === "9") firstNon9++;
    return x.slice(0, firstNon9 + digits);
  }

  // The smallest ticket among the id's virtual ids (just the id itself when unweighted).
  async function bestTicket(data, id, weight) {
    const hashedSeed = await sha256Hex(data.seed + "/targets");
    if (!data.weighted) return { ticket: await ticketNumber(id, hashedSeed), virtual: id };
    let best = null;
    for (let n = 1; n <= weight; n++) {
      const ticket = await ticketNumber(id + "#" + n, hashedSeed);
      if (best === null || ticket < best.ticket) best = { ticket: ticket, virtual: id + "#" + n };
    }
    return best;
  }

  async function verdict(data, code) {
    const stratum = data.population[code];
    const weight = data.weights[code] || 1;
    const best = await bestTicket(data, code, weight);
    const ticket = trim(best.ticket, data.digits);
    const label = data.weighted ? "（权重 " + weight + "，最小签号来自 " + best.virtual + "）" : "";
    if (stratum === undefined) {
      if (code in data.excluded) {
        return {
          kind: "excluded", ticket: ticket,
          text: "该单位在本次抽取范围内，但在冻结总体时被排除，未参加抽取。",
          why: "记录的排除理由：" + data.excluded[code] + "。（若参加，其签号为上述值" + label + "。）",
        };
      }
      return {
        kind: "not_in_population", ticket: ticket,
        text: "该代码不在本次抽取的总体中。",
        why: "它不属于本次抽取的处室、事项或筛选条件，或在冻结时未登记在检查对象名录库中。" +
          "（若参加，其签号为上述值" + label + "。）",
      };
    }
    const threshold = data.thresholds[stratum];
    const layer = stratum === "all" ? "" : "“" + stratum + "”层";
    const recorded = data.selected[code];
    const below = threshold !== null && ticket <= threshold;
    let why = below
      ? "其签号" + label + "不大于" + layer + "阈值 " + threshold + "，因此被抽中。"
      : "其签号" + label + "大于" + layer + "阈值 " + (threshold || "（本层未抽取）") +
        "，因此未被抽中。";
    const consistent = below === (recorded !== undefined) &&
      (recorded === undefined || recorded === ticket);
    if (!consistent) {
      why += " 注意：此计算结果与账本记录的抽取结果不一致" +
        (recorded ? "（记录的签号为 " + recorded + "）" : "") + "，请向核验机构反映。";
    }
    return {
      kind: recorded !== undefined ? "selected" : "not_selected", ticket: ticket,
      text: recorded !== undefined
        ? "该单位在本次抽取总体中，并被抽中。"
        : "该单位在本次抽取总体中，未被抽中。",
      why: why, consistent: consistent,
    };
  }

  function show(result) {
    const box = document.getElementById("check-result");
    box.hidden = false;
    box.dataset.verdict = result.kind;
    box.dataset.consistent = result.consistent === false ? "false" : "true";
    document.getElementById("check-verdict").textContent = result.text;
    document.getElementById("check-ticket").textContent = result.ticket || "";
    document.getElementById("check-ticket-line").hidden = !result.ticket;
    document.getElementById("check-why").textContent = result.why || "";
  }

  async function check(event) {
    event.preventDefault();
    const data = JSON.parse(document.getElementById("check-data").textContent);
    const code = normalise(document.getElementById("check-code").value);
    const wrong = problem(code);
    if (wrong !== null) {
      show({ kind: "invalid", text: "代码无效：" + wrong });
      return;
    }
    if (!(window.crypto && crypto.subtle)) {
      show({ kind: "unavailable", text: "此浏览器环境不提供 WebCrypto（需通过 HTTPS 访问），无法计算签号。" });
      return;
    }
    show(await verdict(data, code));
  }

  document.getElementById("check-form").addEventListener("submit", check);
})();
