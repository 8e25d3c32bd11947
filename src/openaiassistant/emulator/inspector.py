"""The inspector page (``openaiassistant emulator --inspect``): what the model was sent and answered.

``GET /_emulator/ui`` is one server-rendered HTML page (no build step, no external assets) that
re-reads ``/_emulator/ui/view`` every second, so a workflow can be watched while it runs;
``/_emulator/ui/data`` is the same as JSON. Like every ``/_emulator`` route it has no
authentication: it shows prompts and tool outputs, so bind 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
from html import escape
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from openaiassistant.emulator.inspection import inspect_world

if TYPE_CHECKING:
    from openaiassistant.emulator.context import Emulator

__all__ = ["ROUTES", "render_view"]


def _world(request: Request) -> dict[str, Any]:
    emulator: Emulator = request.app.state.emulator
    return inspect_world(emulator)


async def _page(request: Request) -> Response:
    view = render_view(_world(request))
    return HTMLResponse(_PAGE.replace("{{DIGEST}}", _digest(view)).replace("{{VIEW}}", view))


async def _view(request: Request) -> Response:
    view = render_view(_world(request))
    return HTMLResponse(view, headers={"cache-control": "no-store", "x-view-digest": _digest(view)})


def _digest(view: str) -> str:
    """Names a rendering: the page replaces its view only when this changes."""
    return hashlib.sha256(view.encode()).hexdigest()[:16]


async def _data(request: Request) -> Response:
    return JSONResponse(json.loads(json.dumps(_world(request), default=str)))


ROUTES = [
    Route("/_emulator/ui", _page, methods=["GET"]),
    Route("/_emulator/ui/view", _view, methods=["GET"]),
    Route("/_emulator/ui/data", _data, methods=["GET"]),
]


def render_view(world: dict[str, Any]) -> str:
    """The page's live part: conversations, threads, lone responses, the request log."""
    conversations = "".join(_conversation(c) for c in world["conversations"]) or '<p class="none">None yet.</p>'
    threads = "".join(_thread(t) for t in world["threads"]) or '<p class="none">None yet.</p>'
    parts = [
        _summary(world),
        f'<section id="conversations"><h2>Conversations <small>Responses API</small></h2>{conversations}</section>',
    ]
    if world["responses"]:
        alone = "".join(_response(r) for r in world["responses"])
        parts.append(f'<section id="responses"><h2>Responses without a conversation</h2>{alone}</section>')
    parts.append(f'<section id="threads"><h2>Threads <small>Assistants API</small></h2>{threads}</section>')
    parts.append(_request_log(world["requests"]))
    return "\n".join(parts)


def _summary(world: dict[str, Any]) -> str:
    problems = len(world["violations"])
    verdict = (
        '<span class="ok">every response conforms to the spec</span>'
        if not problems
        else f'<span class="bad">{problems} spec problem(s)</span>'
    )
    return (
        f'<p class="summary">{len(world["conversations"])} conversation(s) · {len(world["threads"])} thread(s) · '
        f"{len(world['requests'])} request(s) · {verdict}</p>"
    )


def _conversation(conversation: dict[str, Any]) -> str:
    cid = escape(str(conversation["id"]))
    body = "".join(_response(r) for r in conversation["responses"]) or '<p class="none">No response yet.</p>'
    summary = f"<b>{cid}</b> {_metadata(conversation['metadata'])} <small>{conversation['items']} item(s)</small>"
    return _details("card", cid, summary, body)


def _thread(thread: dict[str, Any]) -> str:
    tid = escape(str(thread["id"]))
    messages = "".join(_line(m["kind"], m["text"]) for m in thread["messages"])
    runs = "".join(_run(r) for r in thread["runs"])
    return _details(
        "card", tid, f"<b>{tid}</b> {_metadata(thread['metadata'])}", f'<div class="lines">{messages}</div>{runs}'
    )


def _response(response: dict[str, Any]) -> str:
    rid = escape(str(response["id"]))
    head = (
        f"{_badge(response['status'])} <b>{rid}</b> <small>{escape(str(response['model']))}"
        f"{' · background' if response['background'] else ''}</small> {_usage(response['usage'])}"
    )
    inputs = "".join(_line(i["kind"], i["text"]) for i in response["input"])
    answer = _line("answer", response["text"]) if response["text"] else ""
    body = (
        f'<div class="lines">{inputs}</div>{_timeline(response["timeline"])}{_calls(response["tool_calls"])}'
        f'<div class="lines">{answer}</div>{_error(response["error"])}'
    )
    return _details("work", rid, head, body)


def _run(run: dict[str, Any]) -> str:
    rid = escape(str(run["id"]))
    head = (
        f"{_badge(run['status'])} <b>{rid}</b> <small>{escape(str(run['model']))} · "
        f"{escape(str(run['assistant_id']))}</small> {_usage(run['usage'])}"
    )
    return _details("work", rid, head, f"{_timeline(run['timeline'])}{_calls(run['tool_calls'])}{_error(run['error'])}")


def _details(css: str, key: str, summary: str, body: str) -> str:
    """An open card (a conversation, a thread) or piece of work (a response, a run): the page
    keeps each one's open state by ``data-key`` across refreshes; ``id`` makes it a URL fragment."""
    return f'<details open class="{css}" data-key="{key}" id="{key}"><summary>{summary}</summary>{body}</details>'


def _timeline(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    out = ['<ol class="timeline">']
    for row in rows:
        kind = row["kind"]
        label = {"text": "text", "arguments": "arguments", "status": "status", "tool_call": "tool call"}.get(kind, kind)
        count = f" <small>{row['count']} deltas</small>" if kind in ("text", "arguments") else ""
        usage = f" {_usage(row['usage'])}" if row.get("usage") else ""
        text = escape(row["text"])
        if kind == "status":
            text = _badge(row["text"])
        out.append(
            f'<li class="{escape(kind)}"><span class="k">{label}</span>{count} '
            f'<span class="v">{text}</span>{usage}</li>'
        )
    out.append("</ol>")
    return "".join(out)


def _calls(calls: list[dict[str, Any]]) -> str:
    if not calls:
        return ""
    rows = "".join(
        f"<tr><td><b>{escape(str(c['name']))}</b><br><small>{escape(str(c['call_id']))}</small></td>"
        f"<td><code>{escape(_text(c['arguments']))}</code></td>"
        f"<td><code>{_output(c['output'])}</code></td></tr>"
        for c in calls
    )
    return f'<table class="calls"><tr><th>tool call</th><th>arguments</th><th>output</th></tr>{rows}</table>'


def _request_log(requests: list[dict[str, Any]]) -> str:
    rows = []
    for r in requests:
        problems = r["violations"]
        verdict = (
            '<span class="ok">✓ conforms</span>'
            if not problems
            else '<span class="bad">✗ ' + "<br>".join(escape(p) for p in problems) + "</span>"
        )
        query = f"?{escape(r['query'])}" if r["query"] else ""
        body = (
            f'<details data-key="req{r["n"]}"><summary>body</summary><pre>{escape(_text(r["body"]))}</pre></details>'
            if r["body"] is not None
            else ""
        )
        status_class = "bad" if not r["status"] or r["status"] >= 400 else "ok"
        rows.append(
            f"<tr><td>{r['n']}</td><td>{escape(str(r['method']))}</td><td><code>{escape(str(r['path']))}{query}</code>"
            f'{body}</td><td class="{status_class}">{r["status"]}</td><td>{r["duration_ms"]}</td>'
            f"<td>{verdict}</td></tr>"
        )
    table = (
        '<table class="log"><tr><th>#</th><th>method</th><th>path</th><th>status</th><th>ms</th>'
        "<th>spec verdict</th></tr>" + "".join(rows) + "</table>"
        if rows
        else '<p class="none">No request yet.</p>'
    )
    return f'<section id="requests"><h2>Request log</h2>{table}</section>'


def _line(kind: str, text: str) -> str:
    return (
        f'<div class="line {escape(kind)}"><span class="k">{escape(kind)}</span>'
        f'<span class="v">{escape(text)}</span></div>'
    )


def _badge(status: Any) -> str:
    text = str(status)
    word = text.split(":")[0]
    return f'<span class="badge {escape(word)}">{escape(text)}</span>'


def _usage(usage: Any) -> str:
    if not isinstance(usage, dict):
        return ""
    total = usage.get("total_tokens")
    inp = usage.get("input_tokens", usage.get("prompt_tokens"))
    out = usage.get("output_tokens", usage.get("completion_tokens"))
    return f'<small class="usage">{inp} in · {out} out · {total} tokens</small>'


def _metadata(metadata: dict[str, Any]) -> str:
    if not metadata:
        return ""
    return " ".join(f'<span class="meta">{escape(str(k))}={escape(str(v))}</span>' for k, v in metadata.items())


def _error(error: Any) -> str:
    return f'<p class="bad">{escape(_text(error))}</p>' if error else ""


def _output(value: Any) -> str:
    return escape(_text(value)) if value is not None else "<i>no output yet</i>"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>OpenAI emulator · inspector</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2430}
header{background:#1d2430;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:baseline}
header h1{font-size:17px;margin:0} header .live{color:#8fd19e;font-size:12px}
main{padding:8px 20px 40px;max-width:1200px}
h2{font-size:15px;margin:22px 0 8px} h2 small{color:#6b7280;font-weight:normal}
.card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px 12px;margin:8px 0}
.work{border-left:3px solid #9aa5b8;margin:8px 0 8px 4px;padding:2px 10px}
summary{cursor:pointer} small{color:#6b7280}
.badge{display:inline-block;border-radius:9px;padding:0 8px;font-size:12px;background:#e5e7eb}
.badge.completed{background:#d1fae5;color:#065f46}.badge.failed,.badge.expired,.badge.cancelled{background:#fee2e2;color:#991b1b}
.badge.in_progress,.badge.queued{background:#dbeafe;color:#1e40af}.badge.requires_action,.badge.incomplete{background:#fef3c7;color:#92400e}
.lines .line{display:flex;gap:8px;margin:3px 0;white-space:pre-wrap}
.line .k,.timeline .k{min-width:84px;color:#6b7280;font-size:12px;text-transform:uppercase}
.line.user .v{background:#eef2ff;padding:2px 6px;border-radius:4px}
.line.answer .v{background:#ecfdf5;padding:2px 6px;border-radius:4px}
.timeline{margin:4px 0;padding-left:22px}.timeline li{margin:2px 0;white-space:pre-wrap}
table{border-collapse:collapse;margin:6px 0;width:100%;background:#fff}
td,th{border:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600}
code,pre{font:12px ui-monospace,monospace;white-space:pre-wrap;word-break:break-word}
.ok{color:#047857}.bad{color:#b91c1c}.none{color:#6b7280}.summary{color:#374151}
.meta{font-size:12px;background:#f3f4f6;border-radius:4px;padding:0 4px;margin-left:4px}
</style></head>
<body><header><h1>OpenAI emulator · inspector</h1><span class="live" id="live">live</span></header>
<main id="view" data-digest="{{DIGEST}}">{{VIEW}}</main>
<script>
const opened = {};
document.addEventListener("toggle", e => {
  if (e.target.dataset && e.target.dataset.key) opened[e.target.dataset.key] = e.target.open;
}, true);
async function refresh() {
  try {
    const answer = await fetch("ui/view", {cache: "no-store"});
    if (!answer.ok) throw new Error(answer.status);
    const digest = answer.headers.get("x-view-digest");
    const view = document.getElementById("view");
    document.getElementById("live").textContent = "live";
    if (view.dataset.digest === digest) return;  // nothing changed: keep the page as it is
    view.innerHTML = await answer.text();
    view.dataset.digest = digest;
    view.querySelectorAll("details[data-key]").forEach(d => {
      if (d.dataset.key in opened) d.open = opened[d.dataset.key];
    });
  } catch (err) { document.getElementById("live").textContent = "offline"; }
}
setInterval(refresh, 1000);
</script></body></html>
"""
