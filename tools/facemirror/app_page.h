#pragma once
// The app's single page: HTML, style and script in one string, no external file. The server
// replaces the CONFIG marker with {"token": ..., "roots": [...]}.

namespace facemirror::cli {

inline constexpr const char* app_page = R"APP(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>facemirror</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<style>
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:20px auto;max-width:1000px;padding:0 12px;font-size:14px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:20px;border-bottom:1px solid #ccc}
.cols{display:flex;gap:20px}.col{flex:1;min-width:0}
#browser{border:1px solid #ccc;height:300px;overflow:auto;padding:4px}
#browser div{padding:2px 4px;cursor:default}#browser div.folder{cursor:pointer;color:#1f5fbf}
#browser div:hover{background:#f0f4ff}#where{font-size:12px;color:#555;word-break:break-all}
#inputs li{font-size:12px;word-break:break-all}
table{border-collapse:collapse;font-size:12px;width:100%}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
.bar{background:#eee;height:14px;width:100%;position:relative}.bar span{display:block;height:14px;background:#2e8b3a}
#plan-rows td{white-space:nowrap}#plan-rows input[type=number]{width:4.5em}#plan-rows select{width:8.5em;display:block}
#plan-rows input.aus{width:7em}#plan-rows input.custom{width:8em;display:block}#plan-rows input.custom[hidden]{display:none}#plan-rows button{margin:0 0 0 2px;font-size:11px;padding:0 3px}
#plan-video{width:100%;background:#000}button.edit-plan{font-size:11px;padding:0 4px;margin:0 0 0 6px}
.failed{color:#c8321e}.skipped{color:#777}.cancelled{color:#777}button{margin:4px 4px 4px 0}input[type=text]{width:100%}
</style></head><body>
<h1>facemirror</h1>
<div class="cols"><div class="col">
<h2>Choose videos</h2><div id="roots"></div><div id="where"></div>
<button id="up">Up</button><button id="add-folder">Add this folder</button><button id="use-output">Output here</button>
<div id="browser"></div></div>
<div class="col"><h2>Batch</h2>
<ol id="inputs"></ol><button id="clear">Clear</button>
<p><label for="output">Output folder</label><br><input type="text" id="output"></p>
<p>Mode<br><label><input type="radio" name="mode" value="mirror" checked> mirror + AUs</label>
<label><input type="radio" name="mode" value="mirror_only"> mirror only</label>
<label><input type="radio" name="mode" value="aus"> AUs only</label></p>
<p>AU tracks per face<br><label><input type="radio" name="tracks" value="1" checked> one (fastest)</label>
<label><input type="radio" name="tracks" value="2"> mean of 2 (closer to OpenFace 2.2; the AUs take 2x as long)</label>
<label><input type="radio" name="tracks" value="3"> median of 3 (closest to OpenFace 2.2; the AUs take 3x as long)</label></p>
<p>Finished videos<br><label><input type="radio" name="rerun" value="unprocessed" checked> only unprocessed</label>
<label><input type="radio" name="rerun" value="all"> re-run all</label></p>
<button id="start">Start</button><button id="cancel" disabled>Cancel</button>
<p id="message" class="failed"></p></div></div>
<div id="plan-editor" hidden><h2>Task plan of <span id="plan-video-name"></span></h2>
<p id="plan-where" style="font-size:12px;color:#555;word-break:break-all"></p>
<div class="cols"><div class="col" style="flex:0.7"><video id="plan-video" controls preload="metadata"></video>
<p>At <span id="plan-time">0.00</span> s: play or seek, then take a window's start or end from here.</p></div>
<div class="col"><table id="plan-rows"><thead><tr><th>task</th><th>start (s)</th><th>end (s)</th><th>AUs</th><th></th></tr></thead><tbody></tbody></table>
<button id="plan-add">Add task</button><button id="plan-save">Save plan</button><button id="plan-remove">Remove plan</button><button id="plan-close">Close</button>
<p id="plan-message"></p>
<p style="font-size:12px;color:#555">One <b>rest</b> window is every task's baseline (without one, the first second). A standard movement brings its AUs; for any other task choose "other", name it and list its AUs (AU14 AU23). The report of the next run (mirror + AUs, or AUs only) has a section per task.</p></div></div></div>
<h2>Progress</h2>
<div class="bar"><span id="overall-bar" style="width:0%"></span></div>
<p><span id="overall-percent">0%</span> <span id="overall-detail"></span></p>
<table id="videos"><thead><tr><th>video</th><th>stage</th><th>progress</th><th>fps</th><th>ETA</th><th>result</th></tr></thead><tbody></tbody></table>
<div id="summary" hidden><h2>Summary</h2><p id="summary-line"></p><ul id="links"></ul></div>
<script>
const config = /*CONFIG*/;
const api = (path, params) => path + "?" + new URLSearchParams(Object.assign({token: config.token}, params || {}));
const $ = id => document.getElementById(id);
// A file's address names its path, so that a report's relative links reach its neighbours.
const fileUrl = path => "/files/" + config.token + path.split("/").map(encodeURIComponent).join("/");
let here = config.roots[0], inputs = [], rows = {}, started = 0, counts = {};
function text(el, s) { el.textContent = s; return el; }
async function browse(path) {
  let r, data;
  try { r = await fetch(api("/api/list", {path})); data = await r.json(); } catch (e) { appStopped(); return; }
  if (!r.ok) { text($("message"), data.error); return; }
  text($("message"), "");  // an earlier refusal no longer applies
  here = data.path; text($("where"), here);
  const list = $("browser"); list.replaceChildren();
  for (const e of data.entries) {
    const div = document.createElement("div");
    div.dataset.path = e.path;
    if (e.folder) {  // a button to the keyboard and a screen reader too
      div.className = "folder"; text(div, e.name + "/"); div.onclick = () => browse(e.path);
      div.tabIndex = 0; div.setAttribute("role", "button");
      div.onkeydown = k => { if (k.key === "Enter" || k.key === " ") { k.preventDefault(); browse(e.path); } };
    }
    else if (e.video) {
      const box = document.createElement("input"); box.type = "checkbox"; box.checked = inputs.includes(e.path);
      box.onchange = () => { if (box.checked) addInput(e.path); else removeInput(e.path); };
      const label = document.createElement("label");  // the name ticks the box, and names it
      label.append(box, " " + e.name); div.append(label);
      if (e.task_plan) {
        const badge = text(document.createElement("span"), " \u00b7 task plan");
        badge.className = "task-plan"; badge.title = "its report gets a task section"; div.append(badge);
      }
      const edit = text(document.createElement("button"), e.task_plan ? "edit tasks" : "add tasks");
      edit.className = "edit-plan"; edit.title = "the movements of this recording and their times";
      edit.onclick = () => openPlan(e.path); div.append(edit);
    } else {
      // Any other file (an earlier batch's reports, index.html, CSVs) opens in a new tab.
      const a = text(document.createElement("a"), e.name);
      a.href = fileUrl(e.path); a.target = "_blank"; a.className = "file"; div.append(a);
    }
    list.append(div);
  }
}
function showInputs() {
  const ol = $("inputs"); ol.replaceChildren();
  for (const p of inputs) {
    // Each chosen video or folder can be taken out of the batch on its own, not only by Clear.
    const li = document.createElement("li"), b = text(document.createElement("button"), "remove");
    b.className = "remove-input"; b.title = "take " + p + " out of the batch";
    b.onclick = () => { removeInput(p); browse(here); };
    li.append(document.createTextNode(p + " "), b); ol.append(li);
  }
}
function addInput(p) { if (!inputs.includes(p)) inputs.push(p); showInputs(); }
function removeInput(p) { inputs = inputs.filter(x => x !== p); showInputs(); }
// Each folder the app was given (--root, repeatable) is a place to start from.
for (const root of config.roots) {
  const b = text(document.createElement("button"), root); b.className = "root"; b.title = "browse from here";
  b.onclick = () => browse(root); $("roots").append(b);
}
$("up").onclick = () => { const parent = here.replace(/\/[^\/]+\/?$/, "") || "/"; browse(parent); };
$("add-folder").onclick = () => addInput(here);
$("use-output").onclick = () => { $("output").value = here; };
$("clear").onclick = () => { inputs = []; showInputs(); browse(here); };
function row(video) {
  if (!rows[video]) {
    const tr = document.createElement("tr");
    for (let i = 0; i < 6; ++i) tr.append(document.createElement("td"));
    const name = video.split("/").pop();
    text(tr.children[0], name); tr.children[0].title = video;
    // Two videos of one name from different folders: each row says its folder too.
    for (const [other, otherRow] of Object.entries(rows)) {
      if (other.split("/").pop() === name) {
        text(otherRow.children[0], other.split("/").slice(-2).join("/"));
        text(tr.children[0], video.split("/").slice(-2).join("/"));
      }
    }
    $("videos").tBodies[0].append(tr); rows[video] = tr;
  }
  return rows[video];
}
function link(href, label, cls) {
  const li = document.createElement("li"), a = document.createElement("a");
  a.href = fileUrl(href); a.className = cls; text(a, label); a.target = "_blank";
  li.append(a); $("links").append(li);
}
function onEvent(e) {
  if (e.type === "progress") {
    const tr = row(e.video);
    text(tr.children[1], e.stage);
    // Work, not video frames: a mirror job measures each frame once per mirrored face more, and
    // a consensus once per track; a share says what a count of those would not.
    text(tr.children[2], e.frames_total > 0 ? Math.floor(100 * e.frames_done / e.frames_total) + "%" : "");
    text(tr.children[3], e.fps.toFixed(1));
    const left = e.batch_frames_total - e.batch_frames_done;
    text(tr.children[4], e.fps > 0 ? Math.round(left / e.fps) + " s" : "");
    const pct = e.batch_frames_total > 0 ? Math.floor(100 * e.batch_frames_done / e.batch_frames_total) : 0;
    $("overall-bar").style.width = pct + "%"; text($("overall-percent"), pct + "%");
    text($("overall-detail"), "of the batch's work");
  } else if (e.type === "outcome") {
    counts[e.outcome] = (counts[e.outcome] || 0) + 1;
    const tr = row(e.input || "(the batch)");
    text(tr.children[1], e.outcome);  // a video cancelled mid-way is "cancelled", not "failed"
    text(tr.children[4], "");  // no time left on a finished video
    tr.children[5].className = e.outcome;
    text(tr.children[5], e.outcome + (e.reason ? ": " + e.reason : ""));
    for (const l of (e.outcome === "done" && e.links) || [])
      link(l.path, l.label + ": " + e.input.split("/").pop(), l.label === "report" ? "report-link" : "output-link");
  } else if (e.type === "finished") {
    $("start").disabled = false; $("cancel").disabled = true;
    if (!e.cancelled && e.status === 0) { $("overall-bar").style.width = "100%"; text($("overall-percent"), "100%"); }
    if (e.index) link(e.index, "all reports (index.html)", "index-link");
    text($("summary-line"), "done " + (counts.done || 0) + ", skipped " + (counts.skipped || 0) +
         ", failed " + (counts.failed || 0) + (counts.cancelled ? ", cancelled " + counts.cancelled : "") +
         " in " + e.seconds.toFixed(1) + " s" + (e.cancelled ? " (cancelled)" : ""));
    $("summary").hidden = false;
  }
}
$("start").onclick = async () => {
  text($("message"), "");
  const body = {inputs, output: $("output").value.trim(),
                mode: document.querySelector("input[name=mode]:checked").value,
                rerun: document.querySelector("input[name=rerun]:checked").value,
                consensus: Number(document.querySelector("input[name=tracks]:checked").value)};
  if (body.mode === "mirror_only") body.consensus = 1;  // no AUs are measured
  let r, data;
  try {
    r = await fetch(api("/api/start"), {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    data = await r.json();
  } catch (e) { appStopped(); return; }
  if (!r.ok) { text($("message"), data.error); return; }
  follow(data.batch);
};
// A batch's events from its start (this page's, another tab's, or the last one's after a
// reload), asked for every 0.4 s until it ends: a stream held open would take one of the six
// connections a browser opens to the app, and six tabs would leave Cancel none.
let following = 0, shown = 0;  // the batch being followed (0: none), the last one shown
let followers = 0;  // a follow() started later ends the loop of an earlier one
function follow(number) {
  const mine = ++followers;
  rows = {}; counts = {}; $("videos").tBodies[0].replaceChildren(); $("links").replaceChildren();
  $("summary").hidden = true; $("start").disabled = true; $("cancel").disabled = false;
  $("overall-bar").style.width = "0%"; text($("overall-percent"), "0%");
  following = number;
  let next = 0;
  const poll = async () => {
    let reply;
    try { reply = await (await fetch(api("/api/events", {from: next}))).json(); }
    catch (e) { appStopped(); return; }
    if (mine !== followers) return;
    if (reply.batch !== following) { follow(reply.batch); return; }  // a newer batch began
    for (const e of reply.events) onEvent(e);
    next += reply.events.length;
    if (!reply.finished) { setTimeout(poll, 400); return; }
    $("start").disabled = false; $("cancel").disabled = true;
    shown = following; following = 0; watchForBatches();
  };
  poll();
}
// While no batch is followed: one another tab starts is followed here too.
async function watchForBatches() {
  while (!following) {
    let b;
    try { b = await (await fetch(api("/api/batch"))).json(); } catch (e) { appStopped(); return; }
    if (following) return;
    if (b.batch > 0 && b.batch !== shown) { follow(b.batch); return; }
    await new Promise(wake => setTimeout(wake, 2000));
  }
}
// The app's process is gone (Ctrl-C in its terminal): nothing on this page can work any more.
function appStopped() {
  following = 0;
  $("start").disabled = true; $("cancel").disabled = true;
  text($("message"), "The app has stopped. Start it again (facemirror app) and open the address it prints.");
}
$("cancel").onclick = () => fetch(api("/api/cancel"), {method: "POST"}).catch(appStopped);
let planVideo = "", standardTasks = [];
function planMessage(s, failed) { text($("plan-message"), s).className = failed ? "failed" : ""; }
function timeButton(input) {
  const b = text(document.createElement("button"), "now");
  b.title = "the video's current time";
  b.onclick = () => { input.value = Number($("plan-video").currentTime.toFixed(2)); };
  return b;
}
function planRow(row) {
  const tr = document.createElement("tr");
  const choice = document.createElement("select"), custom = document.createElement("input");
  const start = document.createElement("input"), end = document.createElement("input"), aus = document.createElement("input");
  const options = [["rest", "rest"]].concat(standardTasks.map(t => [t.name, t.label]), [["", "other\u2026"]]);
  for (const [value, label] of options) { const o = text(document.createElement("option"), label); o.value = value; choice.append(o); }
  custom.type = "text"; custom.className = "custom"; custom.placeholder = "task name";
  for (const box of [start, end]) { box.type = "number"; box.min = "0"; box.step = "0.01"; }
  aus.type = "text"; aus.className = "aus";
  const known = options.some(([value]) => value !== "" && value === row.task);
  choice.value = known ? row.task : ""; custom.value = known ? "" : row.task;
  start.value = row.start_s ?? ""; end.value = row.end_s ?? ""; aus.value = row.aus || "";
  const shown = () => {
    custom.hidden = choice.value !== "";
    const t = standardTasks.find(s => s.name === choice.value);
    aus.placeholder = t ? t.aus : choice.value === "rest" ? "" : "AU14 AU23";
    aus.disabled = choice.value === "rest";
  };
  choice.onchange = shown; shown();
  const remove = text(document.createElement("button"), "\u00d7"); remove.title = "remove this row";
  remove.onclick = () => tr.remove();
  const cell = (...parts) => { const td = document.createElement("td"); td.append(...parts); tr.append(td); };
  cell(choice, custom); cell(start, timeButton(start)); cell(end, timeButton(end)); cell(aus); cell(remove);
  $("plan-rows").tBodies[0].append(tr);
}
function planCsv() {
  const lines = ["task,start_s,end_s,aus"];
  for (const tr of $("plan-rows").tBodies[0].rows) {
    const [choice, custom] = tr.cells[0].children;
    const fields = [choice.value || custom.value.trim(), tr.cells[1].firstChild.value, tr.cells[2].firstChild.value,
                    tr.cells[3].firstChild.disabled ? "" : tr.cells[3].firstChild.value.trim()];
    if (fields.some(f => /[,\n\r]/.test(f))) throw new Error("row " + (lines.length) + ": no commas or line breaks in a field");
    lines.push(fields.join(","));
  }
  return lines.join("\n") + "\n";
}
async function openPlan(video) {
  const r = await fetch(api("/api/task_plan", {video}));
  const data = await r.json();
  if (!r.ok) { text($("message"), data.error); return; }
  planVideo = video; standardTasks = data.standard;
  text($("plan-video-name"), video.split("/").pop());
  text($("plan-where"), (data.exists ? "" : "new: ") + data.plan);
  $("plan-rows").tBodies[0].replaceChildren();
  for (const row of data.rows) planRow(row);
  planMessage(data.error ? data.error + " (saving replaces it)" : "", !!data.error);
  $("plan-video").src = fileUrl(video);
  $("plan-editor").hidden = false; $("plan-editor").scrollIntoView();
}
async function sendPlan(body, done) {
  const r = await fetch(api("/api/task_plan"), {method: "POST", headers: {"Content-Type": "application/json"},
                        body: JSON.stringify(Object.assign({video: planVideo}, body))});
  const data = await r.json();
  // The editor shows rows; the plan's file has its header first: its line N is row N - 1.
  if (!r.ok) { planMessage(data.error.replace(/\bline (\d+)/g, (m, n) => n > 1 ? "row " + (n - 1) + " (" + m + " of the file)" : m), true); return; }
  text($("plan-where"), $("plan-where").textContent.replace(/^new: /, ""));
  planMessage(done(data), false); browse(here);
}
$("plan-video").ontimeupdate = () => text($("plan-time"), $("plan-video").currentTime.toFixed(2));
// The browser plays MP4, WebM and Ogg; facemirror reads more (WMV, AVI, MOV with other codecs).
$("plan-video").onerror = () => { if ($("plan-video").getAttribute("src"))
  planMessage("The browser cannot play this video's format: type the times (seconds from its start).", true); };
// A new row: rest first, then the standard movements in the order of the protocol, each once.
$("plan-add").onclick = () => {
  const taken = [...$("plan-rows").tBodies[0].rows].map(tr => tr.cells[0].firstChild.value);
  const next = ["rest"].concat(standardTasks.map(t => t.name)).find(name => !taken.includes(name));
  planRow({task: next || ""});
};
$("plan-save").onclick = () => {
  let csv;
  try { csv = planCsv(); } catch (e) { planMessage(e.message, true); return; }
  sendPlan({csv}, d => "saved " + d.saved + " (" + d.rows.length + " rows)");
};
$("plan-remove").onclick = () => sendPlan({remove: true}, d => {
  $("plan-rows").tBodies[0].replaceChildren();
  return "removed " + d.removed + " (the next run takes its copy out of the output folder, unless edited there)"; });
$("plan-close").onclick = () => { $("plan-video").removeAttribute("src"); $("plan-editor").hidden = true; };
browse(here);
watchForBatches();  // the last batch, if any (a reload keeps its results), or the next one
</script></body></html>
)APP";

}  // namespace facemirror::cli
