// The public JSON API (../shared/API.md), and nothing else. Errors keep the contract's shape.
import { token } from "./auth.js";

let base = "";
export function setBase(url) {
  base = (url || "").replace(/\/$/, "");
}

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || "HTTP_ERROR";
    this.details = e.details || [];
  }
  /** The route itself is missing (API Gateway's own 404): a part of the API this deployment does not have yet. */
  get routeMissing() {
    return this.status === 404 && this.message === "No such route";
  }
}

export async function api(method, path, body, headers = {}) {
  const h = { Accept: "application/json", ...headers };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const reply = await fetch(base + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await reply.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: { code: "BAD_RESPONSE", message: text.slice(0, 200) } };
  }
  if (!reply.ok) throw new ApiError(reply.status, data);
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body = {}, headers) => api("POST", path, body, headers);
export const put = (path, body) => api("PUT", path, body);
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);
export const q = (params) => {
  const s = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  return s.toString() ? `?${s}` : "";
};

/** Upload straight to S3 with the presigned POST form; `onProgress(0..1)` while the bytes go. */
export function uploadToS3(ticket, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(ticket.fields)) form.append(k, v);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", ticket.url);
    xhr.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener("load", () =>
      xhr.status >= 200 && xhr.status < 300 ? (onProgress(1), resolve()) : reject(new Error(`上传失败（${xhr.status}）`)),
    );
    xhr.addEventListener("error", () => reject(new Error("上传失败：网络错误")));
    xhr.send(form);
  });
}
