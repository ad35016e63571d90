/* servingmath runner, worker half (a module Web Worker started by runner.js on the first
 * "编辑并运行"): loads Pyodide from the site's own copy (assets/pyodide/, copied from the pinned
 * npm package by hooks/pyodide_assets.py), unpacks servingmath.zip and runs blocks with
 * sm_session.run_json (hooks/pyodide_session.py). The page terminates this worker to stop a run.
 *
 * Messages in:  {id, blocks: [{code, label}], mode: "markdown" | "notebook"}, or {warm: true}
 * Messages out: {id, type: "status", stage: "loading" | "running"}
 *               {id, type: "result", result: {ok, html, error, failed, earlier, hint}, timings}
 *               {id, type: "fatal", error}   (Pyodide itself could not start) */
import { loadPyodide } from "../pyodide/pyodide.mjs";

const INDEX = new URL("../pyodide/", import.meta.url).href;
const ARCHIVE = new URL("../pyodide/servingmath.zip", import.meta.url).href;
const LIB = "/home/pyodide/lib";
const timings = {}; // ms: Pyodide started, servingmath.zip unpacked, imports (once per worker)

let ready = null;

function start() {
  if (!ready) {
    const attempt = (async () => {
      let t = performance.now();
      const py = await loadPyodide({ indexURL: INDEX, stdout: () => {}, stderr: () => {} });
      timings.pyodide = performance.now() - t;
      t = performance.now();
      const response = await fetch(ARCHIVE);
      if (!response.ok) throw new Error(`servingmath.zip: HTTP ${response.status}`);
      py.unpackArchive(await response.arrayBuffer(), "zip", { extractDir: LIB });
      py.runPython(`import sys\nsys.path.insert(0, ${JSON.stringify(LIB)})\nimport sm_session`);
      timings.archive = performance.now() - t;
      t = performance.now();
      const session = py.pyimport("sm_session");
      session.warm(); // servingmath and Markdown imported before the first block runs
      timings.imports = performance.now() - t;
      return session.run_json;
    })();
    ready = attempt.catch((e) => {
      ready = null; // a failed start is retried by the next run
      throw e;
    });
  }
  return ready;
}

// One run at a time, in arrival order (runPython blocks this thread anyway).
let queue = Promise.resolve();

self.onmessage = (event) => {
  const { id, blocks, mode, warm } = event.data;
  if (warm) { // the editor was opened: load Pyodide now, so that "运行" waits less
    queue = queue.then(() => start().catch(() => {}));
    return;
  }
  queue = queue.then(async () => {
    let runJson;
    try {
      self.postMessage({ id, type: "status", stage: "loading" });
      runJson = await start();
    } catch (e) {
      self.postMessage({ id, type: "fatal", error: String((e && e.stack) || e) });
      return;
    }
    self.postMessage({ id, type: "status", stage: "running" });
    try {
      const t = performance.now();
      const result = JSON.parse(runJson(JSON.stringify({ blocks, mode })));
      self.postMessage({ id, type: "result", result, timings: { ...timings, run: performance.now() - t } });
    } catch (e) {
      self.postMessage({ id, type: "fatal", error: String((e && e.message) || e) });
    }
  });
};
