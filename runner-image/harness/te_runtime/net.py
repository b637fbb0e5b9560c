"""The skill's one door to the network: requests go to the service's broker, which checks them
against the origins an admin approved and makes them (PROTOCOL.md, "net").

The container has no network and sockets are refused, so this module does not open any: it writes
each request as one JSON line to a pipe to the harness's watcher, which relays it to the service,
and reads the broker's answer as one line from a second pipe. Skills import it as `net`:

    import net
    r = net.get("https://api.example.com/v1/items", headers={"Accept": "application/json"})
    r.status, r.headers["content-type"], r.json()
"""
import base64
import json
import threading

__all__ = ['NetError', 'RefusedError', 'BudgetExceeded', 'RequestTimeout', 'ConnectionFailed', 'InvalidRequest',
           'Response', 'request', 'get', 'post']

class NetError(Exception):
    """Any request the broker did not complete; the message says why."""


class RefusedError(NetError):
    """The broker refused the request: an origin not approved, a refused address, a redirect elsewhere."""


class BudgetExceeded(NetError):
    """The run spent its network budget (requests or bytes)."""


class RequestTimeout(NetError):
    """The request took longer than its timeout."""


class ConnectionFailed(NetError):
    """The broker could not reach the server (DNS, connection, TLS)."""


class InvalidRequest(NetError, ValueError):
    """The request itself is wrong: a method, URL or header the broker does not send."""


_ERRORS = {'refused': RefusedError, 'budget': BudgetExceeded, 'timeout': RequestTimeout,
           'connection': ConnectionFailed, 'invalid': InvalidRequest}


class Response:
    """What the server answered: `status`, `headers` (lower-case names), `body` (bytes)."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def text(self, encoding='utf-8'):
        return self.body.decode(encoding, errors='replace')

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f'<net.Response {self.status}, {len(self.body)} bytes>'


class _Channel:
    """The two pipes to the watcher; set once, before the skill's code loads."""

    def __init__(self, out_fd, reader, write):
        self.out_fd, self.reader, self.write = out_fd, reader, write
        self.lock = threading.Lock()
        self.next_id = 0

    def exchange(self, message):
        with self.lock:
            self.next_id += 1
            message['id'] = self.next_id
            frame = json.dumps(message, ensure_ascii=True, separators=(',', ':')).encode('ascii')
            self.write(self.out_fd, frame + b'\n')
            line = self.reader.readline()
        if not line:
            raise ConnectionFailed('the service closed the channel to the broker')
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict) or reply.get('id') != message['id']:
            raise ConnectionFailed('the broker answered another request')
        return reply


_channel = None


def _connect(out_fd, reader, write):
    """Called by the harness in the skill's process, before the skill's code loads."""
    global _channel
    _channel = _Channel(out_fd, reader, write)


def _body_bytes(body, headers):
    if body is None or isinstance(body, (bytes, bytearray)):
        return body
    if isinstance(body, str):
        return body.encode('utf-8')
    if isinstance(body, (dict, list)):
        if not any(name.lower() == 'content-type' for name in headers):
            headers['Content-Type'] = 'application/json'
        return json.dumps(body).encode('utf-8')
    raise InvalidRequest(f'body must be bytes, str, dict or list, not {type(body).__name__}')


def request(method, url, headers=None, body=None, timeout=None):
    """Sends one request through the broker and returns its Response; raises a NetError subclass
    when the broker refuses it, the budget is spent, it times out or the server cannot be reached.
    Redirects are followed, each hop checked. `timeout` is in seconds."""
    if not isinstance(method, str) or not isinstance(url, str):
        raise InvalidRequest('method and url must be strings')
    headers = dict(headers or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise InvalidRequest('header names and values must be strings')
    data = _body_bytes(body, headers)
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise InvalidRequest('timeout must be a positive number of seconds')
    if _channel is None:
        raise ConnectionFailed('no broker is attached to this process')
    message = {'method': method, 'url': url, 'headers': headers}
    if data is not None:
        message['body'] = base64.b64encode(bytes(data)).decode('ascii')
    if timeout is not None:
        message['timeout_ms'] = max(1, int(timeout * 1000))
    reply = _channel.exchange(message)
    if not reply.get('ok'):
        error = reply.get('error') or {}
        raise _ERRORS.get(error.get('kind'), NetError)(error.get('message', 'the broker refused the request'))
    return Response(reply['status'], reply['headers'], base64.b64decode(reply['body']))


def get(url, **kw):
    return request('GET', url, **kw)


def post(url, body=None, **kw):
    return request('POST', url, body=body, **kw)
