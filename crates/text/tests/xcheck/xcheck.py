"""Independent encoders for crates/text/tests/xcheck.rs.

Reads a JSON request on stdin, answers JSON on stdout:
- "gsm": texts split by python-messaging (SmsSubmit.to_pdu); for each PDU, the
  TP-UDL and the TP-UD (UDH and packed septets) in hex;
- "ucs2": texts split by smsutil; for each part, its UTF-16BE octets in hex;
- "tables": for every national language identifier 0-13, what gsmcodecs decodes
  each locking shift code (alone) and each single shift code (after 0x1B) to.

Packages (pinned in scripts/install-deps): python-messaging 0.5.13, smsutil 1.1.3,
gsmcodecs 1.0.0.
"""

import codecs
import json
import sys

import gsmcodecs  # noqa: F401  (registers the gsm23.038-L-S codecs)
import smsutil
from messaging.sms import SmsSubmit


def tp_user_data(pdu_hex):
    """(TP-UDL, TP-UD) of an SMS-SUBMIT PDU with an SMSC address prefix (TS 23.040 §9.2.2.2)."""
    b = bytes.fromhex(pdu_hex)
    pos = 1 + b[0]  # SMSC address
    first = b[pos]
    pos += 2  # first octet, TP-MR
    digits = b[pos]
    pos += 2 + (digits + 1) // 2  # TP-DA length, type, digits
    pos += 2  # TP-PID, TP-DCS
    pos += {0: 0, 2: 1}.get((first >> 3) & 3, 7)  # TP-VP
    return b[pos], b[pos + 1:]


def gsm_parts(text, ref):
    sms = SmsSubmit("+4912345678", text)
    sms.rand_id = ref
    out = []
    for pdu in sms.to_pdu():
        udl, ud = tp_user_data(pdu.pdu)
        out.append({"udl": udl, "ud": ud.hex()})
    return out


def ucs2_parts(text):
    result = smsutil.split(text)
    assert result.encoding == "utf_16_be", result.encoding
    return [part.content.encode("utf-16-be").hex() for part in result.parts]


def decoded(codec, data):
    try:
        text = codecs.decode(data, codec)
    except UnicodeDecodeError:
        return None
    return ord(text) if len(text) == 1 else None


def tables():
    out = {"locking": {}, "single": {}}
    for lang in range(14):
        if lang != 2:  # Spanish has no locking shift table
            name = "gsm23.038-%d-0" % lang
            out["locking"][lang] = [None if c == 0x1B else decoded(name, bytes([c])) for c in range(128)]
        name = "gsm23.038-0-%d" % lang
        out["single"][lang] = [None if c == 0x1B else decoded(name, bytes([0x1B, c])) for c in range(128)]
    return out


def main():
    request = json.load(sys.stdin)
    answer = {
        "gsm": [gsm_parts(v["text"], v["ref"]) for v in request["gsm"]],
        "ucs2": [ucs2_parts(t) for t in request["ucs2"]],
        "tables": tables() if request.get("tables") else None,
    }
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
