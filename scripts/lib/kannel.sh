# Shared by scripts/install-kannel and scripts/install-deps (sourced, not run).
#
# Debian's kannel package ships an init script that starts its own bearerbox
# (with /etc/kannel/kannel.conf). smsgw's scripts and tests own whatever Kannel
# programs they run, so the package's service is kept from starting on install
# and stopped and disabled afterwards.

# Stops and disables the kannel service and any box it started.
kannel_stop_package_service() {
  service kannel stop >/dev/null 2>&1 || true
  if [ -f /etc/default/kannel ]; then
    # START_WAPBOX/START_SMSBOX in the package's defaults; keep the service off.
    sed -i 's/^\(START_[A-Z]*BOX\)=.*/\1=/' /etc/default/kannel || true
  fi
  # Any bearerbox/smsbox/wapbox the package started (its run user is kannel).
  for pidfile in /var/run/kannel/*.pid /run/kannel/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for p in $(pgrep -u kannel 2>/dev/null || true); do kill "$p" 2>/dev/null || true; done
}

# apt-get installs the given Debian packages with the service kept from
# starting (a policy-rc.d that exits 101 makes the postinst skip it), then
# stops and disables whatever started anyway.
kannel_apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  local policy=/usr/sbin/policy-rc.d had_policy=0 status=0
  [ -e "$policy" ] && had_policy=1
  if [ "$had_policy" = 0 ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
  fi
  if ! apt-cache show "$@" >/dev/null 2>&1; then
    apt-get update -qq
  fi
  apt-get install -y -qq "$@" >/dev/null || status=$?
  if [ "$had_policy" = 0 ]; then rm -f "$policy"; fi
  kannel_stop_package_service
  return "$status"
}
