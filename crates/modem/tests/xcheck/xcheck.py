"""Independent SMS PDU codecs for crates/modem/tests/xcheck.rs.

Reads a JSON request on stdin, answers JSON on stdout:
- "decode_submits": our SMS-SUBMIT PDUs (hex), decoded by smspdudecoder
  (fields.SMSSubmit) and by python-gsmmodem-new (pdu.decodeSmsPdu);
- "encode_submits": SMS-SUBMIT PDUs made by python-gsmmodem-new's
  encodeSmsSubmitPdu, to compare byte for byte with ours;
- "delivers": SMS-DELIVER PDUs built here from python-gsmmodem-new's address and
  time stamp encoders, smspdudecoder's GSM/UCS-2 codecs and (for a concatenated
  part) python-messaging's TP-UD, then decoded by all three libraries;
- "reports": SMS-STATUS-REPORT PDUs built the same way, decoded by
  python-gsmmodem-new and python-messaging;
- "published": well-known PDUs, decoded by the same libraries.

Each decoder's failure is reported as {"error": "..."} rather than raised, so the
Rust side can tell a library's limitation from a disagreement.

Packages (pinned in scripts/install-deps): smspdudecoder 2.2.0,
python-gsmmodem-new 0.13.0, python-messaging 0.5.13.
"""

import json
import sys
from datetime import datetime, timedelta, timezone
from io import StringIO

from gsmmodem import pdu as gm
from messaging.sms import SmsDeliver, SmsSubmit
from smspdudecoder.codecs import GSM, UCS2
from smspdudecoder.fields import SMSDeliver, SMSSubmit


def guarded(f):
    try:
        return f()
    except Exception as e:  # a library limitation, reported to the Rust side
        return {"error": "%s: %s" % (type(e).__name__, e)}


def ms(dt):
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def sd_udh(header):
    if not header:
        return None
    out = []
    for e in header["elements"]:
        d = e["data"]
        if isinstance(d, dict):
            d = [d["reference"], d["parts_count"], d["part_number"]]
        out.append([e["iei"], d])
    return out


def gm_udh(g):
    return [[ie.id, list(ie.data)] for ie in g.get("udh", [])] or None


def decode_submit(pdu):
    def sd():
        s = SMSSubmit.decode(StringIO(pdu))
        return {
            "number": s["recipient"]["number"],
            "ton": s["recipient"]["toa"]["ton"],
            "srr": s["header"]["srr"],
            "rd": s["header"]["rd"],
            "udhi": s["header"]["udhi"],
            "vp": s.get("vp"),
            "encoding": s["dcs"]["encoding"],
            "text": s["user_data"]["data"],
            "udh": sd_udh(s["user_data"]["header"]),
        }

    def g():
        d = gm.decodeSmsPdu(pdu)
        v = d.get("validity")
        return {
            "number": d["number"],
            "text": d["text"],
            "validity_s": int(v.total_seconds()) if v is not None else None,
            "tpdu_length": d["tpdu_length"],
            "reference": d["reference"],
            "udh": gm_udh(d),
        }

    return {"sd": guarded(sd), "gm": guarded(g)}


def encode_submit(spec):
    validity = timedelta(seconds=spec["validity_s"]) if spec.get("validity_s") else None
    pdus = gm.encodeSmsSubmitPdu(spec["to"], spec["text"], validity=validity, requestStatusReport=spec["srr"])
    return [{"pdu": str(p), "tpdu_len": p.tpduLength} for p in pdus]


def tz(quarters):
    return timezone(timedelta(minutes=15 * quarters))


def stamp(t):
    y, mo, d, h, mi, s, q = t
    return gm._encodeTimestamp(datetime(y, mo, d, h, mi, s, tzinfo=tz(q)))


def messaging_tp_ud(text, ref, part):
    """TP-UDL and TP-UD of one part of python-messaging's split (TS 23.040 §9.2.2.2)."""
    sms = SmsSubmit("+4912345678", text)
    sms.rand_id = ref
    b = bytes.fromhex(sms.to_pdu()[part].pdu)
    pos = 1 + b[0]
    first = b[pos]
    pos += 2
    pos += 2 + (b[pos] + 1) // 2
    pos += 2
    pos += {0: 0, 2: 1}.get((first >> 3) & 3, 7)
    return b[pos:]


def build_deliver(spec):
    out = bytearray(gm._encodeAddressField(spec["smsc"], smscField=True))
    long_part = spec.get("part")
    out.append(0x04 | (0x40 if long_part is not None else 0))
    out.extend(gm._encodeAddressField(spec["from"]))
    out.append(0)
    out.append(0x08 if spec["ucs2"] else 0x00)
    out.extend(stamp(spec["scts"]))
    if long_part is not None:
        out.extend(messaging_tp_ud(spec["text"], spec["ref"], long_part))
    elif spec["ucs2"]:
        ud = bytes.fromhex(UCS2.encode(spec["text"]))
        out.append(len(ud))
        out.extend(ud)
    else:
        out.append(len(gm.encodeGsm7(spec["text"])))
        out.extend(bytes.fromhex(GSM.encode(spec["text"])))
    return out.hex().upper()


def decode_deliver(pdu):
    def sd():
        s = SMSDeliver.decode(StringIO(pdu))
        return {
            "sender": s["sender"]["number"],
            "ton": s["sender"]["toa"]["ton"],
            "text": s["user_data"]["data"],
            "scts_ms": ms(s["scts"]),
            "udh": sd_udh(s["user_data"]["header"]),
        }

    def g():
        d = gm.decodeSmsPdu(pdu)
        return {"number": d["number"], "text": d["text"], "time_ms": ms(d["time"]), "tpdu_length": d["tpdu_length"]}

    def pm():
        m = SmsDeliver(pdu)
        return {"number": m.number, "text": m.text, "date_ms": ms(m.date), "smsc": m.csca}

    return {"pdu": pdu, "sd": guarded(sd), "gm": guarded(g), "pm": guarded(pm)}


def build_report(spec):
    out = bytearray(gm._encodeAddressField(spec["smsc"], smscField=True)) if spec["smsc"] else bytearray([0])
    out.append(0x06)  # TP-MTI 10, TP-MMS set
    out.append(spec["mr"])
    out.extend(gm._encodeAddressField(spec["recipient"]))
    out.extend(stamp(spec["scts"]))
    out.extend(stamp(spec["dt"]))
    out.append(spec["status"])
    return out.hex().upper()


def decode_report(pdu):
    def g():
        d = gm.decodeSmsPdu(pdu)
        return {
            "mr": d["reference"],
            "number": d["number"],
            "time_ms": ms(d["time"]),
            "discharge_ms": ms(d["discharge"]),
            "status": d["status"],
        }

    def pm():
        m = SmsDeliver(pdu)
        return {"recipient": m.sr["recipient"], "status": m.sr["status"]}

    return {"pdu": pdu, "gm": guarded(g), "pm": guarded(pm)}


def main():
    request = json.load(sys.stdin)
    answer = {
        "decode_submits": [decode_submit(p) for p in request["decode_submits"]],
        "encode_submits": [encode_submit(s) for s in request["encode_submits"]],
        "delivers": [decode_deliver(build_deliver(s)) for s in request["delivers"]],
        "reports": [decode_report(build_report(s)) for s in request["reports"]],
        "published": [decode_deliver(p) for p in request["published"]],
    }
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
