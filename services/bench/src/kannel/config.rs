//! Kannel's configuration for one run: the ports, and the kannel.conf that
//! bearerbox and smsbox both read.

use std::path::Path;

use super::args::BenchKannelArgs;

pub(super) const USER: &str = "bench";
pub(super) const PASSWORD: &str = "bench";

/// Ports of one Kannel set-up.
pub(super) struct Ports {
    pub(super) admin: u16,
    pub(super) smsbox: u16,
    pub(super) sendsms: u16,
    pub(super) sim: u16,
}

/// The configuration file for bearerbox and smsbox.
pub(super) fn kannel_conf(args: &BenchKannelArgs, ports: &Ports, dir: &Path) -> String {
    format!(
        r#"group = core
admin-port = {admin}
admin-interface = 127.0.0.1
admin-password = {PASSWORD}
admin-allow-ip = 127.0.0.1
smsbox-port = {smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{dir}/bearerbox.log"
log-level = {log}
dlr-storage = internal
sms-outgoing-queue-limit = -1
smsbox-max-pending = {max_pending}

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = {sim}
transceiver-mode = true
smsc-username = {USER}
smsc-password = {PASSWORD}
system-type = ""
max-pending-submits = {window}
msg-id-type = 0
log-level = {log}

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
max-pending-requests = {max_pending}
log-file = "{dir}/smsbox.log"
log-level = {log}

group = sendsms-user
username = {USER}
password = {PASSWORD}
max-messages = 1
"#,
        admin = ports.admin,
        smsbox = ports.smsbox,
        sendsms = ports.sendsms,
        sim = ports.sim,
        dir = dir.display(),
        log = args.log_level,
        max_pending = args.max_pending,
        window = args.max_pending_submits,
    )
}
