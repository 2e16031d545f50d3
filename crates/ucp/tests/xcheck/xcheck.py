"""Independent UCP/EMI codec for crates/ucp/tests/xcheck.rs: the PyPI package
`ucp` 1.0.0 (pinned in scripts/install-deps).

Reads a JSON request on stdin, answers JSON on stdout:
- "build": frames the package builds, each from {"op": ..., "args": {...}}:
  "login" (Request6x, OT 60), "submit" (Request5x), "alert" (Request31) and
  "response" (Response); each answer is the frame, STX and ETX included;
- "parse": frames (ours) the package parses with its dispatcher; each answer is
  the fields it read, values as strings;
- "bits7": names packed by its alphanumeric-OAdC encoder (encode_bits7);
- "gsm": its IRA-hex character table, char -> octets as hex (encode_ira).
"""

import json
import sys

import ucp
from ucp import utils

BUILDERS = {
    "login": lambda a: ucp.Request6x(60, **a),
    "submit": lambda a: ucp.Request5x(a.pop("ot"), **a),
    "alert": lambda a: ucp.Request31(**a),
    "response": lambda a: ucp.Response(**a),
}


def fields(message):
    return {k: str(v) for k, v in message.fields().items()}


def main():
    request = json.load(sys.stdin)
    answer = {
        "build": [str(BUILDERS[b["op"]](dict(b["args"]))) for b in request.get("build", [])],
        "parse": [fields(ucp.dispatcher(frame)) for frame in request.get("parse", [])],
        "bits7": [utils.encode_bits7(name) for name in request.get("bits7", [])],
    }
    if request.get("gsm"):
        answer["gsm"] = {ch: utils.encode_hex(code) for ch, code in utils.encode_base.items()}
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
