"""
Berth's code interpreter: the HTTP API that E2B's @e2b/code-interpreter SDK
speaks to port 49999 of a sandbox (see docs/code-interpreter-protocol.md),
on Jupyter kernels from Debian's packages for Python and on a persistent
Node.js process for JavaScript.

  POST   /execute                {code, context_id?, language?, env_vars?}
         -> NDJSON stream: stdout, stderr, result, error, number_of_executions, end_of_execution
  POST   /contexts               {language?, cwd?} -> {id, language, cwd}
  GET    /contexts               -> [{id, language, cwd}]
  DELETE /contexts/<id>          -> 204
  POST   /contexts/<id>/restart  -> 204

Only Berth reaches this port (it authorizes each request and proxies it);
every execution in a context runs one at a time, in order.
"""

import json
import os
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("BERTH_CODE_INTERPRETER_PORT", "49999"))
DEFAULT_CWD = os.environ.get("BERTH_CODE_INTERPRETER_CWD", "/workspace")
JS_KERNEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js-kernel.mjs")

# Jupyter MIME types -> the names the SDK's Result reads; anything else passes under its MIME type.
MIME_NAMES = {
    "text/plain": "text",
    "text/html": "html",
    "text/markdown": "markdown",
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpeg",
    "application/pdf": "pdf",
    "text/latex": "latex",
    "application/json": "json",
    "application/javascript": "javascript",
}

LANGUAGES = {"python": "python", "py": "python", "python3": "python", "javascript": "javascript", "js": "javascript", "node": "javascript"}


def result_event(data, is_main):
    event = {"type": "result", "is_main_result": is_main}
    for mime, value in data.items():
        event[MIME_NAMES.get(mime, mime)] = value
    return event


class PythonKernel:
    """An IPython kernel (ipykernel) driven through jupyter_client."""

    def __init__(self, cwd):
        from jupyter_client.manager import KernelManager

        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=cwd)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def _run_quiet(self, code):
        msg_id = self.client.execute(code, silent=True, store_history=False)
        self._drain(msg_id, lambda _event: None)

    def _drain(self, msg_id, emit):
        while True:
            msg = self.client.get_iopub_msg(timeout=None)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                emit({"type": "stdout" if content["name"] == "stdout" else "stderr", "text": content["text"]})
            elif kind == "execute_input":
                emit({"type": "number_of_executions", "execution_count": content["execution_count"]})
            elif kind == "execute_result":
                emit(result_event(content["data"], True))
            elif kind == "display_data":
                emit(result_event(content["data"], False))
            elif kind == "error":
                emit({"type": "error", "name": content["ename"], "value": content["evalue"], "traceback": "\n".join(content["traceback"])})
            elif kind == "status" and content["execution_state"] == "idle":
                return

    def execute(self, code, env_vars, emit):
        restore = None
        if env_vars:
            names = json.dumps(list(env_vars))
            self._run_quiet(f"import os as __berth_os\n__berth_saved = {{k: __berth_os.environ.get(k) for k in {names}}}\n__berth_os.environ.update({json.dumps(env_vars)})")
            restore = "for __k, __v in __berth_saved.items():\n    __berth_os.environ.pop(__k, None) if __v is None else __berth_os.environ.__setitem__(__k, __v)"
        try:
            msg_id = self.client.execute(code, store_history=True, allow_stdin=False)
            self._drain(msg_id, emit)
        finally:
            if restore:
                self._run_quiet(restore)

    def interrupt(self):
        self.manager.interrupt_kernel()

    def restart(self):
        self.manager.restart_kernel(now=True)
        self.client.wait_for_ready(timeout=60)

    def shutdown(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


class JavaScriptKernel:
    """A Node.js process keeping one global scope (js-kernel.mjs), spoken to in JSON lines."""

    def __init__(self, cwd):
        self.cwd = cwd
        self._start()

    def _start(self):
        self.process = subprocess.Popen(["node", JS_KERNEL], cwd=self.cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def execute(self, code, env_vars, emit):
        self.process.stdin.write(json.dumps({"code": code, "env": env_vars or {}}) + "\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            event = json.loads(line)
            if event.get("type") == "idle":
                return
            emit(event)
        emit({"type": "error", "name": "KernelDied", "value": "the JavaScript kernel exited", "traceback": ""})
        self._start()

    def interrupt(self):
        self.restart()

    def restart(self):
        self.shutdown()
        self._start()

    def shutdown(self):
        self.process.kill()
        self.process.wait()


KERNELS = {"python": PythonKernel, "javascript": JavaScriptKernel}


class Context:
    def __init__(self, language, cwd):
        self.id = str(uuid.uuid4())
        self.language = language
        self.cwd = cwd
        self.lock = threading.Lock()
        self.kernel = KERNELS[language](cwd)

    def describe(self):
        return {"id": self.id, "language": self.language, "cwd": self.cwd}


contexts = {}
defaults = {}
registry_lock = threading.Lock()


def default_context(language):
    with registry_lock:
        context = defaults.get(language)
        if context is None or context.id not in contexts:
            context = Context(language, DEFAULT_CWD)
            contexts[context.id] = context
            defaults[language] = context
        return context


class Problem(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def language_of(name):
    language = LANGUAGES.get((name or "python").lower())
    if language is None:
        raise Problem(400, f"unsupported language {name!r}: this interpreter runs python and javascript")
    return language


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        length = int(self.headers.get("content-length") or 0)
        if length == 0:
            return {}
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            raise Problem(400, "the body is not JSON")
        if not isinstance(body, dict):
            raise Problem(400, "the body is not a JSON object")
        return body

    def _send(self, status, payload=None):
        data = b"" if payload is None else (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
        self.send_response(status)
        if payload is not None:
            self.send_header("content-type", "application/json" if not isinstance(payload, bytes) else "text/plain; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method):
        try:
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            if method == "GET" and parts == ["health"]:
                return self._send(204)
            if method == "POST" and parts == ["execute"]:
                return self._execute(self._body())
            if parts[:1] == ["contexts"]:
                return self._contexts(method, parts[1:])
            raise Problem(404, f"no route {method} {self.path}")
        except Problem as problem:
            self._send(problem.status, str(problem).encode())

    def _contexts(self, method, rest):
        if method == "GET" and not rest:
            with registry_lock:
                return self._send(200, [c.describe() for c in contexts.values()])
        if method == "POST" and not rest:
            body = self._body()
            context = Context(language_of(body.get("language")), body.get("cwd") or DEFAULT_CWD)
            with registry_lock:
                contexts[context.id] = context
            return self._send(200, context.describe())
        context = contexts.get(rest[0]) if rest else None
        if context is None:
            raise Problem(404, f"context {rest[0] if rest else ''} not found")
        if method == "DELETE" and len(rest) == 1:
            with registry_lock:
                contexts.pop(context.id, None)
            context.kernel.shutdown()
            return self._send(204)
        if method == "POST" and rest[1:] == ["restart"]:
            with context.lock:
                context.kernel.restart()
            return self._send(204)
        raise Problem(404, f"no route {method} {self.path}")

    def _execute(self, body):
        code = body.get("code")
        if not isinstance(code, str):
            raise Problem(400, "code is required")
        if body.get("context_id"):
            context = contexts.get(body["context_id"])
            if context is None:
                raise Problem(404, f"context {body['context_id']} not found")
        else:
            context = default_context(language_of(body.get("language")))
        env_vars = body.get("env_vars") or {}

        self.send_response(200)
        self.send_header("content-type", "application/x-ndjson")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        gone = threading.Event()

        def emit(event):
            if gone.is_set():
                return
            line = (json.dumps(event) + "\n").encode()
            try:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
            except OSError:
                # The caller left (its timeout, say): stop the code rather than run it for no one.
                gone.set()
                threading.Thread(target=context.kernel.interrupt, daemon=True).start()

        with context.lock:
            context.kernel.execute(code, env_vars, emit)
        emit({"type": "end_of_execution"})
        if not gone.is_set():
            try:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except OSError:
                pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")


if __name__ == "__main__":
    # The default Python context starts with the server, so the first runCode does not wait for a kernel.
    threading.Thread(target=default_context, args=("python",), daemon=True).start()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
