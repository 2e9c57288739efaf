// Renders an OpenAPI 3.0 document as a readable list of operations (no framework, no CDN).
(function () {
  "use strict";
  const root = document.getElementById("reference");
  if (!root) return;
  const label = (name) => root.dataset[name] || name;

  function element(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => node.setAttribute(key, value));
    (children || []).forEach((child) =>
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child));
    return node;
  }

  function resolve(spec, schema) {
    if (schema && schema.$ref && schema.$ref.startsWith("#/")) {
      return schema.$ref.slice(2).split("/").reduce((node, key) => node && node[key], spec);
    }
    return schema || {};
  }

  function typeText(schema) {
    if (!schema) return "";
    if (schema.type === "array") return typeText(schema.items || {}) + "[] (a,b,c)";
    let text = schema.type || (schema.$ref ? schema.$ref.split("/").pop() : "");
    if (schema.format) text += " (" + schema.format + ")";
    if (schema.enum) text += ": " + schema.enum.join(" | ");
    if (schema.minimum !== undefined || schema.maximum !== undefined) {
      text += " [" + (schema.minimum ?? "") + ".." + (schema.maximum ?? "") + "]";
    }
    if (schema.pattern) text += " ~ " + schema.pattern;
    return text;
  }

  function operationBlock(spec, path, method, op) {
    const id = (op.operationId || method + path).replace(/[^\w-]/g, "_");
    const section = element("section", { class: "operation", id: id });
    section.appendChild(element("h2", {}, [
      element("span", { class: "method " + method }, [method.toUpperCase()]), " ",
      element("code", {}, [path]),
    ]));
    if (op.summary) section.appendChild(element("p", {}, [op.summary]));
    if (op.security) section.appendChild(element("p", { class: "token" }, [label("token")]));
    const params = (op.parameters || []).map((p) => resolve(spec, p));
    if (params.length) {
      const rows = params.map((p) => element("tr", {}, [
        element("td", {}, [element("code", {}, [p.name]), p.in === "path" ? " (path)" : ""]),
        element("td", {}, [typeText(p.schema) + (p.required ? " — " + label("required") : "")]),
        element("td", {}, [p.description || ""]),
      ]));
      section.appendChild(element("table", { class: "data" }, [
        element("thead", {}, [element("tr", {}, [
          element("th", {}, [label("parameter")]), element("th", {}, [label("type")]),
          element("th", {}, [label("description")]),
        ])]),
        element("tbody", {}, rows),
      ]));
    }
    if (op.requestBody) {
      const media = Object.entries(op.requestBody.content || {})
        .map(([type, body]) => type + ": " + typeText(resolve(spec, body.schema)));
      section.appendChild(element("p", {}, [label("body") + ": " + media.join("; ")]));
    }
    const answers = Object.entries(op.responses || {}).map(([code, answer]) => {
      const resolved = resolve(spec, answer);
      const types = Object.keys(resolved.content || {}).join(", ");
      return element("li", {}, [code + " " + (resolved.description || "") + (types ? " — " + types : "")]);
    });
    section.appendChild(element("p", {}, [label("answers")]));
    section.appendChild(element("ul", {}, answers));
    return section;
  }

  function render(spec) {
    root.textContent = "";
    const server = (spec.servers && spec.servers[0] && spec.servers[0].url) || "";
    root.appendChild(element("h2", {}, [spec.info.title + " — " + server]));
    if (spec.info.description) root.appendChild(element("p", {}, [spec.info.description]));
    const index = element("ul", { class: "index" });
    root.appendChild(index);
    Object.entries(spec.paths).forEach(([path, methods]) => {
      Object.entries(methods).forEach(([method, op]) => {
        const block = operationBlock(spec, path, method, op);
        index.appendChild(element("li", {}, [
          element("a", { href: "#" + block.id }, [method.toUpperCase() + " " + path]),
        ]));
        root.appendChild(block);
      });
    });
  }

  root.textContent = label("loading");
  fetch(root.dataset.spec, { headers: { Accept: "application/json" } })
    .then((answer) => {
      if (!answer.ok) throw new Error(answer.status);
      return answer.json();
    })
    .then(render)
    .catch(() => { root.textContent = label("failed"); });
})();
