"""``portal serve``: build, serve the site on 127.0.0.1, rebuild when content or theme change, reload pages.

Live reload without a websocket: every HTML response gets a small script appended that polls
``/__portal_reload`` (a counter of builds) once a second and reloads the page when it changes. The script is
only added by this server, never written to the built site. A failed rebuild (invalid content, broken
template) keeps serving the previous site and reports the problems through ``log``.

The preview is built into a folder of its own, :func:`preview_dir` (in the build cache), never into the
output of ``portal build``: its pages, sitemap, canonical links and catalogues point at 127.0.0.1, and the
published site must never get them.
"""

from __future__ import annotations

import http.server
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from . import report
from .build import Builder, describe
from .cache import cache_dir
from .errors import ContentError, PortalError
from .export import redirects
from .i18n import LOCALE_DIR
from .themes import default_theme

RELOAD_PATH = "/__portal_reload"
RELOAD_SCRIPT = (
    "<script>(function(){var v=null;setInterval(function(){fetch('" + RELOAD_PATH + "').then(function(r){"
    "return r.text()}).then(function(t){if(v!==null&&t!==v){location.reload()}v=t}).catch(function(){})},1000)})();"
    "</script>"
)


class _State:
    def __init__(self) -> None:
        self.generation = 0
        self.lock = threading.Lock()


def _rebuild(builder: Builder, state: _State, log: Callable[[str], None], changed: set[str] | None = None) -> None:
    try:
        result = builder.build(changed=changed)
    except ContentError as exc:
        log(report.render(exc.problems, "text", getattr(exc, "checked", 0)))
        return
    except PortalError as exc:
        log(f"portal: {exc}")
        return
    with state.lock:
        state.generation += 1
    log(describe(result))


def _handler(output: Path, state: _State) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(output), **kwargs)

        def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path == RELOAD_PATH:
                self._send(200, str(state.generation).encode(), "text/plain")
                return
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                if not self.path.split("?", 1)[0].endswith("/"):
                    super().do_GET()  # the base class redirects to the folder URL
                    return
                path = path / "index.html"
            if path.suffix == ".html" and path.is_file():
                body = path.read_bytes().replace(b"</body>", RELOAD_SCRIPT.encode() + b"</body>")
                self._send(200, body, "text/html; charset=utf-8")
            elif path.exists():
                super().do_GET()
            elif target := redirects.lookup(output, self.path.split("?", 1)[0]):
                self.send_response(redirects.STATUS)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                missing = output / "404.html"
                body = missing.read_bytes() if missing.is_file() else b"not found"
                self._send(
                    404, body.replace(b"</body>", RELOAD_SCRIPT.encode() + b"</body>"), "text/html; charset=utf-8"
                )

        def _send(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return Handler


def preview_dir(content_dir: Path) -> Path:
    """Where ``portal serve`` builds: ``.portal-cache/serve/`` beside the content folder."""
    return cache_dir(content_dir) / "serve"


def serve(
    content_dir: Path, output: Path | None = None, port: int = 8000, log: Callable[[str], None] = lambda _: None
) -> None:
    """Serve until interrupted. The site is built for ``http://127.0.0.1:<port>/`` so every link works.

    ``output`` is for benchmarks and tests; ``portal serve`` always builds into :func:`preview_dir`.
    """
    content_dir = Path(content_dir)
    output = preview_dir(content_dir) if output is None else Path(output)
    state = _State()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _handler(output.absolute(), state))
    base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    # one builder for the session: its caches stay in memory between rebuilds; the search index of a rebuild
    # is updated in the background, after the pages are in place
    builder = Builder(content_dir, output, base_url=base_url, warm=True)
    # the watcher starts before the first build, so that an edit made while it runs is not lost
    changes: queue.Queue[set[str]] = queue.Queue()
    stop = threading.Event()
    watched = [p for p in (content_dir, default_theme(), LOCALE_DIR) if p.exists()]
    watcher = threading.Thread(target=_watch, args=(watched, changes, stop), daemon=True)
    watcher.start()
    _rebuild(builder, state, log)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    log(f"serving {output} on {base_url} (Ctrl+C to stop)")
    try:
        while True:
            try:
                changed = changes.get(timeout=0.5)  # a timeout keeps Ctrl+C working
            except queue.Empty:
                continue
            while not changes.empty():  # several batches waited for the last rebuild: one rebuild for all
                changed |= changes.get()
            # the changed paths: an edit of a dataset is applied to the last build alone (generator.quick)
            _rebuild(builder, state, log, changed)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def _watch(folders: list[Path], changes: queue.Queue, stop: threading.Event) -> None:
    import watchfiles  # imported here: only serve needs it

    for batch in watchfiles.watch(*folders, debounce=300, stop_event=stop):
        changes.put({path for _, path in batch})
