#!/usr/bin/env node
'use strict';
// Smoke test for server.js, using the same `smpp` npm package as a client.
//   node selftest.js                 -> spawns its own server.js on a free port (with --receipts),
//                                       also checks auth failure, throttling-free submit, MO via stdin
//   node selftest.js --port P [--system-id ID --password PW]
//                                    -> talks to an already-running server.js started with --receipts
// Binds as transceiver, submits one message, waits for its delivery receipt, unbinds, exits 0.
// Exits 1 on any failure or after a 10 s timeout.

const smpp = require('smpp');
const path = require('path');
const { spawn } = require('child_process');
const readline = require('readline');

delete smpp.commands.deliver_sm.params.short_message.filter; // raw bytes, we decode ourselves

const argv = process.argv.slice(2);
function arg(name, def) {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def;
}

let child = null;
function fail(msg) {
  process.stderr.write('selftest FAILED: ' + msg + '\n');
  if (child) child.kill('SIGTERM');
  process.exit(1);
}
function check(cond, msg) { if (!cond) fail(msg); }
const timeout = setTimeout(() => fail('timeout'), 10000);

function run(port, systemId, password, ownServer) {
  const submitEvents = [];
  if (ownServer) {
    ownServer.on('submit', (ev) => submitEvents.push(ev));
  }

  // 1) wrong password must be refused (only checked against our own server)
  const badBind = (next) => {
    if (!ownServer) return next();
    const s = smpp.connect({ host: '127.0.0.1', port });
    s.on('error', (e) => fail('bad-bind session error: ' + e.message));
    s.bind_transceiver({ system_id: systemId, password: 'wrong' }, (pdu) => {
      check(pdu.command_status === smpp.ESME_RBINDFAIL, 'bad password gave status ' + pdu.command_status);
      s.destroy();
      next();
    });
  };

  // 2) good bind, submit, receipt, (MO), unbind
  const main = () => {
    const s = smpp.connect({ host: '127.0.0.1', port });
    s.on('error', (e) => fail('session error: ' + e.message));
    let messageId = null;
    let gotReceipt = false;
    let gotMo = !ownServer;
    const maybeDone = () => {
      if (!gotReceipt || !gotMo) return;
      s.unbind((resp) => {
        check(resp.command_status === 0, 'unbind_resp status ' + resp.command_status);
        if (ownServer) {
          const ev = submitEvents[0];
          check(ev && ev.message_id === messageId, 'submit event missing or wrong id');
          check(ev.short_message_hex === Buffer.from('hello from selftest, this is a test').toString('hex'),
            'submit event short_message_hex mismatch: ' + (ev && ev.short_message_hex));
        }
        clearTimeout(timeout);
        process.stdout.write('selftest OK (message_id ' + messageId + ')\n');
        if (child) {
          child.on('exit', (code) => process.exit(code === 0 ? 0 : 1));
          child.kill('SIGTERM');
        } else {
          process.exit(0);
        }
      });
    };

    s.on('deliver_sm', (pdu) => {
      s.send(pdu.response());
      const text = pdu.data_coding === 8
        ? Buffer.from(pdu.short_message).swap16().toString('utf16le')
        : pdu.short_message.toString('latin1');
      if (pdu.esm_class & 0x04) {
        check(messageId !== null, 'receipt before submit_sm_resp');
        const re = new RegExp('^id:' + messageId + ' sub:001 dlvrd:001 submit date:\\d{10} done date:\\d{10} ' +
          'stat:DELIVRD err:000 text:hello from selftest,$');
        check(re.test(text), 'receipt text unexpected: ' + JSON.stringify(text));
        check(pdu.receipted_message_id === messageId, 'receipted_message_id ' + pdu.receipted_message_id);
        check(pdu.message_state === 2, 'message_state ' + pdu.message_state);
        check(pdu.source_addr === '4915112345678' && pdu.destination_addr === '12345', 'receipt addresses swapped wrong');
        gotReceipt = true;
        if (ownServer && !gotMo) {
          ownServer.write(JSON.stringify({ mo: { from: '4915199999999', to: '12345', text: 'Grüße €', data_coding: 8 } }) + '\n');
        }
      } else {
        check(pdu.data_coding === 8 && text === 'Grüße €', 'MO unexpected: dc ' + pdu.data_coding + ' ' + JSON.stringify(text));
        check(pdu.source_addr === '4915199999999' && pdu.destination_addr === '12345', 'MO addresses wrong');
        gotMo = true;
      }
      maybeDone();
    });

    s.bind_transceiver({ system_id: systemId, password }, (pdu) => {
      check(pdu.command_status === 0, 'bind_transceiver status ' + pdu.command_status);
      s.enquire_link((r) => {
        check(r.command_status === 0, 'enquire_link_resp status ' + r.command_status);
        s.submit_sm({
          source_addr: '12345',
          destination_addr: '4915112345678',
          registered_delivery: 1,
          data_coding: 0,
          short_message: Buffer.from('hello from selftest, this is a test'),
        }, (resp) => {
          check(resp.command_status === 0, 'submit_sm_resp status ' + resp.command_status);
          check(/^\d+$/.test(resp.message_id), 'message_id not decimal: ' + resp.message_id);
          messageId = resp.message_id;
        });
      });
    });
  };

  badBind(main);
}

const port = arg('--port', null);
const systemId = arg('--system-id', 'selftest');
const password = arg('--password', 'secret');

if (port !== null) {
  run(parseInt(port, 10), systemId, password, null);
} else {
  child = spawn(process.execPath, [path.join(__dirname, 'server.js'), '--port', '0',
    '--system-id', systemId, '--password', password, '--receipts', '--receipt-delay-ms', '100'],
  { stdio: ['pipe', 'pipe', 'inherit'] });
  child.on('exit', (code, sig) => { if (!child.expectedExit) fail('server exited early: ' + code + ' ' + sig); });
  const events = new (require('events').EventEmitter)();
  events.write = (line) => child.stdin.write(line);
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    if (process.env.SELFTEST_VERBOSE) process.stderr.write('server: ' + line + '\n');
    let ev;
    try { ev = JSON.parse(line); } catch (e) { fail('server printed non-JSON line: ' + line); }
    if (ev.event === 'listening') run(ev.port, systemId, password, events);
    else events.emit(ev.event, ev);
  });
  const origKill = child.kill.bind(child);
  child.kill = (sig) => { child.expectedExit = true; return origKill(sig); };
}
