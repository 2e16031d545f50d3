#!/usr/bin/env node
'use strict';
// Small SMSC test peer for smsgw end-to-end tests, built on the third-party
// `smpp` npm package (node-smpp). One JSON object per stdout line; see README.md.

const smpp = require('smpp');
const readline = require('readline');

// ---------------------------------------------------------------- arguments
function usage(msg) {
  if (msg) process.stderr.write('server.js: ' + msg + '\n');
  process.stderr.write(
    'usage: node server.js --port PORT [--host 127.0.0.1] [--system-id ID --password PW]\n' +
    '       [--receipts] [--receipts-only-requested] [--receipt-delay-ms N]\n' +
    '       [--throttle-percent P] [--no-stdin]\n');
  process.exit(2);
}

const opts = {
  port: null,
  host: '127.0.0.1',
  systemId: null,
  password: null,
  receipts: false,
  receiptsOnlyRequested: false,
  receiptDelayMs: 0,
  throttlePercent: 0,
  stdin: true,
};
{
  const argv = process.argv.slice(2);
  const val = (i) => {
    if (i + 1 >= argv.length) usage('missing value for ' + argv[i]);
    return argv[i + 1];
  };
  const int = (s, name) => {
    if (!/^\d+$/.test(s)) usage('bad integer for ' + name + ': ' + s);
    return parseInt(s, 10);
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--port': opts.port = int(val(i), '--port'); i++; break;
      case '--host': opts.host = val(i); i++; break;
      case '--system-id': opts.systemId = val(i); i++; break;
      case '--password': opts.password = val(i); i++; break;
      case '--receipts': opts.receipts = true; break;
      case '--receipts-only-requested': opts.receipts = true; opts.receiptsOnlyRequested = true; break;
      case '--receipt-delay-ms': opts.receiptDelayMs = int(val(i), '--receipt-delay-ms'); i++; break;
      case '--throttle-percent': opts.throttlePercent = int(val(i), '--throttle-percent'); i++; break;
      case '--no-stdin': opts.stdin = false; break;
      case '-h': case '--help': usage(); break;
      default: usage('unknown argument ' + argv[i]);
    }
  }
  if (opts.port === null) usage('--port is required (0 = pick a free port)');
  if (opts.throttlePercent > 100) usage('--throttle-percent must be 0..100');
  if ((opts.systemId === null) !== (opts.password === null)) usage('--system-id and --password go together');
}

// Keep short_message / message_payload as raw bytes on receipt (the library would
// otherwise decode them to JS strings); outgoing PDUs are built from Buffers too.
for (const cmd of ['submit_sm', 'deliver_sm', 'data_sm', 'submit_multi', 'replace_sm']) {
  const p = smpp.commands[cmd] && smpp.commands[cmd].params;
  if (p && p.short_message) delete p.short_message.filter;
}
delete smpp.tlvs.message_payload.filter;

// ---------------------------------------------------------------- output
function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}
function logErr(msg) {
  process.stderr.write('server.js: ' + msg + '\n');
}

// ---------------------------------------------------------------- state
let nextMessageId = 1;
let submitCount = 0;          // submits that reached the throttle decision
const pendingReceipts = new Map(); // system_id -> [deliver_sm options] waiting for an rx/trx bind
const timers = new Set();
let rrCounter = 0;

function canReceive(session) {
  return session.bound && (session.bindType === 'bind_receiver' || session.bindType === 'bind_transceiver');
}
function canTransmit(session) {
  return session.bound && (session.bindType === 'bind_transmitter' || session.bindType === 'bind_transceiver');
}
function receiversFor(systemId) {
  return server.sessions.filter((s) => canReceive(s) && s.systemId === systemId && s.socket.writable);
}

// Deterministic throttling: exactly floor(n*P/100) of the first n submits are throttled,
// spread evenly (P=50 -> every 2nd, P=100 -> all).
function shouldThrottle() {
  const n = submitCount++;
  const p = opts.throttlePercent;
  return Math.floor((n + 1) * p / 100) > Math.floor(n * p / 100);
}

function pad2(n) { return (n < 10 ? '0' : '') + n; }
function smppDate(d) { // YYMMDDhhmm, UTC
  return pad2(d.getUTCFullYear() % 100) + pad2(d.getUTCMonth() + 1) + pad2(d.getUTCDate()) +
    pad2(d.getUTCHours()) + pad2(d.getUTCMinutes());
}

function decodeText(buf, dataCoding, esmClass) {
  if (!Buffer.isBuffer(buf)) return '';
  if ((esmClass & 0x40) && buf.length > 0) buf = buf.slice(Math.min(buf.length, buf[0] + 1)); // strip UDH
  const dc = dataCoding & 0x0f;
  if (dataCoding === 8 || dc === 8) {
    const b = Buffer.from(buf.slice(0, buf.length - (buf.length % 2)));
    b.swap16();
    return b.toString('utf16le');
  }
  return buf.toString('latin1');
}

function sendDeliver(session, pduOpts, kind, extra) {
  const pdu = new smpp.PDU('deliver_sm', pduOpts);
  const ok = session.send(pdu, (resp) => {
    emit(Object.assign({ event: kind + '_resp', system_id: session.systemId, seq: resp.sequence_number,
      status: resp.command_status, t: Date.now() }, extra));
  });
  if (ok) {
    emit(Object.assign({ event: kind, system_id: session.systemId, seq: pdu.sequence_number,
      source_addr: pduOpts.source_addr, destination_addr: pduOpts.destination_addr,
      data_coding: pduOpts.data_coding, esm_class: pduOpts.esm_class,
      short_message_hex: pduOpts.short_message.toString('hex'), t: Date.now() }, extra));
  }
  return ok;
}

function deliverReceipt(systemId, pduOpts, messageId) {
  const rx = receiversFor(systemId);
  if (rx.length === 0) {
    // No receiver bound right now: keep it and deliver on the next rx/trx bind.
    if (!pendingReceipts.has(systemId)) pendingReceipts.set(systemId, []);
    pendingReceipts.get(systemId).push({ pduOpts, messageId });
    emit({ event: 'receipt_queued', system_id: systemId, message_id: messageId, t: Date.now() });
    return;
  }
  const session = rx[rrCounter++ % rx.length];
  sendDeliver(session, pduOpts, 'receipt', { message_id: messageId });
}

function flushPending(session) {
  const q = pendingReceipts.get(session.systemId);
  if (!q || q.length === 0) return;
  pendingReceipts.delete(session.systemId);
  for (const item of q) sendDeliver(session, item.pduOpts, 'receipt', { message_id: item.messageId });
}

function scheduleReceipt(systemId, submit, messageId, submitDate) {
  let payload = submit.short_message;
  if ((!payload || payload.length === 0) && Buffer.isBuffer(submit.message_payload)) payload = submit.message_payload;
  const text = decodeText(payload, submit.data_coding, submit.esm_class)
    .slice(0, 20).replace(/[^\x20-\x7e]/g, '?');
  const fire = () => {
    const done = new Date();
    const body = 'id:' + messageId + ' sub:001 dlvrd:001 submit date:' + smppDate(submitDate) +
      ' done date:' + smppDate(done) + ' stat:DELIVRD err:000 text:' + text;
    const pduOpts = {
      service_type: '',
      source_addr_ton: submit.dest_addr_ton || 0,
      source_addr_npi: submit.dest_addr_npi || 0,
      source_addr: submit.destination_addr || '',
      dest_addr_ton: submit.source_addr_ton || 0,
      dest_addr_npi: submit.source_addr_npi || 0,
      destination_addr: submit.source_addr || '',
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from(body, 'latin1'),
      receipted_message_id: messageId,
      message_state: 2,
    };
    deliverReceipt(systemId, pduOpts, messageId);
  };
  if (opts.receiptDelayMs > 0) {
    const t = setTimeout(() => { timers.delete(t); fire(); }, opts.receiptDelayMs);
    timers.add(t);
  } else {
    setImmediate(fire);
  }
}

// ---------------------------------------------------------------- MO via stdin
function handleStdinLine(line) {
  line = line.trim();
  if (!line) return;
  let msg;
  try { msg = JSON.parse(line); } catch (e) {
    emit({ event: 'error', error: 'bad stdin json: ' + e.message });
    return;
  }
  if (!msg || typeof msg.mo !== 'object' || msg.mo === null) {
    emit({ event: 'error', error: 'stdin line without "mo" object' });
    return;
  }
  const mo = msg.mo;
  const dc = Number.isInteger(mo.data_coding) ? mo.data_coding : 0;
  let sm;
  if (typeof mo.short_message_hex === 'string') {
    sm = Buffer.from(mo.short_message_hex, 'hex');
  } else {
    const text = String(mo.text == null ? '' : mo.text);
    if (dc === 8) {
      const le = Buffer.from(text, 'utf16le');
      sm = Buffer.from(le); sm.swap16();
    } else if (dc === 3) {
      sm = Buffer.from(text, 'latin1');
    } else {
      sm = Buffer.from(text, 'utf8'); // as given (plain ASCII for GSM default text)
    }
  }
  if (sm.length > 254) {
    emit({ event: 'error', error: 'mo short_message longer than 254 octets' });
    return;
  }
  const pduOpts = {
    service_type: '',
    source_addr_ton: mo.source_addr_ton || 0,
    source_addr_npi: mo.source_addr_npi || 0,
    source_addr: String(mo.from || ''),
    dest_addr_ton: mo.dest_addr_ton || 0,
    dest_addr_npi: mo.dest_addr_npi || 0,
    destination_addr: String(mo.to || ''),
    esm_class: mo.esm_class || 0,
    data_coding: dc,
    short_message: sm,
  };
  let rx = server.sessions.filter((s) => canReceive(s) && s.socket.writable);
  if (typeof mo.system_id === 'string') rx = rx.filter((s) => s.systemId === mo.system_id);
  if (rx.length === 0) {
    emit({ event: 'error', error: 'no receiver/transceiver bound for mo' });
    return;
  }
  sendDeliver(rx[rrCounter++ % rx.length], pduOpts, 'mo', {});
}

// ---------------------------------------------------------------- server
const BIND_COMMANDS = ['bind_transmitter', 'bind_receiver', 'bind_transceiver'];

const server = smpp.createServer((session) => {
  session.bound = false;
  session.bindType = null;
  session.systemId = null;

  session.on('error', (e) => logErr('session error: ' + e.message));
  session.on('close', () => {
    if (session.bound) emit({ event: 'disconnect', system_id: session.systemId, t: Date.now() });
    session.bound = false;
  });

  for (const cmd of BIND_COMMANDS) {
    session.on(cmd, (pdu) => {
      if (session.bound) {
        session.send(pdu.response({ command_status: smpp.ESME_RALYBND }));
        return;
      }
      let status = 0;
      if (opts.systemId !== null &&
          (pdu.system_id !== opts.systemId || pdu.password !== opts.password)) {
        status = smpp.ESME_RBINDFAIL;
      }
      emit({ event: 'bind', command: cmd, system_id: pdu.system_id, seq: pdu.sequence_number,
        interface_version: pdu.interface_version, status, t: Date.now() });
      if (status) {
        session.send(pdu.response({ command_status: status }));
        return;
      }
      session.bound = true;
      session.bindType = cmd;
      session.systemId = pdu.system_id;
      session.send(pdu.response({ system_id: 'node-smpp' }), () => {
        if (canReceive(session)) flushPending(session);
      });
    });
  }

  session.on('enquire_link', (pdu) => session.send(pdu.response()));

  session.on('unbind', (pdu) => {
    emit({ event: 'unbind', system_id: session.systemId, t: Date.now() });
    session.bound = false;
    session.send(pdu.response(), () => session.close());
  });

  session.on('submit_sm', (pdu) => {
    const submitDate = new Date();
    let status = 0;
    let messageId = '';
    if (!canTransmit(session)) {
      status = smpp.ESME_RINVBNDSTS;
    } else if (shouldThrottle()) {
      status = smpp.ESME_RTHROTTLED;
    } else {
      messageId = String(nextMessageId++);
    }
    const sm = Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0);
    const ev = {
      event: 'submit', system_id: session.systemId, seq: pdu.sequence_number,
      source_addr: pdu.source_addr, destination_addr: pdu.destination_addr,
      data_coding: pdu.data_coding, esm_class: pdu.esm_class,
      short_message_hex: sm.toString('hex'),
      registered_delivery: pdu.registered_delivery, message_id: messageId, status,
      t: submitDate.getTime(),
    };
    if (Buffer.isBuffer(pdu.message_payload)) ev.message_payload_hex = pdu.message_payload.toString('hex');
    emit(ev);
    session.send(status ? pdu.response({ command_status: status }) : pdu.response({ message_id: messageId }));
    if (status === 0 && opts.receipts &&
        (!opts.receiptsOnlyRequested || (pdu.registered_delivery & 0x03) !== 0)) {
      scheduleReceipt(session.systemId, pdu, messageId, submitDate);
    }
  });

  // Anything else an ESME might send: answer so the client never hangs.
  session.on('pdu', (pdu) => {
    if (pdu.isResponse()) return;
    const handled = BIND_COMMANDS.concat(['enquire_link', 'unbind', 'submit_sm']);
    if (handled.indexOf(pdu.command) >= 0) return;
    emit({ event: 'other', command: pdu.command, command_id: pdu.command_id, seq: pdu.sequence_number, t: Date.now() });
    if (pdu.command === 'unknown') {
      session.send(pdu.response()); // generic_nack ESME_RINVCMDID
    } else {
      session.send(pdu.response({ command_status: smpp.ESME_RINVCMDID }));
    }
  });
});

server.on('error', (e) => {
  logErr('server error: ' + e.message);
  process.exit(1);
});

// ---------------------------------------------------------------- shutdown
let shuttingDown = false;
function shutdown(reason) {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const t of timers) clearTimeout(t);
  timers.clear();
  emit({ event: 'shutdown', reason, t: Date.now() });
  for (const s of server.sessions.slice()) {
    try { s.destroy(); } catch (e) { /* ignore */ }
  }
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.stdout.on('error', () => process.exit(0)); // EPIPE: reader went away

server.listen(opts.port, opts.host, () => {
  const addr = server.address();
  emit({ event: 'listening', port: addr.port, host: addr.address });
  if (opts.stdin) {
    const rl = readline.createInterface({ input: process.stdin, terminal: false });
    rl.on('line', handleStdinLine);
    rl.on('close', () => shutdown('stdin closed'));
  }
});
